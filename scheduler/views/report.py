"""The weekly progress report workbook (整改进展周报): the weekly view, written with openpyxl.

Five sheets: 汇总 (figures by section, with a native bar chart), 预警清单, 本周变化,
趋势 (weekly history, with a native line chart) and 数据问题. Each has a title row, frozen
headers, A4 landscape printing with the header repeated on every page, and a Chinese font.
Ledger text is always stored as text, never as a formula.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.core.labels import chinese_date, deadline_label
from scheduler.core.model import AlertCode, Level, Task
from scheduler.core.tracking import NO_SECTION, SectionFigures
from scheduler.core.view import WarnedTask, WeeklyView
from scheduler.errors import ReportError, os_reason
from scheduler.files import write_whole
from scheduler.views.xlsx import (
    LIGHT_FILLS,
    Look,
    fit_height,
    lines_needed,
    number_or_text,
    print_setup,
    register,
    set_widths,
    write_row,
)

FONT = "微软雅黑"  # shows Chinese well in Excel and WPS; LibreOffice falls back to a CJK font
HEADER_ROW = 3  # row 1: title, row 2: a line of context, row 3: the column headers
CHINESE_DATE = 'yyyy"年"m"月"d"日"'
LOOKS = {
    "title": Look(size=15, bold=True, horizontal="center", vertical="center", wrap=False, border=False),
    "context": Look(colour="595959", vertical="center", border=False),
    "header": Look(bold=True, fill="D9E2F3", horizontal="center", vertical="center"),
    "body": Look(),
    "bold": Look(bold=True),
    "percent": Look(number_format="0%"),
    "bold percent": Look(bold=True, number_format="0%"),
    "date": Look(number_format=CHINESE_DATE),
    "no": Look(horizontal="center"),  # 序号: apart from the text beside it
    **{f"no {level.value}": Look(fill=fill, horizontal="center") for level, fill in LIGHT_FILLS.items()},
    **{f"body {level.value}": Look(fill=fill) for level, fill in LIGHT_FILLS.items()},
    **{f"percent {level.value}": Look(fill=fill, number_format="0%") for level, fill in LIGHT_FILLS.items()},
}
# The ladder's colours, as the mail and the page draw them; grey for open tasks with no warning.
CHART_COLOURS = {Level.RED: "D9363E", Level.YELLOW: "FAAD14", Level.BLUE: "1677FF", None: "BFBFBF"}


def report_path(folder: Path, today: date) -> Path:
    return folder / f"整改进展周报_{today.isoformat()}.xlsx"


def write_report(content: bytes, path: Path) -> Path:
    """Save the report. A file open in Excel on Windows cannot be replaced: that is a clear
    ReportError, not a traceback."""
    try:
        write_whole(path, content)
    except OSError as e:
        raise ReportError(
            f"进展周报无法保存到 {path}（{os_reason(e)}）：如果它正在 Excel 或 WPS 中打开，请关闭后再试"
        ) from None
    return path


def to_bytes(view: WeeklyView) -> bytes:
    out = io.BytesIO()
    build(view).save(out)
    return out.getvalue()


def build(view: WeeklyView) -> Workbook:
    """The report of the view; 数据问题 names the task on each problem's row from `view.tasks`."""
    wb = Workbook()
    register(wb, FONT, LOOKS)
    first = wb.active
    assert first is not None
    _summary(first, view)
    _warnings(wb.create_sheet("预警清单"), view)
    _changes(wb.create_sheet("本周变化"), view)
    _trend(wb.create_sheet("趋势"), view)
    _problems(wb.create_sheet("数据问题"), view, view.tasks)
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
    "无预警",
    "无进展",
    "督办",
    "完成率",
    "较上周新完成",
)
SUMMARY_WIDTHS = (22, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 11)
LIGHT_COLUMNS = {Level.RED: 5, Level.YELLOW: 6, Level.BLUE: 7, None: 8}  # 1-based, as in the header
CHART_LABEL_SIZE = 9  # points
ROW_PT = 18.5  # a one-line row, as `fit_height` makes it
PAGE_PT = 595.3 - 72 * (0.5 + 0.6)  # A4 landscape's height within the margins


def _summary(ws: Worksheet, view: WeeklyView) -> None:
    ws.title = "汇总"
    rows = [*view.sections, view.total]
    # The header is repeated only when the table is longer than a page: the chart may have a
    # page of its own, and a header above it would be out of place.
    long = 28 + 30 + 33 + ROW_PT * len(rows) > PAGE_PT
    _start(ws, view, "汇总", view.headline_text, SUMMARY_HEADER, SUMMARY_WIDTHS, repeat=long)
    for offset, figures in enumerate(rows, start=1):
        total = offset == len(rows)
        values = _summary_row(figures, view)
        styles = ["bold" if total else "body"] * len(values)
        styles[10] = "bold percent" if total else "percent"
        for level, column in LIGHT_COLUMNS.items():
            if level is not None and values[column - 1]:
                styles[column - 1] = f"body {level.value}"
        write_row(ws, HEADER_ROW + offset, values, styles)
        fit_height(ws, HEADER_ROW + offset, values, SUMMARY_WIDTHS)
    _bar_chart(ws, view.sections)


