"""When jobs fire: crontab times in the office's timezone, moved off weekends and holidays."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from scheduler.errors import CrontabError
from scheduler.service.crontab import cron_fields
from scheduler.service.workdays import WorkCalendar

MAX_STEPS = 5000  # how many fire times we walk at most when looking for a missed run


class WorkdayTrigger(BaseTrigger):  # type: ignore[misc]
    """A cron trigger whose fire times on a day off move to the next workday, same time.

    Runs that move onto the same moment (Saturday's and Sunday's daily run onto Monday
    morning) fire once.
    """

    def __init__(self, cron: CronTrigger, calendar: WorkCalendar | None) -> None:
        self.cron = cron
        self.calendar = calendar

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        moment: datetime | None = self.cron.get_next_fire_time(previous_fire_time, now)
        if moment is None or self.calendar is None:
            return moment
        day = self.calendar.next_workday(moment.date())
        if day == moment.date():
            return moment
        return datetime.combine(day, moment.time(), tzinfo=moment.tzinfo)

    def __str__(self) -> str:
        return f"workday[{self.cron}]"


def make_trigger(text: str, tz: ZoneInfo, calendar: WorkCalendar | None) -> WorkdayTrigger:
    """Raises CrontabError, with a Chinese reason, for any field APScheduler refuses too."""
    try:
        cron = CronTrigger(timezone=tz, **cron_fields(text))
    except ValueError as e:
        if isinstance(e, CrontabError):
            raise
        raise CrontabError(f"时间写法有误（{e}）") from None
    return WorkdayTrigger(cron, calendar)


def latest_due(trigger: BaseTrigger, since: datetime, now: datetime) -> datetime | None:
    """The last fire time after `since` and not after `now`: the one run that catches up for
    all the runs missed while the machine was off."""
    found = None
    moment = trigger.get_next_fire_time(None, since + timedelta(microseconds=1))
    for _ in range(MAX_STEPS):
        if moment is None or moment > now:
            break
        found = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(microseconds=1))
    return found
