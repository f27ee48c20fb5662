"""Crontab strings → APScheduler cron fields. Pure.

The weekday field means what it means in crontab everywhere: 0 and 7 are Sunday, 1 is
Monday. APScheduler 3.x numbers weekdays from Monday = 0, so handing it "* * * * 1" fires on
Tuesday. We translate every weekday term ourselves into APScheduler's names.

An optional sixth, leading field gives seconds ("*/5 * * * * *"), for tests and the impatient.
"""

from __future__ import annotations

import re

from scheduler.errors import CrontabError

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab order: 0 = Sunday
FIELDS = ("minute", "hour", "day", "month", "day_of_week")

_TERM = re.compile(r"^(\*|[a-z]{3}|\d+)(?:-([a-z]{3}|\d+))?(?:/(\d+))?$")


def cron_fields(text: str) -> dict[str, str]:
    """ "0 9 * * mon" → {"minute": "0", "hour": "9", "day": "*", "month": "*", "day_of_week": "mon"}."""
    parts = text.split()
    if len(parts) not in (5, 6):
        raise CrontabError(f"应为5段 crontab（分 时 日 月 星期），这里有{len(parts)}段")
    fields = {}
    if len(parts) == 6:
        fields["second"] = parts.pop(0)
    fields.update(zip(FIELDS, parts, strict=True))
    if fields["day"] != "*" and fields["day_of_week"] != "*":
        # crontab fires when either matches, APScheduler only when both do: refuse rather
        # than silently mean something else.
        raise CrontabError("不能同时限定日期和星期，请只限定其中一个（另一个写 *）")
    fields["day_of_week"] = weekdays(fields["day_of_week"])
    return fields


def weekdays(field: str) -> str:
    """A crontab weekday field as APScheduler weekday names, e.g. "1-5" → "mon,tue,wed,thu,fri"."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for term in field.lower().split(","):
        days |= _days(term)
    return ",".join(DAY_NAMES[d] for d in (1, 2, 3, 4, 5, 6, 0) if d in days)


def _days(term: str) -> set[int]:
    match = _TERM.match(term)
    if not match:
        raise CrontabError(f"星期一段中的“{term}”无法识别，可写 0-7（0 和 7 都是星期日）或 mon、tue 等")
    start, end, step = match.groups()
    if step is not None and int(step) == 0:
        raise CrontabError(f"星期一段中的“{term}”步长不能为 0")
    if start == "*":
        low, high = 0, 6
    else:
        low = _day(start)
        high = _day(end) if end else (6 if step else low)
    if high < low:
        raise CrontabError(f"星期范围“{term}”从大到小，应写作如 1-5")
    return {d % 7 for d in range(low, high + 1, int(step or 1))}


def _day(token: str) -> int:
    if token.isdigit():
        number = int(token)
        if number > 7:
            raise CrontabError(f"星期只能是 0-7，不能是 {number}")
        return number
    if token not in DAY_NAMES:
        raise CrontabError(f"“{token}”不是星期的名称，可写 mon、tue、wed、thu、fri、sat、sun")
    return DAY_NAMES.index(token)
