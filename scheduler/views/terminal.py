"""What the commands print: JSON for scripts, Chinese tables for people."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from functools import lru_cache
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scheduler.core.labels import STATUS_LABELS, chinese_date, deadline_label, percent
from scheduler.core.model import Alert, Deadline, Level, Problem, Status, Task, TaskState
from scheduler.core.tracking import NO_SECTION, SectionFigures
from scheduler.core.view import COUNTING_RULE, FIGURE_HEAD, ChangeItem, WeeklyView

if TYPE_CHECKING:
    from scheduler.core.assess import Assessment

JSON_BLOCK = 2000
LEVEL_STYLES = {"red": "bold red", "yellow": "yellow", "blue": "blue"}


# --- check ---------------------------------------------------------------------------------


def write_check_json(out: BinaryIO, assessment: Assessment) -> None:
    """The stable JSON contract of `taizhang check --format json`, one object on one line.

    Written a block of tasks at a time: a 50,000-row ledger would otherwise hold every dict
    and the whole text in memory at once. orjson encodes several times faster than the
    standard library, which made up a sixth of a big ledger's `check`."""
    alerts = assessment.alerts
    tasks = assessment.ledger.tasks
    out.write(b'{"today":' + orjson.dumps(assessment.today.isoformat()) + b',"tasks":[')
    for start in range(0, len(tasks), JSON_BLOCK):
        block = [task_dict(t, alerts.get(t.key, ())) for t in tasks[start : start + JSON_BLOCK]]
        out.write((b"," if start else b"") + orjson.dumps(block)[1:-1])
    out.write(b'],"problems":')
    out.write(orjson.dumps([problem_dict(p) for p in assessment.ledger.problems]))
    out.write(b"}\n")


def task_dict(task: Task, alerts: Sequence[Alert] = ()) -> dict[str, Any]:
    # Runs once per row of a big ledger: tuples and enums encode as they are, and the deadline
    # and alert dicts repeat, so each is made once. Alerts come worst first (rules.assess).
    return {
        "key": task.key,
        "sheet": task.sheet,
        "row": task.row,
        "no": task.no,
        "category": task.category,
        "title": task.title,
        "lead": task.lead,
        "support": task.support,
        "leader": task.leader,
        "deadline": _deadline_dict(task.deadline),
        "status": task.status,
        "progress": task.progress,
        "alerts": [alert_dict(a) for a in alerts],
        "light": alerts[0].level if alerts else None,
    }


@lru_cache(maxsize=4096)
def _deadline_dict(deadline: Deadline) -> dict[str, Any]:
    return {
        "kind": deadline.kind,
        "date": deadline.date.isoformat() if deadline.date else None,
        "text": deadline.text,
    }


@lru_cache(maxsize=4096)
def alert_dict(alert: Alert) -> dict[str, Any]:
    found: dict[str, Any] = {"code": alert.code.value, "level": alert.level.value}
    if alert.days is not None:
        found["days"] = alert.days
    if alert.expected is not None:
        found["expected"] = alert.expected
    if alert.actual is not None:
        found["actual"] = alert.actual
    if alert.escalate:
        found["escalate"] = True
    found["message"] = alert.message
    return found


def problem_dict(problem: Problem) -> dict[str, Any]:
    return asdict(problem)


WIDE = 120  # columns from which `check` lists tasks as a table; narrower, as cards


def check_table(console: Console, assessment: Assessment) -> None:
    """Tasks grouped by lead section, then the ledger's data problems. Nothing is cut: on a
    narrow terminal each task is a short block of wrapped lines instead of a table row."""
    ledger = assessment.ledger
    console.print(f"[bold]整改任务台账检查[/bold]（{chinese_date(assessment.today)}）")
    for path in ledger.files:
        console.print(f"台账文件：{escape(path)}")
    console.print(_check_totals(ledger.tasks, assessment.alerts, len(ledger.problems)) + "\n")
    if console.width >= WIDE:
        console.print(_task_table(ledger.tasks, assessment))
    else:
        _task_cards(console, ledger.tasks, assessment)
    if ledger.problems:
        _problems(console, ledger.problems)
    else:
        console.print("未发现数据问题。")


def _check_totals(tasks: Sequence[Task], alerts: Mapping[str, Sequence[Alert]], problems: int) -> str:
    lights = Counter(light_of(alerts[t.key]) for t in tasks if alerts.get(t.key))
    counts = "、".join(f"{level.label}{lights[level]}项" for level in Level)
    warned = sum(lights.values())
    rule = COUNTING_RULE.rstrip("。")
    return f"共{len(tasks)}项任务，有预警的{warned}项：{counts}（{rule}）。\n数据问题{problems}处。"


def light_of(alerts: Sequence[Alert]) -> Level:
    return min((a.level for a in alerts), key=lambda level: level.rank)


def _task_cards(console: Console, tasks: Sequence[Task], assessment: Assessment) -> None:
    for section, group in by_section(tasks).items():
        done = sum(1 for t in group if t.status is Status.DONE)
        console.print(f"[bold]{escape(section)}[/bold]（{len(group)}项，完成{done}项）")
        for task in group:
            console.print(f"  {escape(task.no) or '—'}. {escape(task.title) or '（空）'}")
            status = f"{STATUS_LABELS[task.status]}，进度 {percent(task.progress)}"
            console.print(f"     完成时限：{escape(deadline_label(task))}；{status}")
            for alert in assessment.alerts.get(task.key, ()):
                console.print(f"     {_alert_text(alert)}")
        console.print()


