"""Tasks + today (+ earlier weeks) → warnings. Pure: no I/O, no clock.

The office's three-colour ladder (三色督办):
- red    `overdue`: the deadline has passed;
- yellow `behind_schedule`: progress is below 序时进度, the share of the time from start to
         deadline that has gone by; and `stale`: nothing changed since last week;
- blue   `due_soon`: the deadline is near; and `review_due`: a finished item is due for 回头看.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from scheduler.core.model import Alert, AlertCode, DeadlineKind, Level, Snapshot, Status, Task

# Progress and 序时进度 are compared as fractions; an item exactly on the tolerance line is
# not behind, and float noise must not push it over.
_EPSILON = 1e-9
REVIEW_WINDOW_DAYS = 7  # 回头看 is asked for once, in the week an item reaches its review age


@dataclass(frozen=True)
class AlertSettings:
    """[alerts] in config.toml."""

    due_soon_days: int = 7
    behind_tolerance: float = 0.10
    stale_after_days: int = 7
    escalate_after_days: int = 14
    review_after_days: int = 0  # 0: no 回头看 reminders
    repeat_days: int = 7  # for mail, not for the rules: a warning is not re-sent within it


@dataclass(frozen=True)
class RuleSettings:
    plan_start: date
    alerts: AlertSettings = field(default_factory=AlertSettings)


@dataclass(frozen=True)
class History:
    """What the rules need from earlier weeks. Empty when nothing has been stored yet."""

    identities: Mapping[str, str] = field(default_factory=dict)  # task key → identity
    stale_base: Snapshot | None = None  # latest snapshot at least stale_after_days old
    done_since: Mapping[str, date] = field(default_factory=dict)  # identity → first day seen done


def assess(
    tasks: Sequence[Task], today: date, settings: RuleSettings, history: History | None = None
) -> dict[str, list[Alert]]:
    """Task key → its warnings on `today`, worst first. Tasks without warnings are left out."""
    history = history or History()
    alerts: dict[str, list[Alert]] = {}
    for task in tasks:
        found = assess_task(task, today, settings, history)
        if found:
            alerts[task.key] = sorted(found, key=lambda a: a.level.rank)
    return alerts


def assess_task(task: Task, today: date, settings: RuleSettings, history: History) -> list[Alert]:
    identity = history.identities.get(task.key)
    if task.status is Status.DONE:
        review = _review_due(identity, today, settings, history)
        return [review] if review else []
    found: list[Alert | None] = []
    due = due_date(task, settings)
    if due is not None:
        found.append(_overdue(due, today, settings) if due < today else _due_soon(due, today, settings))
        found.append(_behind(task, due, today, settings))
    found.append(_stale(task, identity, today, history))
    return [a for a in found if a is not None]


def due_date(task: Task, settings: RuleSettings) -> date | None:
    """The day a task is due: its deadline date; 立行立改 items the day the plan started."""
    if task.deadline.kind is DeadlineKind.IMMEDIATE:
        return settings.plan_start
    return task.deadline.date if task.deadline.kind is DeadlineKind.DATE else None


def _overdue(due: date, today: date, settings: RuleSettings) -> Alert:
    days = (today - due).days
    escalate = days > settings.alerts.escalate_after_days
    message = f"已逾期{days}天" + ("，列入督办" if escalate else "")
    return Alert(AlertCode.OVERDUE, Level.RED, message, days=days, escalate=escalate)


def _due_soon(due: date, today: date, settings: RuleSettings) -> Alert | None:
    days = (due - today).days
    if days > settings.alerts.due_soon_days:
        return None
    message = "今天到期" if days == 0 else f"距完成时限还有{days}天"
    return Alert(AlertCode.DUE_SOON, Level.BLUE, message, days=days)


def _behind(task: Task, due: date, today: date, settings: RuleSettings) -> Alert | None:
    start = task.start or settings.plan_start
    if task.progress is None or not start < today <= due:
        return None
    # start < today <= due, so due - start > 0: no division by zero even when start == due.
    expected = (today - start).days / (due - start).days
    if expected - (task.progress + settings.alerts.behind_tolerance) <= _EPSILON:
        return None
    shown_expected, shown_actual = round(expected, 2), round(task.progress, 2)
    message = f"进度{task.progress:.0%}，低于序时进度{expected:.0%}"
    return Alert(AlertCode.BEHIND, Level.YELLOW, message, expected=shown_expected, actual=shown_actual)


def _stale(task: Task, identity: str | None, today: date, history: History) -> Alert | None:
    base = history.stale_base
    if base is None or identity is None or identity not in base.tasks:
        return None
    before = base.tasks[identity]
    if (before.status_text, before.progress, before.note) != (task.status_text, task.progress, task.note):
        return None
    days = (today - base.day).days
    message = f"本周无进展（{days}天来状态、进度和进展均未更新）"
    return Alert(AlertCode.STALE, Level.YELLOW, message, days=days)


def _review_due(identity: str | None, today: date, settings: RuleSettings, history: History) -> Alert | None:
    if not settings.alerts.review_after_days or identity is None or identity not in history.done_since:
        return None
    days = (today - history.done_since[identity]).days
    if not settings.alerts.review_after_days <= days < settings.alerts.review_after_days + REVIEW_WINDOW_DAYS:
        return None
    return Alert(AlertCode.REVIEW_DUE, Level.BLUE, f"已完成{days}天，请开展“回头看”", days=days)
