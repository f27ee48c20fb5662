"""The only code that opens workbook files. Reads values with python-calamine.

calamine reads .xlsx, .xlsm and legacy .xls alike, gives the value a formula last
computed, and knows merged ranges, at many times openpyxl's speed. The file is read into
memory in one go, so a ledger saved by someone mid-read gives one consistent picture or an
error, never half of each. Nothing here ever writes to the ledger: it belongs to the office.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import python_calamine as pc

from scheduler.core.model import CellValue
from scheduler.errors import LedgerError, os_reason

SUFFIXES = (".xlsx", ".xlsm", ".xls")

Merge = tuple[int, int, int, int]  # first row, first column, last row, last column; 0-based


@dataclass(frozen=True)
class SheetData:
    name: str
    rows: list[list[CellValue]]  # from A1, so indexes are Excel's row and column minus one
    merges: list[Merge]
    hidden: bool


class Workbook:
    """An open workbook. Sheets are read one at a time, so only one sheet's cells are in
    memory at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._book = _open(path)
        # Chart and macro sheets hold no rows.
        self._meta = {m.name: m for m in self._book.sheets_metadata if m.typ == pc.SheetTypeEnum.WorkSheet}

    @property
    def sheet_names(self) -> list[str]:
        return list(self._meta)

    def hidden(self, name: str) -> bool:
        return self._meta[name].visible != pc.SheetVisibleEnum.Visible

    def sheet(self, name: str) -> SheetData:
        try:
            sheet = self._book.get_sheet_by_name(name)
            rows = cast(list[list[CellValue]], sheet.to_python(skip_empty_area=False))
            merges = [(r1, c1, r2, c2) for (r1, c1), (r2, c2) in sheet.merged_cell_ranges or ()]
        except pc.CalamineError as e:
            raise LedgerError(self.path, f"工作表内容损坏（{e}）", sheet=name) from None
        return SheetData(name=name, rows=rows, merges=merges, hidden=self.hidden(name))


def _open(path: Path) -> pc.CalamineWorkbook:
    if path.suffix.lower() not in SUFFIXES:
        raise LedgerError(path, "只支持 Excel 文件（.xlsx、.xlsm、.xls）")
    try:
        before = path.stat()
        data = path.read_bytes()
        after = path.stat()
    except FileNotFoundError:
        raise LedgerError(path, "文件不存在，请检查路径（config.toml 的 ledger.path，或 --ledger）") from None
    except IsADirectoryError:
        raise LedgerError(path, "这是一个文件夹，不是 Excel 文件") from None
    except PermissionError:
        raise LedgerError(path, "文件被占用或没有读取权限（可能正在 Excel 或 WPS 中保存）") from None
    except OSError as e:
        raise LedgerError(path, f"读取失败（{os_reason(e)}）") from None
    if not data:
        raise LedgerError(path, "文件是空的（可能正在保存或复制，请稍后再试）")
    changed = (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns)
    if changed or len(data) != after.st_size:
        # Someone saved over it while we read: what we have may be half old, half new.
        raise LedgerError(path, "文件正在被保存或复制，请稍后再试")
    try:
        return pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError:
        raise LedgerError(path, "文件设置了打开密码，请另存为不加密的副本") from None
    except pc.CalamineError:
        raise LedgerError(path, "文件已损坏或不是 Excel 文件（可能没有保存完整）") from None