def by_section(tasks: Sequence[Task]) -> dict[str, list[Task]]:
    """Tasks under each lead section, in order of first appearance; a task with several
    lead sections is listed under each of them."""
    groups: dict[str, list[Task]] = {}
    for task in tasks:
        for section in task.lead or (NO_SECTION,):
            groups.setdefault(section, []).append(task)
    return groups


def _task_table(tasks: Sequence[Task], assessment: Assessment) -> Table:
    table = Table(title="按牵头单位列出的任务", title_justify="left")
    for name, options in (
        ("牵头单位", {"overflow": "fold"}),
        ("序号", {"no_wrap": True}),
        ("具体问题", {"max_width": 36, "overflow": "fold"}),
        ("完成时限", {"no_wrap": True}),
        ("状态", {"no_wrap": True}),
        ("进度", {"no_wrap": True, "justify": "right"}),
        ("预警", {"overflow": "fold", "min_width": 24}),
    ):
        table.add_column(name, **options)
    for section, group in by_section(tasks).items():
        done = sum(1 for t in group if t.status is Status.DONE)
        for index, task in enumerate(group):
            label = f"{escape(section)}\n（{len(group)}项，完成{done}项）" if index == 0 else ""
            table.add_row(
                label,
                escape(task.no) or "—",
                escape(task.title) or "（空）",
                escape(deadline_label(task)),
                STATUS_LABELS[task.status],
                percent(task.progress),
                _alerts_cell(assessment.alerts.get(task.key, ())),
            )
        table.add_section()
    return table


def _alerts_cell(alerts: Sequence[Alert]) -> str:
    if not alerts:
        return "—"
    return "\n".join(_alert_text(a) for a in alerts)


def _alert_text(alert: Alert) -> str:
    return f"[{LEVEL_STYLES[alert.level.value]}]{alert.level.label}[/]：{escape(alert.message)}"


def _problems(console: Console, problems: Sequence[Problem]) -> None:
    """One wrapped line per problem: a table would cut the message at 80 columns."""
    console.print(f"[bold]数据问题（{len(problems)}处，请在台账中修正）[/bold]")
    for p in problems:
        line = f"  {p.sheet}（{p.cell}，{p.column}）“{p.value or '空'}”：{p.message}"
        console.print(escape(line))  # ledger text is data, never markup


# --- week ----------------------------------------------------------------------------------


CHANGE_KEYS = {
    "新完成": "newly_done",
    "新逾期": "newly_overdue",
    "新增任务": "added",
    "移除任务": "removed",
    "本周无进展": "stale",
    "进度变化": "progress",
}


def week_json(view: WeeklyView) -> str:
    changes: dict[str, list[dict[str, Any]]] = {key: [] for key in CHANGE_KEYS.values()}
    for group in view.changes:
        changes[CHANGE_KEYS[group.label]] = [_change_dict(item) for item in group.items]
    payload = {
        "today": view.today.isoformat(),
        "baseline": view.baseline.isoformat() if view.baseline else None,
        "sections": [figures_dict(f) for f in view.sections],
        "total": figures_dict(view.total),
        "changes": changes,
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def _change_dict(item: ChangeItem) -> dict[str, Any]:
    found = state_dict(item.state)
    if item.before is not None:
        found.update(before=item.before.progress, after=item.state.progress)
    return found


def figures_dict(f: SectionFigures) -> dict[str, Any]:
    return {**asdict(f), "completion_rate": round(f.completion_rate, 4)}


def state_dict(state: TaskState) -> dict[str, Any]:
    return {"key": state.key, "no": state.no, "title": state.title, "lead": list(state.lead)}


def week_table(console: Console, view: WeeklyView) -> None:
    console.print(f"[bold]整改任务周跟踪[/bold]（{chinese_date(view.today)}）")
    console.print(escape(view.headline_text))
    console.print(escape(view.changes_intro) + "\n")
    console.print(_figures_table(view))
    console.print(COUNTING_RULE)
    for group in view.changes:
        console.print(f"\n[bold]{group.label}（{len(group.items)}项）[/bold]")
        for item in group.items:
            line = f"{item.name}：{item.detail}" if item.detail else item.name
            console.print(f"  {escape(line)}")


def _figures_table(view: WeeklyView) -> Table:
    """Fits 80 columns: light borders, and a long section name wraps instead of being cut."""
    table = Table(title="各牵头单位情况", title_justify="left", show_footer=True, box=box.SIMPLE_HEAD)
    footer = view.figure_cells(view.total)
    for index, name in enumerate(FIGURE_HEAD):
        if index == 0:
            table.add_column(name, footer=escape(footer[0]), overflow="fold", min_width=8)
        else:
            table.add_column(name, footer=footer[index], justify="right", no_wrap=True)
    for figures in view.sections:
        cells = view.figure_cells(figures)
        table.add_row(escape(cells[0]), *cells[1:])
    return table
