"""The machine-readable outputs: `check --format json` and `week --format json`.

Kept apart from the terminal tables so that a script reading JSON does not wait for rich to
load (a fiftieth of a second on every call)."""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import lru_cache
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from scheduler.core.model import Alert, Deadline, Problem, Task, TaskState
from scheduler.core.tracking import SectionFigures
from scheduler.core.view import ChangeItem, WeeklyView

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scheduler.core.assess import Assessment

JSON_BLOCK = 2000


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
        "deadline": deadline_dict(task.deadline),
        "status": task.status,
        "progress": task.progress,
        "alerts": [alert_dict(a) for a in alerts],
        "light": alerts[0].level if alerts else None,
    }


@lru_cache(maxsize=4096)
def deadline_dict(deadline: Deadline) -> dict[str, Any]:
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
