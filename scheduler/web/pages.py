"""What the status page shows, worked out from the cached weekly view. Pure: no I/O.

The words follow the office summary and the section mail (the same labels, the same
"逾期N天" messages, the same ladder of colours); the templates only lay them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from scheduler.core.labels import STATUS_LABELS, chinese_date
from scheduler.core.model import Alert, Level, Problem, Status, Task
from scheduler.core.tracking import NO_SECTION, SectionFigures, TrendPoint
from scheduler.core.view import WarnedTask, WeeklyView
from scheduler.views.jsonout import alert_dict, deadline_dict
from scheduler.views.mail import GROUP_TITLES, clip, deadline_text, progress_text, reason_text

LIGHTS = (Level.RED, Level.YELLOW, Level.BLUE)


@dataclass(frozen=True)
class Segment:
    kind: str  # a CSS class: red, yellow, blue, open, done
    label: str
    count: int
    x: float  # in percent of the widest bar
    width: float


def bar(figures: SectionFigures, biggest: int) -> tuple[Segment, ...]:
    """A section's stacked bar in the ladder's colours, scaled to the largest section, as the
    office summary draws it: red, yellow, blue, other open tasks, then done."""
    parts = (
        ("red", "红色", figures.red),
        ("yellow", "黄色", figures.yellow),
        ("blue", "蓝色", figures.blue),
        ("open", "其他未完成", figures.open - figures.red - figures.yellow - figures.blue),
        ("done", "已完成", figures.done),
    )
    scale = 100 / (biggest or 1)
    segments, x = [], 0.0
    for kind, label, count in parts:
        if count > 0:
            segments.append(Segment(kind, label, count, x, count * scale))
            x += count * scale
    return tuple(segments)


def biggest(sections: Sequence[SectionFigures]) -> int:
    return max((f.total for f in sections), default=0)


def sections_of(task: Task) -> tuple[str, ...]:
    return task.lead or (NO_SECTION,)


@dataclass(frozen=True)
class TaskFacts:
    """One task as a section's mail shows it: deadline and days, progress against 序时进度,
    the latest note, the warnings and 督办."""

    task: Task
    alerts: tuple[Alert, ...] = ()

    @property
    def title(self) -> str:
        no = clip(self.task.no)
        return f"{no}. {clip(self.task.title)}" if no else clip(self.task.title)

    @property
    def sections(self) -> str:
        return clip("、".join(sections_of(self.task)))

    @property
    def deadline(self) -> str:
        return deadline_text(self.task, self.alerts)

    @property
    def progress(self) -> str:
        return progress_text(self.task, self.alerts)

    @property
    def status(self) -> str:
        return clip(self.task.status_text) or STATUS_LABELS[self.task.status]

    @property
    def note(self) -> str:
        return clip(self.task.note)

    @property
    def badges(self) -> tuple[tuple[str, str], ...]:
        """(CSS class, words): the task's light and why, its other warnings as details, in
        the mail's words, so that a fact is said once on a card."""
        if not self.alerts:
            return ()
        light = min(self.alerts, key=lambda a: a.level.rank).level
        return ((light.value, f"{light.label} · {reason_text(self.alerts)}"),)

    @property
    def escalated(self) -> bool:
        return any(a.escalate for a in self.alerts)

    @property
    def done(self) -> bool:
        return self.task.status is Status.DONE


def facts(item: WarnedTask) -> TaskFacts:
    return TaskFacts(item.task, item.alerts)


def red_and_escalated(view: WeeklyView) -> list[TaskFacts]:
    """The list the leaders ask for: overdue and 督办 tasks, the longest overdue first."""
    return [facts(w) for w in view.warned if w.light is Level.RED or w.escalated]


@dataclass(frozen=True)
class Group:
    key: str  # a CSS class
    title: str
    items: tuple[TaskFacts, ...]


def section_groups(view: WeeklyView, tasks: Iterable[Task], section: str) -> list[Group]:
    """A section's tasks light by light, as its mail groups them, then the rest: open tasks
    without warnings, then done ones."""
    warned = [w for w in view.warned if section in sections_of(w.task)]
    groups = []
    for level in LIGHTS:
        items = tuple(facts(w) for w in warned if w.light is level)
        if items:
            groups.append(Group(level.value, GROUP_TITLES[level], items))
    flagged = {w.task.key for w in warned}
    rest = [t for t in tasks if section in sections_of(t) and t.key not in flagged]
    rest.sort(key=lambda t: t.status is Status.DONE)  # stable: ledger order within each
    if rest:
        groups.append(Group("rest", "其他任务", tuple(TaskFacts(t) for t in rest)))
    return groups


def find_section(view: WeeklyView, name: str) -> SectionFigures | None:
    return next((f for f in view.sections if f.section == name), None)


