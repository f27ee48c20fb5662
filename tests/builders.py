"""Build real .xlsx workbooks for tests, the way offices lay out their ledgers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from scheduler.core.model import Deadline, DeadlineKind, Status, Task

# A typical two-level header: 责任单位 over 牵头单位 | 配合单位, 整改情况 over three columns.
TOP = [
    "序号",
    "反馈问题",
    "具体问题",
    "整改措施",
    "责任领导",
    "责任单位",
    None,
    "完成时限",
    "整改情况",
    None,
    None,
]
SUB = [None, None, None, None, None, "牵头单位", "配合单位", None, "整改状态", "完成进度", "整改进展"]
TWO_LEVEL_MERGES = ["A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "F3:G3", "H3:H4", "I3:K3"]


@dataclass
class Sheet:
    rows: Sequence[Sequence[Any]]
    merges: Sequence[str] = ()
    formats: dict[str, str] = field(default_factory=dict)  # cell → number format
    hidden: bool = False


def write(path: Path, sheets: dict[str, Sheet]) -> Path:
    wb = Workbook()
    default = wb.active
    for name, spec in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(spec.rows, start=1):
            for c, value in enumerate(row, start=1):
                if isinstance(value, str) and value.startswith("'"):
                    # As typed in Excel: a leading apostrophe makes "=…" plain text.
                    ws.cell(row=r, column=c, value=value[1:]).data_type = "s"
                elif value is not None:
                    ws.cell(row=r, column=c, value=value)
        for ref in spec.merges:
            ws.merge_cells(ref)
        for ref, fmt in spec.formats.items():
            ws[ref].number_format = fmt
        if spec.hidden:
            ws.sheet_state = "hidden"
    if default is not None:
        wb.remove(default)
    wb.save(path)
    return path


def ledger(rows: Sequence[Sequence[Any]], merges: Sequence[str] = (), **kw: Any) -> Sheet:
    """A ledger sheet with a title, a 填报 line and the two-level header; data from row 5."""
    head: list[Sequence[Any]] = [
        ["沅江分局专项巡察整改任务台账"],
        ["填报单位：整改办    填报时间：2025年6月20日"],
        TOP,
        SUB,
    ]
    return Sheet(rows=[*head, *rows], merges=["A1:K1", "A2:K2", *TWO_LEVEL_MERGES, *merges], **kw)


def row(
    no: Any = 1,
    title: str = "问题",
    lead: str = "大气环境股",
    deadline: Any = "2025年6月30日",
    status: str = "正在推进",
    progress: Any = 0.5,
    *,
    category: str = "类别",
    measures: str = "措施",
    leader: str = "李红梅",
    support: str = "",
    note: str = "进展",
) -> list[Any]:
    """One data row in the column order of `ledger`."""
    return [no, category, title, measures, leader, lead, support, deadline, status, progress, note]


def task(
    key: str = "整改台账!5",
    *,
    no: str = "1",
    title: str = "问题",
    lead: tuple[str, ...] = ("大气环境股",),
    deadline: date | str | None = None,
    status: str = "open",
    progress: float | None = None,
    start: date | None = None,
    status_text: str = "正在推进",
    note: str = "进展",
) -> Task:
    """A Task as the reader makes it, for tests of the pure core."""
    if isinstance(deadline, date):
        due = Deadline(DeadlineKind.DATE, deadline, deadline.isoformat())
    elif deadline == "ongoing":
        due = Deadline(DeadlineKind.ONGOING, None, "长期坚持")
    elif deadline == "immediate":
        due = Deadline(DeadlineKind.IMMEDIATE, None, "立行立改")
    else:
        due = Deadline(DeadlineKind.UNKNOWN, None, deadline or "")
    sheet, row = key.rsplit("!", 1)
    return Task(
        key=key,
        file="台账.xlsx",
        sheet=sheet.rsplit(":", 1)[-1],
        row=int(row),
        no=no,
        category="",
        title=title,
        measures="",
        leader="李红梅",
        lead=lead,
        support=(),
        owner="",
        start=start,
        deadline=due,
        status=Status(status),
        status_text=status_text,
        progress=progress,
        note=note,
        remarks="",
    )
