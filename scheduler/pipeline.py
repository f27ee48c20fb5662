"""The steps of a run, each small: read → assess → store → report. Commands wire them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler import rules
from scheduler.config import Settings
from scheduler.identity import identify
from scheduler.ledger import read_ledger
from scheduler.model import Alert, Ledger, Snapshot, Status
from scheduler.store import Store
from scheduler.tracking import (
    Changes,
    SectionFigures,
    compare,
    done_by_section,
    done_since,
    section_figures,
    snapshot_of,
    trend,
)

if TYPE_CHECKING:
    from scheduler.report import ReportData

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Assessment:
    today: date
    ledger: Ledger
    identities: dict[str, str]  # task key → identity across weeks
    alerts: dict[str, list[Alert]]  # task key → warnings

    def snapshot(self) -> Snapshot:
        return snapshot_of(self.ledger.tasks, self.identities, self.today)


@dataclass(frozen=True)
class Week:
    today: date
    sections: list[SectionFigures]
    total: SectionFigures
    changes: Changes
    baseline: Snapshot | None = None


def read(settings: Settings, ledger_path: Path | None = None) -> Ledger:
    ledger = settings.ledger
    paths = (ledger_path,) if ledger_path else ledger.paths
    return read_ledger(
        paths,
        settings.plan.start,
        sheets=ledger.sheets,
        columns=ledger.columns,
        max_unpacked_mb=ledger.max_unpacked_mb,
    )


def assess(settings: Settings, ledger: Ledger, today: date, store: Store | None) -> Assessment:
    """Warnings for `today`, with what earlier snapshots tell (identities, stale, 回头看)."""
    rule_settings = settings.rules()
    identities = identify(ledger.tasks, store.snapshot_on_or_before(today) if store else None)
    history = rules.History(identities=identities)
    if store is not None:
        stale_base = store.snapshot_on_or_before(today - timedelta(days=rule_settings.stale_after_days))
        done_now = [identities[t.key] for t in ledger.tasks if t.status is Status.DONE]
        done = (
            done_since(store.status_history(today), done_now, today)
            if rule_settings.review_after_days
            else {}
        )
        history = rules.History(identities=identities, stale_base=stale_base, done_since=done)
    alerts = rules.assess(ledger.tasks, today, rule_settings, history)
    return Assessment(today=today, ledger=ledger, identities=identities, alerts=alerts)


def save_snapshot(store: Store, assessment: Assessment, settings: Settings) -> Snapshot:
    snapshot = assessment.snapshot()
    store.save_snapshot(snapshot, taken_at=datetime.now(settings.office.tz))
    return snapshot


def week(settings: Settings, assessment: Assessment, store: Store | None) -> Week:
    """This week's figures by section, and the changes since the snapshot a week or more ago."""
    baseline = store.snapshot_on_or_before(assessment.today - WEEK) if store else None
    changes = compare(assessment.snapshot(), baseline, settings.rules(), assessment.alerts)
    sections, total = section_figures(assessment.ledger.tasks, assessment.alerts)
    return Week(today=assessment.today, sections=sections, total=total, changes=changes, baseline=baseline)


def report_data(settings: Settings, assessment: Assessment, week: Week, store: Store | None) -> ReportData:
    """Everything the weekly report workbook shows. The trend ends with today, live, when
    today has no snapshot yet."""
    from scheduler.report import ReportData  # openpyxl is slow to import; `check` never needs it

    snapshots = store.snapshots(assessment.today) if store else []
    if not snapshots or snapshots[-1].day != assessment.today:
        snapshots.append(assessment.snapshot())
    return ReportData(
        office_name=settings.office.name,
        today=assessment.today,
        sections=week.sections,
        total=week.total,
        done_last_week=done_by_section(week.baseline) if week.baseline else None,
        tasks=assessment.ledger.tasks,
        alerts=assessment.alerts,
        changes=week.changes,
        trend=trend(snapshots, settings.rules()),
        problems=assessment.ledger.problems,
    )


def save_report(settings: Settings, data: ReportData, out: Path | None = None) -> Path:
    from scheduler.report import report_path, to_bytes, write_report

    return write_report(to_bytes(data), out or report_path(settings.report_dir, data.today))
