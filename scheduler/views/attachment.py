"""A section's rows of the ledger as a small .xlsx, attached to its warning email."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from openpyxl import Workbook

from scheduler.core.labels import STATUS_LABELS, deadline_label, percent
from scheduler.core.model import Alert, Task
from scheduler.mail.names import safe_sheet_title
from scheduler.views.xlsx import Look, register, set_widths, write_row

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
FONT = "宋体"  # what Excel and WPS show a new workbook in
FILLS = {"red": "FFF1F0", "yellow": "FFFBE6", "blue": "E6F4FF"}


LOOKS = {
    "header": Look(bold=True, fill="DDEBF7", border=False, wrap=False, vertical="bottom"),
    "body": Look(border=False),
    **{f"body {name}": Look(fill=fill, border=False) for name, fill in FILLS.items()},
}


def section_workbook(section: str, tasks: Sequence[Task], alerts: Mapping[str, Sequence[Alert]]) -> bytes:
    wb = Workbook()
    register(wb, FONT, LOOKS)
    ws = wb.active
    assert ws is not None
    ws.title = safe_sheet_title(section, "整改任务")
    write_row(ws, 1, HEADER, "header")
    for row, task in enumerate(tasks, start=2):
        found = alerts.get(task.key, ())
        values = [
            task.no, task.title, task.measures, "、".join(task.lead), "、".join(task.support),
            deadline_label(task), task.status_text or STATUS_LABELS[task.status], percent(task.progress),
            task.note, "；".join(a.message for a in found),
        ]  # fmt: skip
        worst = min((a.level for a in found), key=lambda level: level.rank, default=None)
        write_row(ws, row, values, f"body {worst.value}" if worst else "body")
    set_widths(ws, WIDTHS)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
