"""What the commands print for people: Chinese tables and cards (JSON is in jsonout.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scheduler.core.labels import STATUS_LABELS, chinese_date, deadline_label, percent
from scheduler.core.model import Alert, Level, Problem, Status, Task
from scheduler.core.tracking import NO_SECTION
from scheduler.core.view import COUNTING_RULE, FIGURE_HEAD, WeeklyView

if TYPE_CHECKING:
    from scheduler.core.assess import Assessment

LEVEL_STYLES = {"red": "bold red", "yellow": "yellow", "blue": "blue"}


# --- check ---------------------------------------------------------------------------------


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