def _summary_row(f: SectionFigures, view: WeeklyView) -> list[object]:
    """One section's figures. 无进展 and 较上周 are measured against last week's snapshot:
    before there is one they read "—", as in the mail and the page."""
    last_week = view.done_last_week
    change: object = "—" if last_week is None else f.done - last_week.get(f.section, 0)
    stale: object = "—" if view.baseline is None else f.stale
    other = f.open - f.red - f.yellow - f.blue
    return [
        f.section, f.total, f.done, f.open, f.red, f.yellow, f.blue, other, stale, f.escalated,
        f.completion_rate, change,
    ]  # fmt: skip


def _bar_chart(ws: Worksheet, sections: Sequence[SectionFigures]) -> None:
    """Each section's open tasks as one bar, stacked by light: red, yellow, blue, and grey for
    those without a warning. A native chart the office can restyle, below the table so that
    the sheet prints on the width of one A4 page."""
    if not sections:
        return
    first, last = HEADER_ROW + 1, HEADER_ROW + len(sections)
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 60
    chart.title = "各牵头单位未完成任务（按预警颜色）"
    for level, column in LIGHT_COLUMNS.items():
        chart.add_data(Reference(ws, min_col=column, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
        series = chart.series[-1]
        series.graphicalProperties.solidFill = CHART_COLOURS[level]
        series.graphicalProperties.line.solidFill = CHART_COLOURS[level]
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"  # sections top to bottom, as in the table
    chart.x_axis.tickLblSkip = 1  # every section named, not every other one
    chart.y_axis.crosses = "max"  # and the value axis below them, where it belongs
    chart.y_axis.majorUnit = max(1, -(-max(f.open for f in sections) // 8))
    chart.y_axis.number_format = "0"
    chart.y_axis.majorGridlines = _gridlines()
    chart.legend.position = "t"
    chart.x_axis.txPr = _text_size(CHART_LABEL_SIZE)  # every name in the height of a page
    chart.width = 24
    # cm: a line of label for each section (LibreOffice leaves out labels that would touch),
    # and at most what an A4 page has under a repeated header
    chart.height = min(15.5, max(8.0, 0.5 * len(sections) + 4.5))
    table = sum(ws.row_dimensions[row].height or ROW_PT for row in range(1, last + 2))
    if table + chart.height / 2.54 * 72 + ROW_PT > PAGE_PT:
        ws.row_breaks.append(Break(id=last + 1))  # the chart on a page of its own
    ws.add_chart(chart, f"A{last + 3}")


def _gridlines() -> ChartLines:
    """Light grey, so that a line drawn along one is still seen."""
    return ChartLines(spPr=GraphicalProperties(ln=LineProperties(solidFill="D9D9D9")))


def _text_size(points: float) -> RichText:
    size = CharacterProperties(sz=int(points * 100))
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=size), endParaRPr=size)])


# --- 预警清单 ---------------------------------------------------------------------------------------

WARNING_HEADER = (
    "预警",
    "牵头单位",
    "序号",
    "具体问题",
    "完成时限",
    "逾期\n天数",
    "剩余\n天数",
    "完成\n进度",
    "序时\n进度",
    "最新进展",
    "预警说明",
)
WARNING_WIDTHS = (5, 9, 4, 22, 14, 5, 5, 5, 5, 22, 18)


def _warnings(ws: Worksheet, view: WeeklyView) -> None:
    if view.warned:
        context = f"共 {len(view.warned)} 项任务有预警，按红、黄、蓝排列，每种颜色中最紧急的在前。"
    else:
        context = "本周没有预警任务。"
    _start(ws, view, "预警清单", context, WARNING_HEADER if view.warned else (), WARNING_WIDTHS)
    for row, item in enumerate(view.warned, start=HEADER_ROW + 1):
        task, light = item.task, item.light.value
        values = [
            item.light.label, "、".join(task.lead) or NO_SECTION, number_or_text(task.no), task.title,
            deadline_label(task), _days(item, AlertCode.OVERDUE), _days(item, AlertCode.DUE_SOON),
            task.progress, item.expected, task.note, "；".join(a.message for a in item.alerts),
        ]  # fmt: skip
        styles = [f"body {light}"] * len(values)
        styles[2] = f"no {light}"
        styles[7] = styles[8] = f"percent {light}"
        write_row(ws, row, values, styles)
        fit_height(ws, row, values, WARNING_WIDTHS)


def _days(item: WarnedTask, code: AlertCode) -> int | None:
    """Days overdue (for 逾期) or days left (for 临期), from that warning: never one number
    that could mean either."""
    return next((a.days for a in item.alerts if a.code is code), None)


# --- 本周变化 ---------------------------------------------------------------------------------------

CHANGE_HEADER = ("变化", "序号", "具体问题", "牵头单位", "说明")
CHANGE_WIDTHS = (9, 4, 62, 14, 18)


