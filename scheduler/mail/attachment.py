"""A section's rows of the ledger as a small .xlsx, attached to its warning email."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.labels import STATUS_LABELS, deadline_label, percent
from scheduler.mail.layout import clip
from scheduler.mail.names import safe_sheet_title
from scheduler.model import Alert, Task

HEADER = (
    "序号",
    "具体问题",
    "整改措施",
    "牵头单位",
    "配合单位",
    "完成时限",
    "整改状态",
    "完成进度",
    "整改进展",
    "预警",
)
WIDTHS = (6, 36, 40, 14, 18, 16, 10, 9, 40, 30)
EXCEL_CELL_LIMIT = 32767
FILLS = {"red": "FFF1F0", "yellow": "FFFBE6", "blue": "E6F4FF"}


def section_workbook(section: str, tasks: Sequence[Task], alerts: Mapping[str, Sequence[Alert]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = safe_sheet_title(section, "整改任务")
    ws.append(HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for task in tasks:
        found = alerts.get(task.key, ())
        append_text_row(ws, [
            task.no, task.title, task.measures, "、".join(task.lead), "、".join(task.support),
            deadline_label(task), task.status_text or STATUS_LABELS[task.status], percent(task.progress),
            task.note, "；".join(a.message for a in found),
        ])  # fmt: skip
        if found:
            worst = min(found, key=lambda a: a.level.rank)
            for cell in ws[ws.max_row]:
                cell.fill = PatternFill("solid", fgColor=FILLS[worst.level.value])
    for index, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(65 + index)].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def append_text_row(ws: Worksheet, values: Sequence[object]) -> None:
    """Append a row whose text is stored as text. openpyxl turns any string starting with "="
    into a formula; ledger text such as "=HYPERLINK(…)" must never run in a reader's Excel
    (CSV/Excel injection). Text starting with +, - or @ is stored as text already.
    Control characters (a vertical tab from a Word line break) are dropped: openpyxl refuses
    them, and one such cell must not stop every warning. Text over Excel's limit of 32,767
    characters a cell is cut with "…": Excel would otherwise "repair" the file on opening."""
    ws.append([_cell_text(v) if isinstance(v, str) else v for v in values])
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def _cell_text(value: str) -> str:
    return clip(ILLEGAL_CHARACTERS_RE.sub("", value), EXCEL_CELL_LIMIT)
