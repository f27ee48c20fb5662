"""Which days are workdays in China: weekends and official holidays off, 调休 Saturdays on.

The official schedule for a year is published in November or December, and the calendar
package lags behind it: chinese-calendar 1.11 knows years up to 2026 and raises for 2027.
A year without data falls back to "Monday to Friday", plus the office's own overrides in
[calendar], and says so, so that the office can add that year's holidays by hand.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True)
class WorkCalendar:
    holidays: Collection[date] = field(default_factory=frozenset)  # extra days off
    workdays: Collection[date] = field(default_factory=frozenset)  # extra working days (调休)

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if self.has_data(day.year):
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def next_workday(self, day: date) -> date:
        """`day` itself when it is a workday, else the first workday after it."""
        for _ in range(60):  # the longest break is far shorter; never loop forever
            if self.is_workday(day):
                return day
            day += timedelta(days=1)
        return day

    @staticmethod
    def has_data(year: int) -> bool:
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def missing_years(self, *years: int) -> list[int]:
        """The years among these that the calendar package has no official schedule for."""
        return [y for y in years if not self.has_data(y)]


def years_without_data(years: Iterable[int], overrides: Iterable[date]) -> list[int]:
    """Years the calendar package lacks and the office has not filled in [calendar] either."""
    filled = {d.year for d in overrides}
    return [y for y in WorkCalendar().missing_years(*years) if y not in filled]


def missing_year_notes(today: date, overrides: Iterable[date]) -> list[str]:
    """What the office should do about this year and the next lacking holiday data."""
    return [
        f"节假日数据尚未包含{year}年，{year}年暂按周末判断工作日。国务院公布{year}年放假安排后，"
        "请在 config.toml 的 [calendar] 中填写节假日（holidays）和调休上班日（workdays）。"
        for year in years_without_data((today.year, today.year + 1), overrides)
    ]
