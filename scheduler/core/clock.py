"""What day it is for the office. The day turns at midnight in the office's timezone
(Beijing time by default), never at midnight UTC or the server's own zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def today(tz: ZoneInfo, now: datetime | None = None) -> date:
    """The office's date at `now` (an aware datetime; the real clock when None)."""
    moment = now if now is not None else datetime.now(tz)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(tz).date()
