"""A section's rows of the ledger as a small .xlsx, attached to its warning email.

Made to be printed and edited: a title, A4 landscape at a readable size with the header on
every page, each task's light (its worst colour) with the warnings, numbers as numbers.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.core.labels import STATUS_LABELS, chinese_date, deadline_label
from scheduler.core.model import Alert, Level, Status, Task
from scheduler.core.view import WarnedTask
from scheduler.mail.names import safe_sheet_title
from scheduler.views.xlsx import (
    LIGHT_FILLS,
    Look,
    fit_height,
    number_or_text,
    print_setup,
    register,
    set_widths,
    write_row,
)

HEADER = (
    "序号",
    "预警",
    "具体问题",
    "整改措施",
    "牵头单位",
    "配合单位",
    "完成时限",
    "整改状态",
    "完成\n进度",
    "整改进展",
    "预警说明",
)
# Chosen so that the sheet prints on A4 landscape at a readable size (xlsx.print_scale).
WIDTHS = (4, 5, 17, 17, 8, 8, 14, 8, 5, 19, 12)
PROGRESS = 8  # 完成进度
HEADER_ROW = 3  # row 1: title, row 2: the counts, row 3: the column headers
FONT = "宋体"  # what Excel and WPS show a new workbook in

LOOKS = {
    "title": Look(size=14, bold=True, horizontal="center", vertical="center", wrap=False, border=False),
    "context": Look(colour="595959", vertical="center", border=False),
    "header": Look(bold=True, fill="DDEBF7", horizontal="center", vertical="center"),
    "body": Look(),
    "percent": Look(number_format="0%"),
    "no": Look(horizontal="center"),
    **{f"body {level.value}": Look(fill=fill) for level, fill in LIGHT_FILLS.items()},
    **{f"percent {level.value}": Look(fill=fill, number_format="0%") for level, fill in LIGHT_FILLS.items()},
    **{f"no {level.value}": Look(fill=fill, horizontal="center") for level, fill in LIGHT_FILLS.items()},
}


def section_workbook(
    section: str,
    tasks: Sequence[Task],
    alerts: Mapping[str, Sequence[Alert]],
    *,
    today: date,
    office: str,
) -> bytes:
    wb = Workbook()
    register(wb, FONT, LOOKS)
    ws = wb.active
    assert ws is not None
    ws.title = safe_sheet_title(section, "整改任务")
    lights = {t.key: WarnedTask(t, tuple(alerts[t.key])) for t in tasks if alerts.get(t.key)}
    title = f"{section}整改任务（截至{chinese_date(today)}）"
    write_row(ws, 1, [f"{title} · {office}" if office else title], "title")
    write_row(ws, 2, [_counts(tasks, lights)], "context")
    write_row(ws, HEADER_ROW, HEADER, "header")
    fit_height(ws, HEADER_ROW, HEADER, WIDTHS)
    for row, task in enumerate(tasks, start=HEADER_ROW + 1):
        warned = lights.get(task.key)
        values = _values(task, warned)
        tint = f" {warned.light.value}" if warned else ""
        styles = [f"body{tint}"] * len(values)
        styles[0] = f"no{tint}"
        styles[PROGRESS] = f"percent{tint}"
        write_row(ws, row, values, styles)
        fit_height(ws, row, values, WIDTHS)
    _lay_out(ws, HEADER_ROW + len(tasks))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _values(task: Task, warned: WarnedTask | None) -> list[object]:
    return [
        number_or_text(task.no), warned.light.label if warned else None, task.title, task.measures,
        "、".join(task.lead), "、".join(task.support), deadline_label(task),
        task.status_text or STATUS_LABELS[task.status], task.progress, task.note,
        "；".join(a.message for a in warned.alerts) if warned else None,
    ]  # fmt: skip


def _counts(tasks: Sequence[Task], lights: Mapping[str, WarnedTask]) -> str:
    """ "共 12 项，已完成 5 项；红色 1 项、黄色 2 项、蓝色 0 项。" """
    done = sum(1 for t in tasks if t.status is Status.DONE)
    by_light = [sum(1 for w in lights.values() if w.light is level) for level in Level]
    colours = "、".join(f"{level.label} {n} 项" for level, n in zip(Level, by_light, strict=True))
    return f"共 {len(tasks)} 项，已完成 {done} 项；{colours}。"


def _lay_out(ws: Worksheet, last: int) -> None:
    end = get_column_letter(len(HEADER))
    for row in (1, 2):
        ws.merge_cells(f"A{row}:{end}{row}")
    ws.row_dimensions[1].height = 26
    ws.row_dimensions[2].height = 20
    set_widths(ws, WIDTHS)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{end}{max(last, HEADER_ROW)}"  # sort or filter by 预警
    print_setup(ws, HEADER_ROW)
