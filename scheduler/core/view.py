"""The weekly view: every fact a person reads about one week, computed once.

The terminal (`taizhang week`), the office summary mail, the report workbook, the status
page and the 通报 draft all render this object and compute nothing of their own, so the
same fact reads the same, and counts the same, wherever it appears.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from scheduler.core.assess import Assessment
from scheduler.core.history import History
from scheduler.core.labels import chinese_date, percent
from scheduler.core.model import Alert, AlertCode, DeadlineKind, Level, Problem, Task, TaskState
from scheduler.core.rules import RuleSettings
from scheduler.core.tracking import (
    Changes,
    SectionFigures,
    TrendPoint,
    compare,
    done_by_section,
    section_figures,
    trend,
)

# Headline fragments carry a tone, so that mail and page can colour the figures while the
# words stay the same everywhere: "" plain, "strong", or a level's value ("red" …).
Fragment = tuple[str, str]


@dataclass(frozen=True)
class ChangeItem:
    state: TaskState
    before: TaskState | None = None  # for a progress change: the task a week ago

    @property
    def detail(self) -> str:
        """ "60% → 80%" for a progress change."""
        if self.before is None:
            return ""
        return f"{percent(self.before.progress)} → {percent(self.state.progress)}"

    @property
    def name(self) -> str:
        lead = "、".join(self.state.lead) or "未填牵头单位"
        return f"{self.state.no or '—'}.{self.state.title}（{lead}）"


@dataclass(frozen=True)
class ChangeGroup:
    label: str
    items: tuple[ChangeItem, ...]


# The columns of the per-section figures, as every table of them is headed. A task counts
# once, by its light; 无进展 and 督办 are flags, counted apart.
FIGURE_HEAD = ("牵头单位", "任务", "完成", "红", "黄", "蓝", "无进展", "督办", "完成率")
COUNTING_RULE = "每项未完成的任务按最严重的颜色计一次；无进展、督办另行统计。"

# The change groups, in the order every output lists them.
CHANGE_LABELS = ("新完成", "新逾期", "新增任务", "移除任务", "本周无进展", "进度变化")


@dataclass(frozen=True)
class WarnedTask:
    """One open task with warnings: its light (the worst colour) and every warning."""

    task: Task
    alerts: tuple[Alert, ...]

    @property
    def light(self) -> Level:
        return min((a.level for a in self.alerts), key=lambda level: level.rank)

    @property
    def escalated(self) -> bool:
        return any(a.escalate for a in self.alerts)

    @property
    def days(self) -> int | None:
        """Days overdue, or days left, from the dated warning."""
        dated = [a.days for a in self.alerts if a.code in (AlertCode.OVERDUE, AlertCode.DUE_SOON)]
        return dated[0] if dated else None

    @property
    def expected(self) -> float | None:
        behind = next((a for a in self.alerts if a.code is AlertCode.BEHIND), None)
        return behind.expected if behind else None


@dataclass(frozen=True)
class Failure:
    """A message the server refused, for the office."""

    subject: str
    addresses: tuple[str, ...]
    error: str


@dataclass(frozen=True)
class Unrouted:
    """A section with warnings and no address: the office forwards them."""

    section: str
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class WeeklyView:
    today: date
    office_name: str
    sections: tuple[SectionFigures, ...]
    total: SectionFigures
    baseline: date | None  # the snapshot compared against; None before there is one
    changes: tuple[ChangeGroup, ...]  # only groups with items, in CHANGE_LABELS order
    warned: tuple[WarnedTask, ...]  # red, yellow, blue; the most urgent first in each
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()  # for the office: skipped runs, calendar gaps, lost history …
    failures: tuple[Failure, ...] = ()
    unrouted: tuple[Unrouted, ...] = ()
    trend: tuple[TrendPoint, ...] = ()
    done_last_week: Mapping[str, int] | None = None  # section → done a week ago
    tasks: tuple[Task, ...] = ()  # every task, in ledger order: for what names a task by its place

    @property
    def headline(self) -> tuple[Fragment, ...]:
        t = self.total
        return (
            (f"截至{chinese_date(self.today)}，台账共 ", ""),
            (str(t.total), "strong"),
            (" 项整改任务，已完成 ", ""),
            (str(t.done), "strong"),
            (f" 项（完成率 {percent(t.completion_rate)}），未完成 {t.open} 项，其中", ""),
            (f"红色 {t.red} 项", Level.RED.value),
            ("、", ""),
            (f"黄色 {t.yellow} 项", Level.YELLOW.value),
            ("、", ""),
            (f"蓝色 {t.blue} 项", Level.BLUE.value),
            (f"，本周无进展 {self.stale_count(t)}。", ""),
        )

    def figure_cells(self, f: SectionFigures) -> tuple[str, ...]:
        """One row of FIGURE_HEAD, as text."""
        stale = str(f.stale) if self.baseline is not None else "—"  # not measured yet
        counts = (f.total, f.done, f.red, f.yellow, f.blue)
        return (f.section, *map(str, counts), stale, str(f.escalated), percent(f.completion_rate))

    def stale_count(self, figures: SectionFigures) -> str:
        """本周无进展 is measured against a snapshot a week old: before there is one, "—"."""
        return f"{figures.stale} 项" if self.baseline is not None else "—"

    @property
    def headline_text(self) -> str:
        return "".join(text for text, _ in self.headline)

    @property
    def changes_intro(self) -> str:
        if self.baseline is None:
            return "还没有一周以前的快照：本周无进展和本周变化下周起才有，暂以“—”表示。"
        if not self.changes:
            return f"与{chinese_date(self.baseline)}相比没有变化。"
        return f"与{chinese_date(self.baseline)}的快照比较。"


def change_groups(changes: Changes) -> tuple[ChangeGroup, ...]:
    if changes.baseline is None:
        return ()
    groups = {
        "新完成": [ChangeItem(s) for s in changes.newly_done],
        "新逾期": [ChangeItem(s) for s in changes.newly_overdue],
        "新增任务": [ChangeItem(s) for s in changes.added],
        "移除任务": [ChangeItem(s) for s in changes.removed],
        "本周无进展": [ChangeItem(s) for s in changes.stale],
        "进度变化": [ChangeItem(c.after, c.before) for c in changes.progress],
    }
    return tuple(ChangeGroup(label, tuple(groups[label])) for label in CHANGE_LABELS if groups[label])


def warned_tasks(tasks: Sequence[Task], alerts: Mapping[str, Sequence[Alert]]) -> tuple[WarnedTask, ...]:
    warned = [WarnedTask(t, tuple(alerts[t.key])) for t in tasks if alerts.get(t.key)]
    return tuple(sorted(warned, key=urgency))


def urgency(item: WarnedTask) -> tuple[int, date, tuple[int, int, str]]:
    """Red → yellow → blue, and within a colour the most urgent first."""
    return (item.light.rank, *task_urgency(item.task))


def task_urgency(task: Task) -> tuple[date, tuple[int, int, str]]:
    """The earliest deadline first (so the longest overdue, and the nearest due); tasks with
    no date (长期坚持) last; then by 序号, 2 before 10."""
    due = task.deadline.date if task.deadline.kind is DeadlineKind.DATE and task.deadline.date else None
    if task.deadline.kind is DeadlineKind.IMMEDIATE:
        due = date.min  # due the day the plan started: before any dated deadline
    number = task.no.strip()
    order = (0, int(number), "") if number.isascii() and number.isdigit() else (1, 0, number)
    return (due or date.max, order)


def weekly_view(
    office_name: str,
    assessment: Assessment,
    history: History,
    settings: RuleSettings,
    *,
    notes: Sequence[str] = (),
    failures: Sequence[Failure] = (),
    unrouted: Sequence[Unrouted] = (),
) -> WeeklyView:
    """The week as every output shows it. Pure: the assessment and history are given."""
    tasks, alerts = assessment.ledger.tasks, assessment.alerts
    current = assessment.snapshot()
    sections, total = section_figures(tasks, alerts)
    baseline = history.baseline
    changes = compare(current, baseline, settings, alerts)
    return WeeklyView(
        today=assessment.today,
        office_name=office_name,
        sections=tuple(sections),
        total=total,
        baseline=baseline.day if baseline else None,
        changes=change_groups(changes),
        warned=warned_tasks(tasks, alerts),
        problems=assessment.ledger.problems,
        notes=tuple(notes),
        failures=tuple(failures),
        unrouted=tuple(unrouted),
        trend=tuple(trend(history.trend, current, settings)),
        done_last_week=done_by_section(baseline) if baseline else None,
        tasks=tuple(tasks),
    )
