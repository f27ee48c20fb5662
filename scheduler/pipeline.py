"""The steps of a run, each small. Commands and the cycle wire them:

    read (ledger, history) → assess → view → render → write

`read` and `history` do the reading, `save_*` the writing; everything between is pure.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.config import Settings
from scheduler.core import history as history_module
from scheduler.core.assess import Assessment
from scheduler.core.assess import assess as assess_ledger
from scheduler.core.history import History
from scheduler.core.model import Ledger, RunMode, Snapshot
from scheduler.core.view import Failure, Unrouted, WeeklyView, weekly_view
from scheduler.ledger import read_ledger
from scheduler.store import Store

if TYPE_CHECKING:
    from datetime import datetime


@contextmanager
def collector_paused() -> Iterator[None]:
    """For reading and assessing a big ledger: a million small objects (cells, tasks, warnings)
    and no reference cycles, which the cycle collector, woken every 700 new objects, would
    walk again and again (a tenth of a 50,000-row `check`)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def read(settings: Settings, ledger_path: Path | None = None) -> Ledger:
    with collector_paused():
        return _read(settings, ledger_path)


def _read(settings: Settings, ledger_path: Path | None) -> Ledger:
    ledger = settings.ledger
    paths = (ledger_path,) if ledger_path else ledger.paths
    return read_ledger(
        paths,
        settings.plan.start,
        sheets=ledger.sheets,
        columns=ledger.columns,
        max_unpacked_mb=ledger.max_unpacked_mb,
    )


def history(store: Store | None, settings: Settings, today: date, mode: RunMode = RunMode.WEEKLY) -> History:
    alerts = settings.alerts
    return history_module.load(
        store,
        today,
        alerts.stale_after_days,
        alerts.repeat_days,
        review=bool(alerts.review_after_days),
        daily=mode is RunMode.DAILY,
    )


def assess(settings: Settings, ledger: Ledger, today: date, known: History) -> Assessment:
    return assess_ledger(ledger, today, settings.rules(), known)


def view(
    settings: Settings,
    assessment: Assessment,
    known: History,
    *,
    notes: Sequence[str] = (),
    failures: Sequence[Failure] = (),
    unrouted: Sequence[Unrouted] = (),
) -> WeeklyView:
    return weekly_view(
        settings.office.name,
        assessment,
        known,
        settings.rules(),
        notes=notes,
        failures=failures,
        unrouted=unrouted,
    )


def save_snapshot(store: Store, snapshot: Snapshot, now: datetime) -> None:
    store.save_snapshot(snapshot, taken_at=now)


def report_bytes(view: WeeklyView) -> bytes:
    from scheduler.views.report import to_bytes  # openpyxl is slow to import; `check` never needs it

    return to_bytes(view)


def save_report(settings: Settings, content: bytes, today: date, out: Path | None = None) -> Path:
    from scheduler.views.report import report_path, write_report

    return write_report(content, out or report_path(settings.report_dir, today))