def _changes(ws: Worksheet, view: WeeklyView) -> None:
    items = [(group.label, item) for group in view.changes for item in group.items]
    _start(ws, view, "本周变化", view.changes_intro, CHANGE_HEADER if items else (), CHANGE_WIDTHS)
    for row, (label, item) in enumerate(items, start=HEADER_ROW + 1):
        state = item.state
        values = [
            label, number_or_text(state.no), state.title, "、".join(state.lead) or NO_SECTION, item.detail,
        ]  # fmt: skip
        write_row(ws, row, values, ["body", "no", "body", "body", "body"])
        fit_height(ws, row, values, CHANGE_WIDTHS)


# --- 趋势 ---------------------------------------------------------------------------------------------

TREND_HEADER = ("日期", "已完成", "未完成", "逾期")
TREND_WIDTHS = (18, 12, 12, 12)


def _trend(ws: Worksheet, view: WeeklyView) -> None:
    _start(ws, view, "趋势", f"历次快照共 {len(view.trend)} 次。", TREND_HEADER, TREND_WIDTHS)
    for row, point in enumerate(view.trend, start=HEADER_ROW + 1):
        values = [point.day, point.done, point.open, point.overdue]
        write_row(ws, row, values, ["date", "body", "body", "body"])
        fit_height(ws, row, values, TREND_WIDTHS)
    if len(view.trend) < 2:
        return
    last = HEADER_ROW + len(view.trend)
    chart = LineChart()
    chart.title = "每周已完成、未完成和逾期任务"
    chart.y_axis.title = "项"
    chart.add_data(
        Reference(ws, min_col=2, max_col=4, min_row=HEADER_ROW, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=HEADER_ROW + 1, max_row=last))
    chart.x_axis.number_format = 'm"月"d"日"'
    chart.x_axis.numFmt.sourceLinked = False
    top = max((max(p.done, p.open, p.overdue) for p in view.trend), default=0)
    chart.y_axis.majorUnit = max(1, -(-top // 8))  # counts: whole numbers on the axis
    chart.y_axis.number_format = "0"
    chart.y_axis.majorGridlines = _gridlines()
    for series, colour in zip(chart.series, ("52C41A", "8C8C8C", "D9363E"), strict=True):
        series.smooth = False  # weekly counts, not a curve
        series.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.width = 28000
    chart.legend.position = "b"
    chart.height, chart.width = 9, 20
    ws.add_chart(chart, f"A{last + 3}")


# --- 数据问题 -----------------------------------------------------------------------------------------

PROBLEM_HEADER = ("工作表", "行", "序号", "牵头单位", "列", "单元格", "内容", "问题")
PROBLEM_WIDTHS = (10, 4, 4, 9, 9, 6, 20, 40)


def _problems(ws: Worksheet, view: WeeklyView, tasks: Sequence[Task]) -> None:
    """Each cell to fix, with the task on its row, so that the office knows whose it is."""
    problems = view.problems
    context = f"共 {len(problems)} 处，请在台账中修正。" if problems else "未发现数据问题。"
    _start(ws, view, "台账数据问题", context, PROBLEM_HEADER if problems else (), PROBLEM_WIDTHS)
    by_place = {(t.file, t.sheet, t.row): t for t in tasks}
    for row, p in enumerate(problems, start=HEADER_ROW + 1):
        task = by_place.get((p.file, p.sheet, p.row))
        no: object = number_or_text(task.no) if task and task.no else "—"
        lead = ("、".join(task.lead) or NO_SECTION) if task else "—"
        values = [p.sheet, p.row, no, lead, p.column, p.cell, p.value, p.message]
        write_row(ws, row, values, ["body", "body", "no", *["body"] * 5])
        fit_height(ws, row, values, PROBLEM_WIDTHS)


# --- shared -------------------------------------------------------------------------------------------


def _start(
    ws: Worksheet,
    view: WeeklyView,
    title: str,
    context: str,
    header: Sequence[str],
    widths: Sequence[float],
    *,
    repeat: bool = True,
) -> None:
    """Title, a line of context and the header row (none for an empty list, whose context says
    so); frozen below the header; A4 landscape, fitted to the page width, the header repeated
    on every printed page and the page number in the footer."""
    heading = f"{view.office_name}整改任务进展周报 · {title}（{chinese_date(view.today)}）"
    write_row(ws, 1, [heading], "title")
    write_row(ws, 2, [context], "context")
    span = get_column_letter(_title_span(widths))
    for row in (1, 2):
        ws.merge_cells(f"A{row}:{span}{row}")
    ws.row_dimensions[1].height = 28
    ws.row_dimensions[2].height = max(30, lines_needed(context, sum(widths)) * 14.5 + 4)
    if header:
        write_row(ws, HEADER_ROW, header, "header")
        fit_height(ws, HEADER_ROW, header, widths)
    set_widths(ws, widths)
    print_setup(ws, HEADER_ROW if header else None, repeat_header=repeat)


def _title_span(widths: Sequence[float], room: float = 100) -> int:
    """The columns the title is merged over: the table's, and on a narrow sheet as many empty
    columns of the default width (8.43) more as a 15 pt title needs."""
    return len(widths) + max(0, math.ceil((room - sum(widths)) / 8.43))
