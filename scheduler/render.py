"""What `taizhang check` prints: JSON for scripts, a Chinese table for people."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from scheduler.model import DeadlineKind, Ledger, Problem, Status, Task

STATUS_LABELS = {Status.OPEN: "未完成", Status.DONE: "已完成", Status.ONGOING: "持续推进"}
NO_SECTION = "（未填牵头单位）"


def write_check_json(
    out: TextIO, today: date, ledger: Ledger, alerts: Mapping[str, Sequence[Mapping[str, Any]]]
) -> None:
    """The stable JSON contract of `taizhang check --format json`, one object on one line.

    Written task by task: a 50,000-row ledger would otherwise hold every dict and the whole
    text in memory at once."""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    out.write(f'{{"today": {dumps(today.isoformat())}, "tasks": [')
    for index, task in enumerate(ledger.tasks):
        out.write((", " if index else "") + dumps(task_dict(task, alerts.get(task.key, ()))))
    out.write('], "problems": ')
    out.write(dumps([problem_dict(p) for p in ledger.problems]))
    out.write("}\n")


def task_dict(task: Task, alerts: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    deadline = task.deadline
    return {
        "key": task.key,
        "sheet": task.sheet,
        "row": task.row,
        "no": task.no,
        "category": task.category,
        "title": task.title,
        "lead": list(task.lead),
        "support": list(task.support),
        "leader": task.leader,
        "deadline": {
            "kind": deadline.kind.value,
            "date": deadline.date.isoformat() if deadline.date else None,
            "text": deadline.text,
        },
        "status": task.status.value,
        "progress": task.progress,
        "alerts": list(alerts),
    }


def problem_dict(problem: Problem) -> dict[str, Any]:
    return {
        "file": problem.file,
        "sheet": problem.sheet,
        "row": problem.row,
        "column": problem.column,
        "cell": problem.cell,
        "value": problem.value,
        "message": problem.message,
    }


def check_table(
    console: Console,
    today: date,
    ledger: Ledger,
    alerts: Mapping[str, Sequence[Mapping[str, Any]]],
) -> None:
    """Tasks grouped by lead section, then the ledger's data problems."""
    console.print(f"[bold]整改任务台账检查[/bold]（{chinese_date(today)}）")
    for path in ledger.files:
        console.print(f"台账文件：{path}")
    console.print(f"共 {len(ledger.tasks)} 项任务，{len(ledger.problems)} 处数据问题。\n")
    console.print(_task_table(ledger.tasks, alerts))
    if ledger.problems:
        console.print(_problem_table(ledger.problems))
    else:
        console.print("未发现数据问题。")


def by_section(tasks: Sequence[Task]) -> dict[str, list[Task]]:
    """Tasks under each lead section, in order of first appearance; a task with several
    lead sections is listed under each of them."""
    groups: dict[str, list[Task]] = {}
    for task in tasks:
        for section in task.lead or (NO_SECTION,):
            groups.setdefault(section, []).append(task)
    return groups


def _task_table(tasks: Sequence[Task], alerts: Mapping[str, Sequence[Mapping[str, Any]]]) -> Table:
    table = Table(title="按牵头单位列出的任务", title_justify="left")
    for name, options in (
        ("牵头单位", {"no_wrap": True}),
        ("序号", {"no_wrap": True}),
        ("具体问题", {"max_width": 36}),
        ("完成时限", {"no_wrap": True}),
        ("状态", {"no_wrap": True}),
        ("进度", {"no_wrap": True, "justify": "right"}),
        ("预警", {}),
    ):
        table.add_column(name, **options)
    for section, group in by_section(tasks).items():
        done = sum(1 for t in group if t.status is Status.DONE)
        for index, task in enumerate(group):
            label = f"{section}\n（{len(group)}项，完成{done}项）" if index == 0 else ""
            warnings = "；".join(str(a.get("message", "")) for a in alerts.get(task.key, ()))
            table.add_row(
                label,
                task.no or "—",
                task.title or "（空）",
                deadline_label(task),
                STATUS_LABELS[task.status],
                percent(task.progress),
                warnings or "—",
            )
        table.add_section()
    return table


def _problem_table(problems: Sequence[Problem]) -> Table:
    table = Table(title=f"数据问题（{len(problems)}处，请在台账中修正）", title_justify="left")
    for name in ("工作表", "单元格", "列", "内容", "问题"):
        table.add_column(name)
    for p in problems:
        table.add_row(p.sheet, p.cell, p.column, p.value or "（空）", p.message)
    return table


def deadline_label(task: Task) -> str:
    deadline = task.deadline
    if deadline.kind is DeadlineKind.DATE and deadline.date:
        return chinese_date(deadline.date)
    if deadline.kind is DeadlineKind.ONGOING:
        return "长期坚持"
    if deadline.kind is DeadlineKind.IMMEDIATE:
        return "立行立改"
    return f"无法识别（{deadline.text}）" if deadline.text else "未填写"


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def percent(progress: float | None) -> str:
    return "—" if progress is None else f"{progress * 100:.0f}%"
