"""The weekly progress report workbook (整改进展周报): the weekly view, written with openpyxl.

Five sheets: 汇总 (figures by section, with a native bar chart), 预警清单, 本周变化,
趋势 (weekly history, with a native line chart) and 数据问题. Each has a title row, frozen
headers, A4 landscape printing with the header repeated on every page, and a Chinese font.
Ledger text is always stored as text, never as a formula.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.core.labels import LEVEL_NAMES, chinese_date, deadline_label
from scheduler.core.model import Level
from scheduler.core.tracking import NO_SECTION, SectionFigures
from scheduler.core.view import WeeklyView
from scheduler.errors import ReportError, os_reason
from scheduler.views.xlsx import Look, fit_height, register, set_widths, write_row

FONT = "微软雅黑"  # shows Chinese well in Excel and WPS; LibreOffice falls back to a CJK font
FILLS = {Level.RED: "FFCCC7", Level.YELLOW: "FFE58F", Level.BLUE: "BAE0FF"}
HEADER_ROW = 3  # row 1: title, row 2: a line of context, row 3: the column headers
LOOKS = {
    "title": Look(size=15, bold=True, horizontal="center", vertical="center", wrap=False, border=False),
    "context": Look(colour="595959", vertical="center", border=False),
    "header": Look(bold=True, fill="D9E2F3", horizontal="center", vertical="center"),
    "body": Look(),
    "bold": Look(bold=True),
    "percent": Look(number_format="0%"),
    "bold percent": Look(bold=True, number_format="0%"),
    "date": Look(number_format="yyyy-mm-dd"),
    **{f"body {level.value}": Look(fill=fill) for level, fill in FILLS.items()},
    **{f"percent {level.value}": Look(fill=fill, number_format="0%") for level, fill in FILLS.items()},
}


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


def to_bytes(view: WeeklyView) -> bytes:
    out = io.BytesIO()
    build(view).save(out)
    return out.getvalue()


def build(view: WeeklyView) -> Workbook:
    wb = Workbook()
    register(wb, FONT, LOOKS)
    first = wb.active
    assert first is not None
    _summary(first, view)
    _warnings(wb.create_sheet("预警清单"), view)
    _changes(wb.create_sheet("本周变化"), view)
    _trend(wb.create_sheet("趋势"), view)
    _problems(wb.create_sheet("数据问题"), view)
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
SUMMARY_WIDTHS = (18, 8, 8, 8, 8, 8, 8, 8, 9, 12)


def _summary(ws: Worksheet, view: WeeklyView) -> None:
    ws.title = "汇总"
    _start(ws, view, "汇总", view.headline_text, SUMMARY_HEADER)
    rows = [*view.sections, view.total]
    for offset, figures in enumerate(rows, start=1):
        total = offset == len(rows)
        values = _summary_row(figures, view.done_last_week)
        styles = ["bold" if total else "body"] * len(values)
        styles[8] = "bold percent" if total else "percent"
        for column, level in ((4, Level.RED), (5, Level.YELLOW), (6, Level.BLUE)):
            if values[column]:
                styles[column] = f"body {level.value}"
        write_row(ws, HEADER_ROW + offset, values, styles)
        fit_height(ws, HEADER_ROW + offset, values, SUMMARY_WIDTHS)
    set_widths(ws, SUMMARY_WIDTHS)
    _bar_chart(ws, view.sections)
    ws.page_setup.fitToHeight = 1  # the summary and its chart on one page


def _summary_row(f: SectionFigures, done_last_week: Mapping[str, int] | None) -> list[object]:
    change: object = "—" if done_last_week is None else f.done - done_last_week.get(f.section, 0)
    return [f.section, f.total, f.done, f.open, f.red, f.yellow, f.blue, f.stale, f.completion_rate, change]


def _bar_chart(ws: Worksheet, sections: Sequence[SectionFigures]) -> None:
    """Open and overdue (red) items by section: a native chart the office can restyle."""
    if not sections:
        return
    first, last = HEADER_ROW + 1, HEADER_ROW + len(sections)
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
    chart.y_axis.majorUnit = max(1, -(-max(f.open for f in sections) // 8))
    chart.y_axis.number_format = "0"
    chart.height = max(7.5, 0.7 * len(sections) + 3)
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
WARNING_WIDTHS = (10, 16, 6, 40, 16, 6, 9, 9, 40, 30)


def _warnings(ws: Worksheet, view: WeeklyView) -> None:
    context = f"共 {len(view.warned)} 项任务有预警，按红、黄、蓝排列。"
    _start(ws, view, "预警清单", context, WARNING_HEADER)
    for row, item in enumerate(view.warned, start=HEADER_ROW + 1):
        task, light = item.task, item.light.value
        values = [
            LEVEL_NAMES[item.light], "、".join(task.lead) or NO_SECTION, task.no, task.title, deadline_label(task),
            item.days, task.progress, item.expected, task.note, "；".join(a.message for a in item.alerts),
        ]  # fmt: skip
        styles = [f"body {light}"] * len(values)
        styles[6] = styles[7] = f"percent {light}"
        write_row(ws, row, values, styles)
        fit_height(ws, row, values, WARNING_WIDTHS)
    set_widths(ws, WARNING_WIDTHS)


# --- 本周变化 ---------------------------------------------------------------------------------------

CHANGE_HEADER = ("变化", "序号", "具体问题", "牵头单位", "说明")
CHANGE_WIDTHS = (10, 6, 44, 18, 16)


def _changes(ws: Worksheet, view: WeeklyView) -> None:
    _start(ws, view, "本周变化", view.changes_intro, CHANGE_HEADER)
    row = HEADER_ROW
    for group in view.changes:
        for item in group.items:
            row += 1
            state = item.state
            values = [group.label, state.no, state.title, "、".join(state.lead) or NO_SECTION, item.detail]
            write_row(ws, row, values, "body")
            fit_height(ws, row, values, CHANGE_WIDTHS)
    set_widths(ws, CHANGE_WIDTHS)


# --- 趋势 ---------------------------------------------------------------------------------------------

TREND_HEADER = ("日期", "已完成", "未完成", "逾期")


def _trend(ws: Worksheet, view: WeeklyView) -> None:
    _start(ws, view, "趋势", f"历次快照共 {len(view.trend)} 次。", TREND_HEADER)
    for row, point in enumerate(view.trend, start=HEADER_ROW + 1):
        write_row(
            ws, row, [point.day, point.done, point.open, point.overdue], ["date", "body", "body", "body"]
        )
    set_widths(ws, (12, 9, 9, 9))
    if len(view.trend) < 2:
        return
    last = HEADER_ROW + len(view.trend)
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
PROBLEM_WIDTHS = (14, 6, 12, 8, 24, 60)


def _problems(ws: Worksheet, view: WeeklyView) -> None:
    problems = view.problems
    context = f"共 {len(problems)} 处，请在台账中修正。" if problems else "未发现数据问题。"
    _start(ws, view, "台账数据问题", context, PROBLEM_HEADER)
    for row, p in enumerate(problems, start=HEADER_ROW + 1):
        values = [p.sheet, p.row, p.column, p.cell, p.value, p.message]
        write_row(ws, row, values, "body")
        fit_height(ws, row, values, PROBLEM_WIDTHS)
    set_widths(ws, PROBLEM_WIDTHS)


# --- shared -------------------------------------------------------------------------------------------


def _start(ws: Worksheet, view: WeeklyView, title: str, context: str, header: Sequence[str]) -> None:
    """Title, a line of context and the header row; frozen below the header; A4 landscape,
    fitted to the page width, the header repeated on every printed page."""
    heading = f"{view.office_name}整改任务进展周报 · {title}（{chinese_date(view.today)}）"
    write_row(ws, 1, [heading], "title")
    write_row(ws, 2, [context], "context")
    write_row(ws, HEADER_ROW, header, "header")
    width = get_column_letter(max(len(header), 8))  # narrow sheets still have room for the title
    for row in (1, 2):
        ws.merge_cells(f"A{row}:{width}{row}")
    ws.row_dimensions[1].height = 28
    ws.row_dimensions[2].height = 30
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
