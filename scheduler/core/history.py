"""What a run needs from earlier runs, loaded from the store once, at the start of the run.

Everything after the load is pure: assessment, weekly figures, changes, mail plans and the
report take `today` and a `History` and touch neither the store nor the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from scheduler.core.model import DeadlineKind, SentItem, Snapshot, Status

if TYPE_CHECKING:
    from scheduler.store import JobRun, OfficeNote, OutboxMessage, Store

WEEK = timedelta(days=7)
EVER = timedelta(days=3650)  # "never sent before", for the daily job

TrendRow = tuple[date, Status, DeadlineKind, date | None, int]  # a snapshot day's tasks, grouped


@dataclass(frozen=True)
class History:
    """Empty (the default) when nothing has been stored yet."""

    identity_base: Snapshot | None = None  # the latest snapshot: who each task is
    stale_base: Snapshot | None = None  # the latest one at least stale_after_days old
    baseline: Snapshot | None = None  # the latest one a week or more ago: 本周变化, 较上周
    status_history: tuple[tuple[date, str, Status], ...] = ()  # for 回头看 only
    trend: tuple[TrendRow, ...] = ()  # every snapshot, counted by status and deadline
    snapshot_days: tuple[date, ...] = ()
    sent: tuple[SentItem, ...] = ()  # warnings queued within the longest window asked for
    failures: tuple[OutboxMessage, ...] = ()  # refused mail not yet told to the office
    runs: tuple[JobRun, ...] = ()  # skipped or failed runs not yet told to the office
    notes: tuple[OfficeNote, ...] = ()  # other news for the office
    new_store: bool = False  # made by this run: look for signs of a lost one

    def sent_after(self, day: date) -> list[SentItem]:
        return [item for item in self.sent if item.day > day]


def load(
    store: Store | None, today: date, stale_after_days: int, repeat_days: int, *, review: bool, daily: bool
) -> History:
    """Read everything the run needs, once. `repeat_days`: how far back a warning counts as
    sent (a week at least: the office summary goes once a week); `review`: 回头看 is on and
    needs the status history; `daily`: the daily job looks back at every warning ever sent."""
    if store is None:
        return History()
    since = today - (EVER if daily else max(timedelta(days=repeat_days), WEEK))
    return History(
        identity_base=store.snapshot_on_or_before(today),
        stale_base=store.snapshot_on_or_before(today - timedelta(days=stale_after_days)),
        baseline=store.snapshot_on_or_before(today - WEEK),
        status_history=tuple(store.status_history(today)) if review else (),
        trend=tuple(store.trend_rows(today)),
        snapshot_days=tuple(store.snapshot_days()),
        sent=tuple(store.recent_items(since)),
        failures=tuple(store.unreported_failures()),
        runs=tuple(store.unreported_runs()),
        notes=tuple(store.unreported_notes()),
        new_store=store.is_new(),
    )
