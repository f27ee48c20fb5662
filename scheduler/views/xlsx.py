"""Writing workbooks: ledger text stays text, styles are shared, rows are as tall as their text.

Shared by the section attachment and the weekly report. Each look is registered once per
workbook as a named style and cells refer to it by name: a new Font or Alignment object per
cell made openpyxl hash and compare thousands of style objects, which was most of the time
a 10,000-row weekly run took.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

EXCEL_CELL_LIMIT = 32767  # characters: Excel "repairs" a file with a longer cell
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


def register(wb: Workbook, font: str, looks: dict[str, Look]) -> None:
    """Add each look to the workbook as a named style, once."""
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
    reader's Excel (CSV/Excel injection)."""
    for column, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=column, value=text(value) if isinstance(value, str) else value)
        if cell.data_type == "f":
            cell.data_type = "s"
        cell.style = styles if isinstance(styles, str) else styles[column - 1]


def set_widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width


def fit_height(
    ws: Worksheet, row: int, values: Sequence[object], widths: Sequence[float], line: float = 14
) -> None:
    """A row tall enough for its wrapped text: LibreOffice and WPS do not grow a row by
    themselves when the file does not say how tall it is."""
    lines = max((lines_needed(v, w) for v, w in zip(values, widths, strict=False)), default=1)
    ws.row_dimensions[row].height = line * lines + 4


def lines_needed(value: object, width: float) -> int:
    if not isinstance(value, str) or not value:
        return 1
    # A Chinese character takes about two units of column width, a Latin one about one: in
    # UTF-8 they take three bytes and one, so (bytes + characters) / 2 counts the units
    # without a Python loop over every character.
    units = (len(value.encode("utf-8", "replace")) + len(value)) // 2
    units += value.count("\n") * int(width)  # a line break starts a new line
    return max(1, -(-units // max(int(width) - 1, 1)))
