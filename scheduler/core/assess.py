"""Tasks + today + history → identities and warnings. Pure: no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scheduler.core import rules
from scheduler.core.history import History
from scheduler.core.identity import identify
from scheduler.core.model import Alert, Ledger, Snapshot, Status
from scheduler.core.tracking import done_since, snapshot_of


@dataclass(frozen=True)
class Assessment:
    today: date
    ledger: Ledger
    identities: dict[str, str]  # task key → identity across weeks
    alerts: dict[str, list[Alert]]  # task key → warnings

    def snapshot(self) -> Snapshot:
        return snapshot_of(self.ledger.tasks, self.identities, self.today)


def assess(ledger: Ledger, today: date, settings: rules.RuleSettings, history: History) -> Assessment:
    """Warnings for `today`, with what earlier snapshots tell (identities, stale, 回头看)."""
    identities = identify(ledger.tasks, history.identity_base)
    done: dict[str, date] = {}
    if settings.alerts.review_after_days:
        done_now = [identities[t.key] for t in ledger.tasks if t.status is Status.DONE]
        done = done_since(history.status_history, done_now, today)
    known = rules.History(identities=identities, stale_base=history.stale_base, done_since=done)
    alerts = rules.assess(ledger.tasks, today, settings, known)
    return Assessment(today=today, ledger=ledger, identities=identities, alerts=alerts)
