"""The weekly progress report workbook (整改进展周报), written with openpyxl.

Five sheets: 汇总 (figures by section, with a native bar chart), 预警清单, 本周变化,
趋势 (weekly history, with a native line chart) and 数据问题. Each has a title row, frozen
headers, A4 landscape printing with the header repeated on every page, and a Chinese font.
Ledger text is always stored as text, never as a formula.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.errors import ReportError, os_reason
from scheduler.labels import LEVEL_NAMES, chinese_date, deadline_label, percent
from scheduler.mail.attachment import append_text_row
from scheduler.model import Alert, AlertCode, Level, Problem, Task, TaskState
from scheduler.tracking import NO_SECTION, Changes, SectionFigures, TrendPoint

FONT = "微软雅黑"  # shows Chinese well in Excel and WPS; LibreOffice falls back to a CJK font
FILLS = {Level.RED: "FFCCC7", Level.YELLOW: "FFE58F", Level.BLUE: "BAE0FF"}
HEADER_FILL = "D9E2F3"
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_ROW = 3  # row 1: title, row 2: a line of context, row 3: the column headers


@dataclass(frozen=True)
class ReportData:
    office_name: str
    today: date
    sections: Sequence[SectionFigures]
    total: SectionFigures
    done_last_week: Mapping[str, int] | None  # section → done count a week ago; None: no snapshot
    tasks: Sequence[Task]
    alerts: Mapping[str, Sequence[Alert]]
    changes: Changes
    trend: Sequence[TrendPoint]
    problems: Sequence[Problem]


def report_path(folder: Path, today: date) -> Path:
    return folder / f"整改进展周报_{today.isoformat()}.xlsx"


def write_report(content: bytes, path: Path) -> Path:
    """Save the report. A file open in Excel on Windows cannot be replaced: that is a clear
    ReportError, not a traceback."""
    partial = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(content)
        partial.replace(path)  # the office never opens half a file
    except OSError as e:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise ReportError(
            f"进展周报无法保存到 {path}（{os_reason(e)}）：如果它正在 Excel 或 WPS 中打开，请关闭后再试"
        ) from None
    return path


def to_bytes(data: ReportData) -> bytes:
    out = io.BytesIO()
    build(data).save(out)
    return out.getvalue()


def build(data: ReportData) -> Workbook:
    wb = Workbook()
    first = wb.active
    assert first is not None
    _summary(first, data)
    _warnings(wb.create_sheet("预警清单"), data)
    _changes(wb.create_sheet("本周变化"), data)
    _trend(wb.create_sheet("趋势"), data)
    _problems(wb.create_sheet("数据问题"), data)
    return wb


# --- 汇总 -----------------------------------------------------------------------------------------

SUMMARY_HEADER = (
    "牵头单位",
    "任务数",
    "已完成",
    "未完成",
    "红色",
    "黄色",
    "蓝色",
    "无进展",
    "完成率",
    "较上周新完成",
)


def _summary(ws: Worksheet, data: ReportData) -> None:
    ws.title = "汇总"
    t = data.total
    context = (
        f"截至{chinese_date(data.today)}：共 {t.total} 项，已完成 {t.done} 项（完成率 {percent(t.completion_rate)}），"
        f"未完成 {t.open} 项；红色 {t.red} 项、黄色 {t.yellow} 项、蓝色 {t.blue} 项，本周无进展 {t.stale} 项。"
    )
    _start(ws, data, "汇总", context, SUMMARY_HEADER)
    for figures in [*data.sections, t]:
        append_text_row(ws, _summary_row(figures, data.done_last_week))
        row = ws.max_row
        ws.cell(row, 9).number_format = "0%"
        for column, level in ((5, Level.RED), (6, Level.YELLOW), (7, Level.BLUE)):
            if ws.cell(row, column).value:
                ws.cell(row, column).fill = PatternFill("solid", fgColor=FILLS[level])
    _style_body(ws, len(SUMMARY_HEADER))
    for cell in ws[ws.max_row]:
        cell.font = Font(name=FONT, bold=True)
    _widths(ws, (18, 8, 8, 8, 8, 8, 8, 8, 9, 12))
    _bar_chart(ws, len(data.sections), max((f.open for f in data.sections), default=1))
    ws.page_setup.fitToHeight = 1  # the summary and its chart on one page


def _summary_row(f: SectionFigures, done_last_week: Mapping[str, int] | None) -> list[object]:
    change: object = "—" if done_last_week is None else f.done - done_last_week.get(f.section, 0)
    return [f.section, f.total, f.done, f.open, f.red, f.yellow, f.blue, f.stale, f.completion_rate, change]


def _bar_chart(ws: Worksheet, sections: int, max_value: int) -> None:
    """Open and overdue (red) items by section: a native chart the office can restyle."""
    if not sections:
        return
    first, last = HEADER_ROW + 1, HEADER_ROW + sections
    chart = BarChart()
    chart.type = "bar"
    chart.title = "各牵头单位未完成与逾期任务"
    chart.y_axis.title = "项"
    chart.add_data(Reference(ws, min_col=4, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
    chart.add_data(Reference(ws, min_col=5, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    for series, colour in zip(chart.series, ("5B8FF9", "D9363E"), strict=True):
        series.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.solidFill = colour
    chart.x_axis.scaling.orientation = "maxMin"  # sections top to bottom, as in the table
    chart.y_axis.crosses = "max"  # and the value axis below them, where it belongs
    chart.y_axis.majorUnit = max(1, -(-max_value // 8))
    chart.y_axis.number_format = "0"
    chart.height = max(7.5, 0.7 * sections + 3)
    chart.width = 24
    # Below the table, so that the sheet prints on the width of one A4 page.
    ws.add_chart(chart, f"A{last + 3}")


# --- 预警清单 ---------------------------------------------------------------------------------------

WARNING_HEADER = (
    "预警",
    "牵头单位",
    "序号",
    "具体问题",
    "完成时限",
    "天数",
    "完成进度",
    "序时进度",
    "最新进展",
    "预警说明",
)


def _warnings(ws: Worksheet, data: ReportData) -> None:
    warned = [(t, data.alerts[t.key]) for t in data.tasks if data.alerts.get(t.key)]
    _start(ws, data, "预警清单", f"共 {len(warned)} 项任务有预警，按红、黄、蓝排列。", WARNING_HEADER)
    for task, alerts in sorted(warned, key=_warning_order):
        worst = _worst(alerts)
        behind = next((a for a in alerts if a.code is AlertCode.BEHIND), None)
        append_text_row(ws, [
            LEVEL_NAMES[worst.level], "、".join(task.lead) or NO_SECTION, task.no, task.title, deadline_label(task),
            _days(alerts), task.progress, behind.expected if behind else None, task.note,
            "；".join(a.message for a in alerts),
        ])  # fmt: skip
        row = ws.max_row
        ws.cell(row, 7).number_format = ws.cell(row, 8).number_format = "0%"
        for cell in ws[row]:
            cell.fill = PatternFill("solid", fgColor=FILLS[worst.level])
    _style_body(ws, len(WARNING_HEADER))
    _widths(ws, (10, 16, 6, 40, 16, 6, 9, 9, 40, 30))


def _worst(alerts: Sequence[Alert]) -> Alert:
    return min(alerts, key=lambda a: a.level.rank)


def _days(alerts: Sequence[Alert]) -> int | None:
    dated = [
        a.days for a in alerts if a.code in (AlertCode.OVERDUE, AlertCode.DUE_SOON) and a.days is not None
    ]
    return dated[0] if dated else None


def _warning_order(item: tuple[Task, Sequence[Alert]]) -> tuple[int, int, str]:
    """Red → yellow → blue; the longest overdue first, the nearest deadline first."""
    task, alerts = item
    worst = _worst(alerts)
    days = _days(alerts) or 0
    return (worst.level.rank, -days if worst.level is Level.RED else days, task.no)


# --- 本周变化 ---------------------------------------------------------------------------------------

CHANGE_HEADER = ("变化", "序号", "具体问题", "牵头单位", "说明")


def _changes(ws: Worksheet, data: ReportData) -> None:
    c = data.changes
    context = (
        f"与{chinese_date(c.baseline)}的快照比较。"
        if c.baseline
        else "还没有一周以前的快照，下周起列出本周变化。"
    )
    _start(ws, data, "本周变化", context, CHANGE_HEADER)
    rows: list[tuple[str, TaskState, str]] = [
        *(("新完成", s, "") for s in c.newly_done),
        *(("新逾期", s, "") for s in c.newly_overdue),
        *(
            ("进度变化", p.after, f"{percent(p.before.progress)} → {percent(p.after.progress)}")
            for p in c.progress
        ),
        *(("新增任务", s, "") for s in c.added),
        *(("移除任务", s, "") for s in c.removed),
    ]
    for kind, state, note in rows:
        append_text_row(ws, [kind, state.no, state.title, "、".join(state.lead) or NO_SECTION, note])
    _style_body(ws, len(CHANGE_HEADER))
    _widths(ws, (10, 6, 44, 18, 16))


# --- 趋势 ---------------------------------------------------------------------------------------------

TREND_HEADER = ("日期", "已完成", "未完成", "逾期")


def _trend(ws: Worksheet, data: ReportData) -> None:
    _start(ws, data, "趋势", f"历次快照共 {len(data.trend)} 次。", TREND_HEADER)
    for point in data.trend:
        ws.append([point.day, point.done, point.open, point.overdue])
        ws.cell(ws.max_row, 1).number_format = "yyyy-mm-dd"
    _style_body(ws, len(TREND_HEADER))
    _widths(ws, (12, 9, 9, 9))
    if len(data.trend) < 2:
        return
    last = HEADER_ROW + len(data.trend)
    chart = LineChart()
    chart.title = "每周完成、未完成和逾期任务"
    chart.y_axis.title = "项"
    chart.add_data(
        Reference(ws, min_col=2, max_col=4, min_row=HEADER_ROW, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=HEADER_ROW + 1, max_row=last))
    chart.x_axis.number_format = "m/d"
    for series, colour in zip(chart.series, ("52C41A", "8C8C8C", "D9363E"), strict=True):
        series.smooth = False  # weekly counts, not a curve
        series.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.width = 28000
    chart.height, chart.width = 8, 18
    ws.add_chart(chart, f"A{last + 3}")


# --- 数据问题 -----------------------------------------------------------------------------------------

PROBLEM_HEADER = ("工作表", "行", "列", "单元格", "内容", "问题")


def _problems(ws: Worksheet, data: ReportData) -> None:
    context = f"共 {len(data.problems)} 处，请在台账中修正。" if data.problems else "未发现数据问题。"
    _start(ws, data, "台账数据问题", context, PROBLEM_HEADER)
    for p in data.problems:
        append_text_row(ws, [p.sheet, p.row, p.column, p.cell, p.value, p.message])
    _style_body(ws, len(PROBLEM_HEADER))
    _widths(ws, (14, 6, 12, 8, 24, 60))


# --- shared -------------------------------------------------------------------------------------------


def _start(ws: Worksheet, data: ReportData, title: str, context: str, header: Sequence[str]) -> None:
    """Title, a line of context and the header row; frozen below the header; A4 landscape,
    fitted to the page width, the header repeated on every printed page."""
    ws.append([f"{data.office_name}整改任务进展周报 · {title}（{chinese_date(data.today)}）"])
    ws.append([context])
    ws.append(list(header))
    width = get_column_letter(max(len(header), 8))  # narrow sheets still have room for the title
    for row in (1, 2):
        ws.merge_cells(f"A{row}:{width}{row}")
    ws["A1"].font = Font(name=FONT, size=15, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 28
    ws["A2"].font = Font(name=FONT, size=10, color="595959")
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[2].height = 30
    for cell in ws[HEADER_ROW][: len(header)]:
        cell.font = Font(name=FONT, bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4


def _style_body(ws: Worksheet, columns: int) -> None:
    for row in ws.iter_rows(min_row=HEADER_ROW + 1, max_col=columns):
        for cell in row:
            cell.font = Font(name=FONT, size=10)
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)


def _widths(ws: Worksheet, widths: Sequence[int]) -> None:
    """Column widths, and row heights to fit wrapped text: LibreOffice and WPS do not grow a
    row by themselves when the file does not say how tall it is."""
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    for row in ws.iter_rows(min_row=HEADER_ROW + 1, max_col=len(widths)):
        lines = max((_lines(cell.value, widths[cell.column - 1]) for cell in row), default=1)
        ws.row_dimensions[row[0].row].height = 14 * lines + 4


def _lines(value: object, width: int) -> int:
    if not isinstance(value, str) or not value:
        return 1
    # A Chinese character takes about two units of column width, a Latin one about one.
    units = sum(2 if ord(ch) > 0x2E7F else 1 for ch in value)
    return max(1, -(-units // max(width - 1, 1)))
