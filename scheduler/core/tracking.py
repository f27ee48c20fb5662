"""Week-over-week comparison and per-section figures. Pure: no I/O.

The office's weekly question is "what changed since last week, and who is behind?".
`compare` answers the first from two snapshots; `section_figures` the second, counting
each open task once under its worst colour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from scheduler.core.model import Alert, AlertCode, DeadlineKind, Level, Snapshot, Status, Task, TaskState
from scheduler.core.rules import RuleSettings

NO_SECTION = "（未填牵头单位）"
TOTAL = "合计"


def state_of(task: Task, identity: str) -> TaskState:
    return TaskState(
        identity=identity,
        key=task.key,
        sheet=task.sheet,
        no=task.no,
        title=task.title,
        lead=task.lead,
        status=task.status,
        status_text=task.status_text,
        progress=task.progress,
        note=task.note,
        deadline_kind=task.deadline.kind,
        deadline_date=task.deadline.date,
    )


def snapshot_of(tasks: Sequence[Task], identities: Mapping[str, str], day: date) -> Snapshot:
    states = (state_of(t, identities[t.key]) for t in tasks)
    return Snapshot(day=day, tasks={s.identity: s for s in states})


def done_since(
    history: Iterable[tuple[date, str, Status]], done_now: Iterable[str], today: date
) -> dict[str, date]:
    """Identity → the first day of its unbroken run of "done" that lasts until today.

    A task done now but not done (or not seen) in the last snapshot has been done since today.
    """
    run_start: dict[str, date] = {}
    for day, identity, status in history:
        if status is Status.DONE:
            run_start.setdefault(identity, day)
        else:
            run_start.pop(identity, None)
    return {identity: run_start.get(identity, today) for identity in done_now}


def overdue_on(state: TaskState, day: date, settings: RuleSettings) -> bool:
    """Was this task overdue on that day? The same rule as `rules._overdue`, for a snapshot."""
    return _overdue(state.status, state.deadline_kind, state.deadline_date, day, settings)


def _overdue(status: Status, kind: DeadlineKind, due: date | None, day: date, settings: RuleSettings) -> bool:
    if status is Status.DONE:
        return False
    if kind is DeadlineKind.IMMEDIATE:
        return settings.plan_start < day
    return kind is DeadlineKind.DATE and due is not None and due < day


@dataclass(frozen=True)
class ProgressChange:
    before: TaskState
    after: TaskState


@dataclass(frozen=True)
class Changes:
    baseline: date | None  # the snapshot compared against; None when there is none yet
    newly_done: list[TaskState] = field(default_factory=list)
    newly_overdue: list[TaskState] = field(default_factory=list)
    added: list[TaskState] = field(default_factory=list)
    removed: list[TaskState] = field(default_factory=list)
    progress: list[ProgressChange] = field(default_factory=list)
    stale: list[TaskState] = field(default_factory=list)


def compare(
    current: Snapshot, base: Snapshot | None, settings: RuleSettings, alerts: Mapping[str, Sequence[Alert]]
) -> Changes:
    """What changed between the baseline snapshot and now."""
    stale = [s for s in current.tasks.values() if _has(alerts, s.key, AlertCode.STALE)]
    if base is None:
        return Changes(baseline=None, stale=stale)
    changes = Changes(baseline=base.day, stale=stale)
    for identity, now in current.tasks.items():
        before = base.tasks.get(identity)
        if before is None:
            changes.added.append(now)
            continue
        if now.status is Status.DONE and before.status is not Status.DONE:
            changes.newly_done.append(now)
        if _has(alerts, now.key, AlertCode.OVERDUE) and not overdue_on(before, base.day, settings):
            changes.newly_overdue.append(now)
        if now.progress != before.progress:
            changes.progress.append(ProgressChange(before, now))
    changes.removed.extend(s for i, s in base.tasks.items() if i not in current.tasks)
    return changes


def _has(alerts: Mapping[str, Sequence[Alert]], key: str, code: AlertCode) -> bool:
    return any(a.code is code for a in alerts.get(key, ()))


@dataclass(frozen=True)
class SectionFigures:
    section: str
    total: int
    done: int
    open: int
    red: int
    yellow: int
    blue: int
    stale: int  # 本周无进展: a flag, counted apart from the lights
    escalated: int = 0  # 督办: overdue long enough to go to the leader; a flag, counted apart

    @property
    def completion_rate(self) -> float:
        return self.done / self.total if self.total else 0.0


_FIGURES = ("total", "done", "open", "red", "yellow", "blue", "stale", "escalated")


def section_figures(
    tasks: Sequence[Task], alerts: Mapping[str, Sequence[Alert]]
) -> tuple[list[SectionFigures], SectionFigures]:
    """Figures per lead section (a task with two lead sections counts in both), and the total,
    which counts every task once. Colours count open tasks by their worst warning."""
    import pandas as pd  # slow to import; only the weekly figures need it

    rows = [_figure_row(t, alerts) for t in tasks]
    frame = pd.DataFrame(rows, columns=["sections", *_FIGURES])
    by_section = frame.explode("sections").groupby("sections", sort=False)[list(_FIGURES)].sum()
    sections = [_figures(str(name), row) for name, row in by_section.iterrows()]
    total = _figures(TOTAL, frame[list(_FIGURES)].sum())
    return sections, total


def _figure_row(task: Task, alerts: Mapping[str, Sequence[Alert]]) -> list[object]:
    done = task.status is Status.DONE
    found = [] if done else list(alerts.get(task.key, ()))
    worst = min((a.level for a in found), key=lambda level: level.rank, default=None)
    return [
        list(task.lead or (NO_SECTION,)),
        1,
        int(done),
        int(not done),
        int(worst is Level.RED),
        int(worst is Level.YELLOW),
        int(worst is Level.BLUE),
        int(any(a.code is AlertCode.STALE for a in found)),
        int(any(a.escalate for a in found)),
    ]


def _figures(section: str, row: Mapping[str, Any]) -> SectionFigures:
    return SectionFigures(section, *(int(row[name]) for name in _FIGURES))


@dataclass(frozen=True)
class TrendPoint:
    day: date
    done: int
    open: int
    overdue: int


def trend(
    rows: Iterable[tuple[date, Status, DeadlineKind, date | None, int]],
    current: Snapshot,
    settings: RuleSettings,
) -> list[TrendPoint]:
    """Weekly counts over the whole history, one point per snapshot (the rows, grouped by
    status and deadline), ending with today, live, when today has no snapshot yet."""
    points: dict[date, list[int]] = {}
    for day, status, kind, due, count in rows:
        point = points.setdefault(day, [0, 0, 0])
        point[0 if status is Status.DONE else 1] += count
        point[2] += count if _overdue(status, kind, due, day, settings) else 0
    if current.day not in points:
        states = current.tasks.values()
        done = sum(1 for s in states if s.status is Status.DONE)
        overdue = sum(1 for s in states if overdue_on(s, current.day, settings))
        points[current.day] = [done, len(states) - done, overdue]
    return [TrendPoint(day, *point) for day, point in sorted(points.items()) if day <= current.day]


def done_by_section(snapshot: Snapshot) -> dict[str, int]:
    """How many tasks of each lead section (and in all, under 合计) were done in a snapshot:
    last week's side of the "change since last week" on the 汇总 sheet."""
    counts: dict[str, int] = {TOTAL: 0}
    for state in snapshot.tasks.values():
        done = state.status is Status.DONE
        counts[TOTAL] += done
        for section in state.lead or (NO_SECTION,):
            counts[section] = counts.get(section, 0) + done
    return counts
