"""Deadline text → Deadline. Pure: no I/O, no clock; `plan_start` is passed in.

Offices write 完成时限 in many ways: a date cell, "2025年6月底前", "三季度", "长期坚持",
"立行立改". Every form the ledger issue lists is handled here, and anything else
becomes kind `unknown` with a message, never an exception.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from scheduler.core.model import CellValue, Deadline, DeadlineKind

_ONGOING = ("长期坚持", "长期", "持续推进", "常态化", "持续", "长效", "久久为功")
_IMMEDIATE = ("立行立改", "立即整改", "即知即改", "立知立改")

# Alternatives are tried left to right at each position, so the most specific
# forms come first: a full date before a year-month before a bare year.
_DATE_RE = re.compile(
    r"""
      (?<!\d)(?P<y1>\d{4})[年/.\-](?P<m1>\d{1,2})[月/.\-](?P<d1>\d{1,2})(?!\d)[日号]?
    | (?<!\d)(?P<y0>(?:19|20)\d{2})(?P<m0>\d{2})(?P<d0>\d{2})(?!\d)
    | (?<!\d)(?P<y2>\d{4})[年/.\-](?P<m2>\d{1,2})(?![\d季])月?(?P<p2>上旬|中旬|下旬|月中|中|底|末|份)?
    | (?<!\d)(?P<y3>\d{4})年?第?(?P<q3>[一二三四1-4])季度
    | (?<!\d)(?P<y4>\d{4})年?(?P<h4>上半年|下半年)
    | (?<!\d)(?P<y5>\d{4})年(?!\d)
    | (?<!\d)(?P<m6>\d{1,2})月(?P<d6>\d{1,2})(?!\d)[日号]
    | (?<!\d)(?P<m7>\d{1,2})月(?P<p7>上旬|中旬|下旬|中|底|末|份)?
    | 第?(?P<q8>[一二三四1-4])季度
    | (?P<h9>上半年|下半年)
    """,
    re.VERBOSE,
)

_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_EXCEL_EPOCH = date(1899, 12, 30)

EMPTY_MESSAGE = "完成时限为空，请填写日期（如2025年6月30日）、“长期坚持”或“立行立改”"
UNKNOWN_MESSAGE = "无法识别的完成时限，请填写日期（如2025年6月30日）、“长期坚持”或“立行立改”"


class _BadDate(ValueError):
    """A date-shaped text naming a day that does not exist (2025年2月30日)."""


def parse_deadline(value: CellValue, plan_start: date) -> tuple[Deadline, str | None]:
    """Read one 完成时限 cell. Returns the deadline and, if it is not understood, why."""
    if isinstance(value, str):
        return _parse_text(value.strip(), plan_start)
    return _parse_value(value)


@lru_cache(maxsize=8192, typed=True)  # typed: True and 1 are different cells
def _parse_value(value: CellValue) -> tuple[Deadline, str | None]:
    return _parse_non_text(value)


def parse_day(value: CellValue, plan_start: date) -> date | None:
    """Read a cell that must name one day (开始时间). None when it does not."""
    deadline, _ = parse_deadline(value, plan_start)
    return deadline.date if deadline.kind is DeadlineKind.DATE else None


def _parse_non_text(value: CellValue) -> tuple[Deadline, str | None]:
    if value is None or value == "":
        return Deadline(DeadlineKind.UNKNOWN, None, ""), EMPTY_MESSAGE
    if isinstance(value, datetime):
        return Deadline(DeadlineKind.DATE, value.date(), value.date().isoformat()), None
    if isinstance(value, date):
        return Deadline(DeadlineKind.DATE, value, value.isoformat()), None
    if isinstance(value, int | float) and not isinstance(value, bool):
        day = _number_to_date(value)
        if day is not None:
            return Deadline(DeadlineKind.DATE, day, day.isoformat()), None
    text = _number_text(value)
    return Deadline(DeadlineKind.UNKNOWN, None, text), UNKNOWN_MESSAGE


def _number_to_date(number: float) -> date | None:
    """A number in a date column is an unformatted Excel serial or yyyymmdd."""
    if not math.isfinite(number) or number != int(number):
        return None
    whole = int(number)
    try:
        if 19000101 <= whole <= 21001231:
            return date(whole // 10000, whole // 100 % 100, whole % 100)
        if 20000 <= whole < 80000:  # 1954 … 2119 as Excel day numbers
            return _EXCEL_EPOCH + timedelta(days=whole)
    except ValueError:
        return None
    return None


def _number_text(value: CellValue) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@lru_cache(maxsize=8192)  # ledgers repeat the same few deadline texts many times
def _parse_text(text: str, plan_start: date) -> tuple[Deadline, str | None]:
    if not text:
        return Deadline(DeadlineKind.UNKNOWN, None, ""), EMPTY_MESSAGE
    flat = _flatten(text)
    try:
        days = [_checked(m, plan_start) for m in _DATE_RE.finditer(flat)]
    except _BadDate as bad:
        return Deadline(DeadlineKind.UNKNOWN, None, text), f"日期不存在：{bad}"
    if days:
        # Several dates ("3月启动，6月底前完成"): the work is due at the latest one.
        return Deadline(DeadlineKind.DATE, max(days), text), None
    if any(word in flat for word in _ONGOING):
        return Deadline(DeadlineKind.ONGOING, None, text), None
    if any(word in flat for word in _IMMEDIATE):
        return Deadline(DeadlineKind.IMMEDIATE, plan_start, text), None
    return Deadline(DeadlineKind.UNKNOWN, None, text), UNKNOWN_MESSAGE


def _flatten(text: str) -> str:
    """Full-width digits and punctuation to half-width, and no white space at all."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _checked(m: re.Match[str], plan_start: date) -> date:
    try:
        return _match_to_date(m, plan_start)
    except ValueError:  # month 13, day 32, year 0 …
        raise _BadDate(m.group(0)) from None


