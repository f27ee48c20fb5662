"""When jobs fire: crontab weekdays, workdays, holidays, 调休 and catch-up. Pure."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler.config import ScheduleSettings
from scheduler.errors import CrontabError
from scheduler.service.crontab import cron_fields, weekdays
from scheduler.service.timing import latest_due, make_trigger
from scheduler.service.workdays import WorkCalendar

TZ = ZoneInfo("Asia/Shanghai")


def fires(expr: str, start: datetime, n: int, calendar: WorkCalendar | None = None) -> list[datetime]:
    trigger = make_trigger(expr, TZ, calendar)
    found: list[datetime] = []
    moment, now = None, start
    for _ in range(n):
        moment = trigger.get_next_fire_time(moment, now)
        assert moment is not None
        found.append(moment)
        now = moment
    return found


@pytest.mark.parametrize("expr", ["0 9 * * mon", "0 9 * * 1", "0 9 * * MON"])
def test_the_weekly_job_really_fires_on_monday(expr: str) -> None:
    runs = fires(expr, datetime(2025, 6, 18, 12, tzinfo=TZ), 3)
    assert [r.strftime("%Y-%m-%d %a %H:%M") for r in runs] == [
        "2025-06-23 Mon 09:00", "2025-06-30 Mon 09:00", "2025-07-07 Mon 09:00",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "names"),
    [("0", "sun"), ("7", "sun"), ("1", "mon"), ("1-5", "mon,tue,wed,thu,fri"), ("sat,sun", "sat,sun"),
     ("5-7", "fri,sat,sun"), ("*/2", "tue,thu,sat,sun"), ("*", "*"), ("mon-fri", "mon,tue,wed,thu,fri")],
)  # fmt: skip
def test_crontab_weekdays_mean_what_they_mean_in_crontab(field: str, names: str) -> None:
    assert weekdays(field) == names


@pytest.mark.parametrize("text", ["0 9 * *", "0 9 * * 8", "0 9 * * funday", "0 9 * * 5-1", "x"])
def test_a_bad_crontab_says_why(text: str) -> None:
    with pytest.raises(CrontabError):
        cron_fields(text)


def test_a_weekly_run_on_a_holiday_moves_to_the_next_workday() -> None:
    # 2025-10-06 is a Monday inside the National Day holiday; the 9th is the next workday.
    runs = fires("0 9 * * mon", datetime(2025, 9, 30, 12, tzinfo=TZ), 2, WorkCalendar())
    assert [r.date() for r in runs] == [date(2025, 10, 9), date(2025, 10, 13)]
    # Without the holiday rule it would fire on the holiday.
    assert fires("0 9 * * mon", datetime(2025, 9, 30, 12, tzinfo=TZ), 1)[0].date() == date(2025, 10, 6)


def test_a_daily_run_skips_weekends_but_not_an_adjusted_working_saturday() -> None:
    runs = fires("0 9 * * *", datetime(2025, 10, 9, 12, tzinfo=TZ), 4, WorkCalendar())
    # 10-11 is a Saturday worked in exchange (调休); Sunday the 12th is off.
    assert [r.strftime("%m-%d %a") for r in runs] == ["10-10 Fri", "10-11 Sat", "10-13 Mon", "10-14 Tue"]


def test_weekend_runs_moved_onto_monday_fire_once() -> None:
    runs = fires("0 9 * * *", datetime(2025, 6, 20, 12, tzinfo=TZ), 3, WorkCalendar())
    assert [r.strftime("%m-%d %H:%M") for r in runs] == ["06-23 09:00", "06-24 09:00", "06-25 09:00"]


def test_a_year_without_official_data_falls_back_to_weekends_and_overrides() -> None:
    calendar = WorkCalendar(holidays=frozenset({date(2027, 1, 1)}), workdays=frozenset({date(2027, 1, 9)}))
    assert calendar.missing_years(2026, 2027) == [2027]
    assert not calendar.is_workday(date(2027, 1, 1))  # an override: New Year's Day
    assert calendar.is_workday(date(2027, 1, 4))  # an ordinary Monday
    assert not calendar.is_workday(date(2027, 1, 2))  # Saturday
    assert calendar.is_workday(date(2027, 1, 9))  # an override: a Saturday worked
    runs = fires("0 9 * * *", datetime(2026, 12, 31, 12, tzinfo=TZ), 2, calendar)
    assert [r.date() for r in runs] == [date(2027, 1, 4), date(2027, 1, 5)]


def test_catch_up_finds_only_the_latest_missed_run() -> None:
    trigger = make_trigger("0 9 * * mon", TZ, None)
    last_run = datetime(2025, 6, 2, 9, 0, 5, tzinfo=TZ)
    now = datetime(2025, 6, 24, 8, 0, tzinfo=TZ)  # three Mondays missed
    assert latest_due(trigger, last_run, now) == datetime(2025, 6, 23, 9, 0, tzinfo=TZ)
    assert latest_due(trigger, datetime(2025, 6, 23, 9, 0, 1, tzinfo=TZ), now) is None


@pytest.mark.parametrize("text", ["0 9 * * */0", "0 9 1 * mon", "0 25 * * mon", "61 9 * * *", "0 9 32 * *"])
def test_every_field_is_checked_before_the_service_sees_it(text: str) -> None:
    with pytest.raises(CrontabError):
        make_trigger(text, TZ, None)


def test_the_daily_run_gives_way_to_the_weekly_run_on_its_day(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from scheduler import config
    from scheduler.service.runner import weekly_runs_on

    path = tmp_path / "config.toml"
    path.write_text('[ledger]\npath = "a.xlsx"\n[plan]\nstart = 2025-01-17\n', encoding="utf-8")
    settings = config.load(path)
    assert weekly_runs_on(settings, date(2025, 6, 23))  # a Monday
    assert not weekly_runs_on(settings, date(2025, 6, 24))
    # National Day: Monday the 6th is off, the weekly run moves to Thursday the 9th.
    assert not weekly_runs_on(settings, date(2025, 10, 6))
    assert weekly_runs_on(settings, date(2025, 10, 9))


@pytest.mark.parametrize("name", ["weekly", "daily"])
def test_the_default_schedules_fire(name: str) -> None:
    # config.py takes the defaults without asking APScheduler: they must be good.
    expr = getattr(ScheduleSettings(), name)
    assert fires(expr, datetime(2025, 6, 18, 12, tzinfo=TZ), 2)