# --- trend ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    kind: str
    label: str
    points: str  # "x,y x,y …" for an SVG polyline
    dots: tuple[tuple[float, float, str], ...]  # x, y, tooltip


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    bottom: int
    top: int
    lines: tuple[Line, ...]
    ticks: tuple[tuple[float, int], ...]  # y, value
    labels: tuple[tuple[float, str, str], ...]  # x, date, text-anchor (the ends stay inside)


CHART_SERIES = (("done", "已完成"), ("open", "未完成"), ("overdue", "逾期"))


def trend_chart(points: Sequence[TrendPoint], width: int = 400, height: int = 220) -> Chart:
    """A line chart of done, open and overdue per snapshot, laid out for an inline SVG."""
    left, right, top, bottom = 34, 12, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((max(p.done, p.open, p.overdue) for p in points), default=0)
    peak = max(peak, 1)
    step = plot_w / (len(points) - 1) if len(points) > 1 else 0

    def x(i: int) -> float:
        return round(left + (i * step if len(points) > 1 else plot_w / 2), 1)

    def y(value: int) -> float:
        return round(top + plot_h - value * plot_h / peak, 1)

    lines = []
    for kind, label in CHART_SERIES:
        values = [getattr(p, kind) for p in points]
        dots = tuple(
            (x(i), y(v), f"{chinese_date(p.day)} {label} {v} 项")
            for i, (p, v) in enumerate(zip(points, values, strict=True))
        )
        lines.append(Line(kind, label, " ".join(f"{dx},{dy}" for dx, dy, _ in dots), dots))
    ticks = tuple((y(v), v) for v in sorted({0, peak // 2, peak}))
    shown = _label_indexes(len(points))
    labels = tuple(
        (x(i), f"{points[i].day.month}月{points[i].day.day}日", _anchor(i, len(points))) for i in shown
    )
    return Chart(width, height, left, bottom, top, tuple(lines), ticks, labels)


def _anchor(index: int, count: int) -> str:
    if count < 2:
        return "middle"
    return "start" if index == 0 else "end" if index == count - 1 else "middle"


def _label_indexes(count: int, most: int = 6) -> list[int]:
    """Which points get a date under the axis: the first, the last, and evenly between."""
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return sorted({round(i * step) for i in range(most)})


# --- problems ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemRow:
    problem: Problem
    task: str  # the task on that row, "" when the row holds none


def problem_rows(problems: Sequence[Problem], tasks: Iterable[Task]) -> list[ProblemRow]:
    by_row = {(t.file, t.sheet, t.row): t for t in tasks}
    rows = []
    for p in problems:
        task = by_row.get((p.file, p.sheet, p.row))
        rows.append(ProblemRow(p, TaskFacts(task).title if task else ""))
    return rows


# --- JSON -------------------------------------------------------------------------------------


def figures_dict(f: SectionFigures, measured: bool = True) -> dict[str, Any]:
    """`stale` is null before there is a week-old snapshot to measure it against."""
    return {
        "section": f.section,
        "total": f.total,
        "done": f.done,
        "open": f.open,
        "red": f.red,
        "yellow": f.yellow,
        "blue": f.blue,
        "stale": f.stale if measured else None,
        "escalated": f.escalated,
        "completion_rate": round(f.completion_rate, 4),
    }


def _task_dict(task: Task) -> dict[str, Any]:
    return {
        "key": task.key,
        "sheet": task.sheet,
        "row": task.row,
        "no": task.no,
        "title": task.title,
        "lead": list(task.lead),
        "deadline": deadline_dict(task.deadline),
        "status": task.status.value,
        "progress": task.progress,
        "note": task.note,
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def view_dict(view: WeeklyView) -> dict[str, Any]:
    """The weekly view for other tools: the figures, warned tasks, changes, trend, problems."""
    return {
        "today": view.today.isoformat(),
        "office": view.office_name,
        "headline": view.headline_text,
        "baseline": _iso(view.baseline),
        "total": figures_dict(view.total, view.baseline is not None),
        "sections": [figures_dict(f, view.baseline is not None) for f in view.sections],
        "warned": [
            {
                **_task_dict(w.task),
                "light": w.light.value,
                "days": w.days,
                "escalated": w.escalated,
                "alerts": [alert_dict(a) for a in w.alerts],  # as `check --format json` has them
            }
            for w in view.warned
        ],
        "changes": {
            group.label: [
                {"no": i.state.no, "title": i.state.title, "lead": list(i.state.lead), "detail": i.detail}
                for i in group.items
            ]
            for group in view.changes
        },
        "trend": [
            {"day": p.day.isoformat(), "done": p.done, "open": p.open, "overdue": p.overdue}
            for p in view.trend
        ],
        "problems": [
            {
                "file": Path(
                    p.file
                ).name,  # where the ledger lies on this machine is not the viewers' business
                "sheet": p.sheet,
                "row": p.row,
                "column": p.column,
                "cell": p.cell,
                "value": p.value,
                "message": p.message,
            }
            for p in view.problems
        ],
    }
