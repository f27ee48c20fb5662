"""The only code that opens workbook files. Reads values with python-calamine.

calamine reads .xlsx, .xlsm and legacy .xls alike, gives the value a formula last
computed, and knows merged ranges, at many times openpyxl's speed. The file is read into
memory in one go, so a ledger saved by someone mid-read gives one consistent picture or an
error, never half of each. Nothing here ever writes to the ledger: it belongs to the office.

Everything in the file is untrusted. Before calamine sees an .xlsx, its archive is checked
for size (archive.py) and its sheets for stray far values (sheetxml.py); every text calamine
gives is made safe (cells.clean) here, once, so no code after this sees a control character.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import python_calamine as pc

from scheduler.core.model import CellValue
from scheduler.errors import LedgerError, os_reason
from scheduler.ledger.archive import MB, Archive, too_big
from scheduler.ledger.cells import clean, clean_rows
from scheduler.ledger.sheetxml import Position, SheetFacts, inspect

SUFFIXES = (".xlsx", ".xlsm", ".xls")

Merge = tuple[int, int, int, int]  # first row, first column, last row, last column; 0-based


@dataclass(frozen=True)
class SheetData:
    name: str
    rows: list[list[CellValue]]  # from A1, so indexes are Excel's row and column minus one
    merges: list[Merge]
    hidden: bool
    facts: SheetFacts = field(default_factory=SheetFacts)  # percent formats, formula errors, far values
    cleaned: list[tuple[int, int, str]] = field(default_factory=list)  # texts that lost control characters

    def is_percent(self, position: Position) -> bool:
        return position in self.facts.percent


class Workbook:
    """An open workbook. Sheets are read one at a time, so only one sheet's cells are in
    memory at once."""

    def __init__(self, path: Path, max_unpacked_mb: int = 512) -> None:
        self.path = path
        data = _read(path)
        limit = max_unpacked_mb * MB
        self._facts: dict[str, SheetFacts] = {}
        if data.startswith(b"PK"):  # a zip: .xlsx or .xlsm
            inspection = inspect(Archive(path, data, limit), data)
            data, self._facts = inspection.data, inspection.facts
        elif len(data) > limit:
            # An .xls (BIFF) sheet holds at most 65,536 rows × 256 columns, so calamine's grid is
            # bounded whatever the file says; its size is the one thing left to check.
            raise too_big(path, len(data), limit)
        self._book = _calamine(path, data)
        # Chart and macro sheets hold no rows. Names are cleaned like any text; calamine is
        # asked by the name it gave.
        self._meta = {
            clean(m.name): m for m in self._book.sheets_metadata if m.typ == pc.SheetTypeEnum.WorkSheet
        }

    @property
    def sheet_names(self) -> list[str]:
        return list(self._meta)

    def hidden(self, name: str) -> bool:
        return self._meta[name].visible != pc.SheetVisibleEnum.Visible

    def sheet(self, name: str) -> SheetData:
        raw = self._meta[name].name
        try:
            sheet = self._book.get_sheet_by_name(raw)
            rows = cast(list[list[CellValue]], sheet.to_python(skip_empty_area=False))
            merges = [(r1, c1, r2, c2) for (r1, c1), (r2, c2) in sheet.merged_cell_ranges or ()]
        except pc.CalamineError as e:
            raise LedgerError(self.path, f"工作表内容损坏（{clean(str(e))}）", sheet=name) from None
        facts = self._facts.get(raw, SheetFacts())
        cleaned = clean_rows(rows)
        return SheetData(name, rows, merges, self.hidden(name), facts, cleaned)


def _read(path: Path) -> bytes:
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
    return data


def _calamine(path: Path, data: bytes) -> pc.CalamineWorkbook:
    try:
        return pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError:
        raise LedgerError(path, "文件设置了打开密码，请另存为不加密的副本") from None
    except pc.CalamineError:
        raise LedgerError(path, "文件已损坏或不是 Excel 文件（可能没有保存完整）") from None
