"""Writing workbooks: ledger text stays text, styles are shared, rows are as tall as their text.

Shared by the section attachment and the weekly report. Each look is registered once per
workbook as a named style and cells refer to it by name: a new Font or Alignment object per
cell made openpyxl hash and compare thousands of style objects, which was most of the time
a 10,000-row weekly run took.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.core.model import Level

FORMULA_STARTS = ("=", "+", "-", "@")  # what Excel and WPS would take for a formula
EXCEL_CELL_LIMIT = 32767  # characters: Excel "repairs" a file with a longer cell
EXCEL_ROW_LIMIT = 409  # points: the tallest row Excel allows
FOOTER = "第 &P 页 共 &N 页"
# The tint of a row or cell in each light's colour, the same in the report and the attachment.
LIGHT_FILLS = {Level.RED: "FFCCC7", Level.YELLOW: "FFE58F", Level.BLUE: "BAE0FF"}
# A4 landscape is 841.9 pt wide; less the margins below, this is what a fitted page has.
PRINT_WIDTH_PT = 841.9 - 72 * (0.4 + 0.4)
# A column width counts characters of the workbook's default font (Calibri 11): 7 pixels each
# in Excel and WPS, but about 9 in a LibreOffice without Calibri's metric twin (Carlito), which
# measures DejaVu Sans instead. Widths are chosen for the wider case, so that either prints at
# a readable size, and rows are made tall enough for the narrower one, so that no text is cut.
EXCEL_UNIT = 7.0
LIBREOFFICE_UNIT = 9.1
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


@dataclass(frozen=True)
class Look:
    """How a kind of cell looks: the parts of a named style we use."""

    size: float = 10
    bold: bool = False
    colour: str | None = None
    fill: str | None = None
    number_format: str = "General"
    wrap: bool = True
    horizontal: str | None = None
    vertical: str = "top"
    border: bool = True


# Per workbook, each named style's array of ids: what openpyxl copies into a cell when its
# style is set by name, after searching the workbook's styles name by name for every cell.
_ARRAYS: WeakKeyDictionary[Workbook, dict[str, StyleArray]] = WeakKeyDictionary()


def register(wb: Workbook, font: str, looks: dict[str, Look]) -> None:
    """Add each look to the workbook as a named style, once."""
    arrays = _ARRAYS.setdefault(wb, {})
    for name, look in looks.items():
        style = NamedStyle(name=name)
        style.font = Font(name=font, size=look.size, bold=look.bold, color=look.colour)
        if look.fill:
            style.fill = PatternFill("solid", fgColor=look.fill)
        style.alignment = Alignment(wrap_text=look.wrap, horizontal=look.horizontal, vertical=look.vertical)
        if look.border:
            style.border = BORDER
        style.number_format = look.number_format
        wb.add_named_style(style)
        arrays[name] = style.as_tuple()


def text(value: str) -> str:
    """Ledger text as a cell can hold it. Control characters (a vertical tab from a Word line
    break) are dropped, since openpyxl refuses them and one such cell must not stop every
    warning; text over Excel's limit is cut with "…"."""
    cleaned = str(ILLEGAL_CHARACTERS_RE.sub("", value))
    if len(cleaned) > EXCEL_CELL_LIMIT:
        return cleaned[: EXCEL_CELL_LIMIT - 1] + "…"
    return cleaned


def write_row(ws: Worksheet, row: int, values: Sequence[object], styles: str | Sequence[str]) -> None:
    """Write one row from column A. Text is stored as text: openpyxl would make any string
    starting with "=" a formula, and ledger text such as "=HYPERLINK(…)" must never run in a
    reader's Excel (CSV/Excel injection). Styles are looks given to `register`, by name."""
    arrays = _ARRAYS[ws.parent]
    for column, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=column, value=text(value) if isinstance(value, str) else value)
        # What `cell.style = name` does, without its search by name.
        cell._style = copy(arrays[styles if isinstance(styles, str) else styles[column - 1]])
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            # Marked as typed with a leading apostrophe: otherwise editing the cell (F2, Enter)
            # or saving as CSV in Excel or WPS would turn the text into a live formula.
            cell.quotePrefix = True


def number_or_text(value: str) -> int | str:
    """序号 "12" as the number 12, so that it sorts as a number; "3.1" or "一" stay text."""
    digits = value.strip()
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 10 else value


def set_widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width


def fit_height(
    ws: Worksheet, row: int, values: Sequence[object], widths: Sequence[float], line: float = 14.5
) -> None:
    """A row tall enough for its wrapped text: LibreOffice and WPS do not grow a row by
    themselves when the file does not say how tall it is. A line of 10 pt text takes 14.5 pt
    in LibreOffice's CJK font (13 in Excel's): the taller, so that no line is cut off."""
    lines = max((lines_needed(v, w) for v, w in zip(values, widths, strict=False)), default=1)
    ws.row_dimensions[row].height = min(line * lines + 4, EXCEL_ROW_LIMIT)


def lines_needed(value: object, width: float) -> int:
    """How many lines a 10 pt text takes in a column `width` characters wide (7 pixels each)."""
    if not isinstance(value, str) or not value:
        return 1
    room = int(7 * width) - 2  # the column's pixels, less the cell's padding
    return sum(-(-_pixels(part) // room) or 1 for part in value[:EXCEL_CELL_LIMIT].split("\n"))


def _pixels(value: str) -> int:
    """The width of a line of 10 pt text in pixels: 14 for a Chinese character, 7 for a Latin one,
    with a little to spare for line-breaking rules (no "，" at the start of a line). A Chinese
    character takes three bytes in UTF-8 and a Latin one one, so the bytes count the Chinese
    characters without a Python loop over every character."""
    wide = (len(value.encode("utf-8", "replace")) - len(value)) // 2
    return int(wide * 14 + (len(value) - wide) * 7)


def print_scale(widths: Sequence[float], unit: float = LIBREOFFICE_UNIT) -> float:
    """How far fit-to-width shrinks a sheet of these column widths on A4 landscape: 1.0 when it
    fits. A width of w characters is w units of `unit` pixels (0.75 pt each) plus 5. A 10 pt
    font printed below 0.9 is below 9 pt, too small to read on paper."""
    points = sum(unit * w + 5 for w in widths) * 0.75
    return min(1.0, PRINT_WIDTH_PT / points)


def print_setup(ws: Worksheet, header_row: int | None, *, repeat_header: bool = True) -> None:
    """A4 landscape, fitted to the page width (as many pages long as it takes), the header row
    frozen and repeated on every page, and the page number in the footer."""
    if header_row is not None:
        ws.freeze_panes = f"A{header_row + 1}"
    if header_row is not None and repeat_header:
        ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    margins = ws.page_margins
    margins.left = margins.right = 0.4
    margins.top, margins.bottom, margins.header, margins.footer = 0.5, 0.6, 0.3, 0.3
    ws.oddFooter.center.text = FOOTER
    ws.oddFooter.center.size = 10