def _match_to_date(m: re.Match[str], plan_start: date) -> date:
    g = m.groupdict()
    if g["y1"]:
        return date(int(g["y1"]), int(g["m1"]), int(g["d1"]))
    if g["y0"]:
        return date(int(g["y0"]), int(g["m0"]), int(g["d0"]))
    if g["y2"]:
        return _month_part(int(g["y2"]), int(g["m2"]), g["p2"])
    if g["y3"]:
        return _quarter_end(int(g["y3"]), _QUARTER[g["q3"]])
    if g["y4"]:
        return date(int(g["y4"]), 6 if g["h4"] == "上半年" else 12, 30 if g["h4"] == "上半年" else 31)
    if g["y5"]:
        return date(int(g["y5"]), 12, 31)
    return _first_on_or_after(plan_start, lambda year: _yearless(g, year))


def _yearless(g: dict[str, str | None], year: int) -> date:
    if g["m6"]:
        return date(year, int(g["m6"]), int(g["d6"] or 0))
    if g["m7"]:
        return _month_part(year, int(g["m7"]), g["p7"])
    if g["q8"]:
        return _quarter_end(year, _QUARTER[g["q8"]])
    return date(year, 6, 30) if g["h9"] == "上半年" else date(year, 12, 31)


def _first_on_or_after(plan_start: date, make: Callable[[int], date]) -> date:
    """A date written without a year means its first occurrence on or after the plan's start."""
    day = make(plan_start.year)
    return day if day >= plan_start else make(plan_start.year + 1)


def _month_part(year: int, month: int, part: str | None) -> date:
    if part == "上旬":
        return date(year, month, 10)
    if part == "中旬":
        return date(year, month, 20)
    if part in ("中", "月中"):
        return date(year, month, 15)
    return _last_day(year, month)


def _quarter_end(year: int, quarter: int) -> date:
    return _last_day(year, quarter * 3)


def _last_day(year: int, month: int) -> date:
    last: date = date(year, month, 1) + relativedelta(months=1, days=-1)
    return last
