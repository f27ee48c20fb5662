"""Tasks + today + history → identities and warnings. Pure: no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from scheduler.core import rules
from scheduler.core.history import History
from scheduler.core.identity import identify
from scheduler.core.model import Alert, Ledger, Snapshot, Status
from scheduler.core.tracking import done_since, snapshot_of


@dataclass(frozen=True)
class Assessment:
    today: date
    ledger: Ledger
    settings: rules.RuleSettings = field(repr=False)
    history: History = field(default_factory=History, repr=False)

    @cached_property
    def identities(self) -> dict[str, str]:
        """Task key → identity across weeks. Worked out when first asked for: `check` of a
        ledger with no history never needs it, and on 50,000 rows it is a tenth of the run."""
        return identify(self.ledger.tasks, self.history.identity_base)

    @cached_property
    def alerts(self) -> dict[str, list[Alert]]:
        """Task key → warnings, with what earlier snapshots tell (本周无进展, 回头看)."""
        history, review = self.history, self.settings.alerts.review_after_days
        if history.stale_base is None and not review:
            return rules.assess(self.ledger.tasks, self.today, self.settings)
        done: dict[str, date] = {}
        if review:
            done_now = [self.identities[t.key] for t in self.ledger.tasks if t.status is Status.DONE]
            done = done_since(history.status_history, done_now, self.today)
        known = rules.History(identities=self.identities, stale_base=history.stale_base, done_since=done)
        return rules.assess(self.ledger.tasks, self.today, self.settings, known)

    def snapshot(self) -> Snapshot:
        return snapshot_of(self.ledger.tasks, self.identities, self.today)


def assess(ledger: Ledger, today: date, settings: rules.RuleSettings, history: History) -> Assessment:
    assessment = Assessment(today, ledger, settings, history)
    assessment.alerts  # noqa: B018  (worked out now: what follows only reads it)
    return assessment
