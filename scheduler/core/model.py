"""Plain data that flows through a run: tasks read from the ledger and the problems found there."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

# What a workbook cell can hold once read: text, a number, a date or time, or nothing.
CellValue = str | int | float | bool | date | datetime | time | timedelta | None


class DeadlineKind(enum.StrEnum):
    DATE = "date"
    ONGOING = "ongoing"  # 长期坚持, 常态化 …: no date, never overdue
    IMMEDIATE = "immediate"  # 立行立改: due on the day the plan started
    UNKNOWN = "unknown"  # text we could not read; reported as a problem


@dataclass(frozen=True, slots=True)
class Deadline:
    kind: DeadlineKind
    date: date | None
    text: str


class RunMode(enum.StrEnum):
    """The weekly run does everything; the daily one sends only new red and blue warnings."""

    WEEKLY = "weekly"
    DAILY = "daily"


class Status(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    ONGOING = "ongoing"


# Canonical fields of a ledger row, in the order a ledger usually has them.
FIELDS: tuple[str, ...] = (
    "no",
    "category",
    "title",
    "measures",
    "leader",
    "lead",
    "support",
    "owner",
    "start",
    "deadline",
    "status",
    "progress",
    "note",
    "remarks",
)

FIELD_LABELS: dict[str, str] = {
    "no": "序号",
    "category": "问题类别",
    "title": "具体问题",
    "measures": "整改措施",
    "leader": "责任领导",
    "lead": "牵头单位",
    "support": "配合单位",
    "owner": "责任人",
    "start": "开始时间",
    "deadline": "完成时限",
    "status": "整改状态",
    "progress": "完成进度",
    "note": "整改进展",
    "remarks": "备注",
}


@dataclass(slots=True)  # not frozen: see the docstring
class Task:
    """One row of the ledger, read and understood. Nothing changes a task once the reader has
    made it; it is not frozen only because a frozen one costs five times as much to build,
    and `check` on a 50,000-row ledger builds fifty thousand of them."""

    key: str  # "<sheet>!<row>": where the task is now, not who it is across weeks
    file: str
    sheet: str
    row: int  # 1-based, as Excel shows it
    no: str
    category: str
    title: str
    measures: str
    leader: str
    lead: tuple[str, ...]
    support: tuple[str, ...]
    owner: str
    start: date | None
    deadline: Deadline
    status: Status
    status_text: str
    progress: float | None  # 0..1
    note: str
    remarks: str


@dataclass(frozen=True, slots=True)
class Problem:
    """A cell (or row) of the ledger that could not be understood. Never stops a run."""

    file: str
    sheet: str
    row: int
    column: str  # the header text, as the office wrote it
    cell: str  # "F24", so the office finds it at once
    value: str
    message: str


@dataclass(frozen=True, slots=True)
class Ledger:
    """Everything read from the configured ledger files."""

    tasks: tuple[Task, ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...] = field(default=())
    contacts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # from a 联系人 sheet


class Level(enum.StrEnum):
    """The three colours of 三色督办, worst first."""

    RED = "red"
    YELLOW = "yellow"
    BLUE = "blue"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]

    @property
    def label(self) -> str:
        return _LEVEL_LABEL[self]


_LEVEL_RANK = {Level.RED: 0, Level.YELLOW: 1, Level.BLUE: 2}
_LEVEL_LABEL = {Level.RED: "红色", Level.YELLOW: "黄色", Level.BLUE: "蓝色"}


class AlertCode(enum.StrEnum):
    OVERDUE = "overdue"  # red: past its deadline
    BEHIND = "behind_schedule"  # yellow: progress below 序时进度
    STALE = "stale"  # yellow: 本周无进展
    DUE_SOON = "due_soon"  # blue: the deadline is near
    REVIEW_DUE = "review_due"  # blue: time to look back at a finished item (回头看)


@dataclass(frozen=True, slots=True)
class Alert:
    """One warning about one task on one day."""

    code: AlertCode
    level: Level
    message: str
    days: int | None = None
    expected: float | None = None
    actual: float | None = None
    escalate: bool = False  # overdue long enough to go to the responsible leader (督办)


@dataclass(frozen=True, slots=True)
class TaskState:
    """What a snapshot remembers of a task: enough to compare weeks and to count trends."""

    identity: str
    key: str
    sheet: str
    no: str
    title: str
    lead: tuple[str, ...]
    status: Status
    status_text: str
    progress: float | None
    note: str
    deadline_kind: DeadlineKind
    deadline_date: date | None


@dataclass(frozen=True)
class Snapshot:
    """The state of every task on one day, by identity."""

    day: date
    tasks: dict[str, TaskState]


@dataclass(frozen=True)
class SentItem:
    """One warning carried by a message to one audience ("section:大气环境股", "office" …)."""

    audience: str
    identity: str
    code: str
    level: str
    escalate: bool
    day: date
