"""How dates, deadlines, progress and statuses read in Chinese, wherever people see them."""

from __future__ import annotations

from datetime import date, datetime

from scheduler.core.model import DeadlineKind, Level, Status, Task

STATUS_LABELS = {Status.OPEN: "未完成", Status.DONE: "已完成", Status.ONGOING: "持续推进"}
LEVEL_NAMES = {Level.RED: "红色预警", Level.YELLOW: "黄色预警", Level.BLUE: "蓝色预警"}


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_moment(moment: datetime) -> str:
    """A time as the office writes it: 2025年6月16日 09:00 (in the zone the moment is in)."""
    return f"{chinese_date(moment.date())} {moment:%H:%M}"


def month_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


def percent(progress: float | None) -> str:
    return "—" if progress is None else f"{progress * 100:.0f}%"


def deadline_label(task: Task) -> str:
    deadline = task.deadline
    if deadline.kind is DeadlineKind.DATE and deadline.date:
        return chinese_date(deadline.date)
    if deadline.kind is DeadlineKind.ONGOING:
        return "长期坚持"
    if deadline.kind is DeadlineKind.IMMEDIATE:
        return "立行立改"
    return f"无法识别（{deadline.text}）" if deadline.text else "未填写"
