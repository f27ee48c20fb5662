"""What an .xlsx says that calamine's values do not, found in one pass over each sheet's XML.

1. Where the values are. calamine allocates the whole grid between the first and the last
   value of a sheet, so one stray value in XFD1048576 asks for half a terabyte and the process
   dies. A value far from all the others is cut out of a copy of the sheet and reported.
2. Which cells are formatted as percent: 1.5 in a 0% cell shows as 150%, not as 1.5%.
3. Which cells hold a formula error (#REF!): calamine gives those as empty text.

The pass is a few regular expressions over the raw XML, no parser: a 50,000-row sheet of
80 MB is unpacked and scanned in about a quarter of a second. When every cell and row
carries a reference inside A1:Z99999 (what Excel, WPS and LibreOffice write for a ledger),
the grid is known to be small from one search. A wider or longer sheet whose cells all carry
references has its grid measured from those references (a few tenths of a second more).
Only a sheet with cells to cut, or cells without references, is walked tag by tag in Python,
placing each cell exactly where calamine will (seconds for 700,000 cells).
"""

from __future__ import annotations

import io
import itertools
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from scheduler.errors import LedgerError
from scheduler.ledger.archive import Archive, normal

Position = tuple[int, int]  # 0-based row and column, as in calamine's rows

# A grid of this many cells costs at most about 120 MB to read; a sheet fits in it, or in a
# few times the cells it really uses, or its far values are cut off.
GRID_FLOOR = 3_000_000
GRID_FACTOR = 4
ROW_GAP = 1000  # this many empty rows, or columns, part a stray value from the ledger
COLUMN_GAP = 100

ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"})
_BUILTIN_PERCENT = frozenset({9, 10})  # 0% and 0.00%

_OFFICE_DOCUMENT = "/relationships/officeDocument"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# calamine knows a cell by its local name alone: <c>, <x:c> and <any:c> are all cells, whatever
# the root element says. Sheets without any prefixed cell or row (nearly all) are scanned with
# patterns for plain tags, which are twice as fast as patterns allowing any prefix.
_ANY_PREFIX = rb"(?:[^\s<>/:=\"']+:)?"  # any name: XML allows more than ASCII
_PREFIXED = re.compile(rb":(?:c|row)[\s/>]")
_FAR = 1 << 40  # where a reference too long to be real is placed: far, so it is cut out
_ATTRIBUTE = re.compile(rb"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(rb"\$?([A-Za-z]+)\$?(\d+)")
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


@dataclass(frozen=True)
class SheetFacts:
    percent: frozenset[Position] = frozenset()
    errors: dict[Position, str] = field(default_factory=dict)  # "#REF!"
    far: tuple[Position, ...] = ()  # values left out, far from the rest


@dataclass(frozen=True)
class Inspection:
    facts: dict[str, SheetFacts]  # by sheet name, as calamine names it
    data: bytes  # what calamine reads: the file itself, or a copy without the far values


def inspect(archive: Archive, data: bytes) -> Inspection:
    """Check every part of the archive and learn each worksheet's facts."""
    xl, sheets = _worksheets(archive)
    percent_ids = percent_styles(archive.read(f"{xl}styles.xml"))
    facts: dict[str, SheetFacts] = {}
    rewritten: dict[str, bytes] = {}
    parts = {normal(p): n for n, p in sheets}
    for member in archive.names():
        name = parts.get(normal(member))
        if name is None:
            archive.check(member)
            continue
        facts[name], smaller = scan(archive.pieces(member), percent_ids, archive, name)
        if smaller is not None:
            rewritten[member] = smaller
    return Inspection(facts, _repack(archive, rewritten) if rewritten else data)


def percent_styles(styles: bytes | None) -> frozenset[int]:
    """Indexes into cellXfs (a cell's s="…") whose number format shows a percent."""
    if not styles:
        return frozenset()
    try:
        root = ET.fromstring(styles)
    except ET.ParseError:
        return frozenset()  # calamine reads what it can; we keep today's rules
    formats = set(_BUILTIN_PERCENT)
    for element in root.iter():
        if _local(element.tag) == "numFmt" and is_percent_format(element.get("formatCode", "")):
            formats.add(_integer(element.get("numFmtId")))
    for element in root.iter():
        if _local(element.tag) == "cellXfs":
            xfs = [x for x in element if _local(x.tag) == "xf"]
            return frozenset(i for i, xf in enumerate(xfs) if _integer(xf.get("numFmtId")) in formats)
    return frozenset()


def is_percent_format(code: str) -> bool:
    """A % outside quotes, escapes and [colour] sections multiplies the value by 100 on screen."""
    return "%" in _QUOTED.sub("", code)


def scan(
    pieces: Iterable[bytes], percent_ids: frozenset[int], archive: Archive, sheet: str
) -> tuple[SheetFacts, bytes | None]:
    """The facts of one sheet, and its XML without far values when it has any. The XML comes
    in pieces, each scanned while the next is unpacked; it is joined only when a sheet needs
    a closer look (cells without small references, or formula errors)."""
    kept: list[bytes] = []
    patterns = _patterns(False, percent_ids)
    unusual = errors = False
    percent: set[Position] = set()
    for buffer, start, end in _spans(_keeping(pieces, kept)):
        if not patterns.prefixed and _PREFIXED.search(buffer, start, end):
            patterns = _patterns(True, percent_ids)  # the spans before held no prefixed tag
        unusual = unusual or patterns.unusual.search(buffer, start, end) is not None
        errors = errors or buffer.find(b't="e"', start, end) >= 0
        if patterns.percent is not None:
            percent.update(_percent_cells(buffer, start, end, patterns.percent))
    if not unusual and not errors:
        return SheetFacts(frozenset(percent)), None
    xml = b"".join(kept)
    del kept[:]
    if not unusual or _fits(xml, patterns):
        return SheetFacts(frozenset(percent), _errors(xml, patterns) if errors else {}), None
    walk = _walk(xml, patterns, percent_ids)
    far = _far(walk.values, archive, sheet)
    facts = SheetFacts(frozenset(walk.percent), walk.errors, tuple(sorted(far)))
    return facts, _cut(xml, sorted(far.values()), patterns.close) if far else None


def _keeping(pieces: Iterable[bytes], kept: list[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        kept.append(piece)
        yield piece


def _spans(pieces: Iterable[bytes]) -> Iterator[tuple[bytes, int, int]]:
    """The XML as (buffer, start, end) spans that each end just before a "<", so that no tag
    is split between two spans (a well-formed tag holds no "<"). Most spans are a whole
    piece, scanned in place."""
    carry: list[bytes] = []  # from the last "<" seen, joined once the next "<" comes
    for piece in pieces:
        first, last = piece.find(b"<"), piece.rfind(b"<")
        if first < 0:  # no tag begins in this piece
            carry.append(piece)
            continue
        joint = b"".join([*carry, piece[:first]])
        if joint:
            yield joint, 0, len(joint)
        if last > first:
            yield piece, first, last
        carry = [piece[last:]]
    if carry:
        rest = b"".join(carry)
        yield rest, 0, len(rest)


# --- the fast path: every reference small and in place -------------------------------------


@dataclass(frozen=True)
class _Patterns:
    unusual: re.Pattern[bytes]  # a row or cell without a small reference as its first attribute
    unplaced: re.Pattern[bytes]  # a row or cell without any reference as its first attribute
    valued: re.Pattern[bytes]  # the reference of a cell that is not self-closing
    error: re.Pattern[bytes]
    percent: re.Pattern[bytes] | None
    tag: re.Pattern[bytes]
    close: re.Pattern[bytes]  # </c>
    prefixed: bool  # the patterns allow any prefix


@lru_cache(maxsize=16)
def _patterns(prefixed: bool, percent_ids: frozenset[int]) -> _Patterns:
    p = _ANY_PREFIX if prefixed else b""
    ids = b"|".join(str(i).encode() for i in sorted(percent_ids))
    return _Patterns(
        unusual=re.compile(rb"<" + p + rb'(?:c|row)(?! r="[A-Z]?\d{1,5}")[\s/>]'),
        unplaced=re.compile(rb"<" + p + rb'(?:c(?! r="[A-Z]+\d+")|row(?! r="\d+"))[\s/>]'),
        valued=re.compile(rb"<" + p + rb'c r="([A-Z]+)(\d+)"[^>]*(?<!/)>'),
        error=re.compile(rb"<" + p + rb'c r="([A-Z]+)(\d+)"[^>]*?\st="e"[^>]*>'),
        percent=re.compile(rb"<" + p + rb'c r="([A-Z]+)(\d+)"[^>]*?\ss="(?:' + ids + rb')"') if ids else None,
        tag=re.compile(rb"<(/?)" + p + rb"(row|c)(?=[\s/>])([^>]*?)(/?)>"),
        close=re.compile(rb"</" + p + rb"c\s*>"),
        prefixed=prefixed,
    )


def _fits(xml: bytes, patterns: _Patterns) -> bool:
    """The middle way, for a sheet wider than Z or longer than 99,999 rows: when every cell
    carries its reference first, the grid is the largest row times the largest column of the
    cells with a value, read in two C-speed passes instead of a walk in Python."""
    if patterns.unplaced.search(xml) is not None:
        return False
    found = patterns.valued.findall(xml)
    if not found:
        return True
    places = [_position(letters, digits) for letters, digits in set(found)]
    rows, columns = max(r for r, _ in places) + 1, max(c for _, c in places) + 1
    return rows * columns <= _budget(len(found))


def _position(letters: bytes, digits: bytes) -> Position:
    """0-based (row, column) of a reference's letters and digits. One with absurdly many
    (only a damaged or hostile file has them) is placed far away, to be cut out."""
    row = int(digits) - 1 if len(digits) <= 12 else _FAR
    return row, column_number(letters) if len(letters) <= 8 else _FAR


def _errors(xml: bytes, patterns: _Patterns) -> dict[Position, str]:
    found: dict[Position, str] = {}
    for m in patterns.error.finditer(xml):
        found[_position(m[1], m[2])] = _error_value(xml, m.end(), patterns)
    return found


def _percent_cells(buffer: bytes, start: int, end: int, pattern: re.Pattern[bytes]) -> Iterable[Position]:
    for m in pattern.finditer(buffer, start, end):
        yield _position(m[1], m[2])


def _error_value(xml: bytes, at: int, patterns: _Patterns) -> str:
    """The error code in the cell's <v>, e.g. #REF!; only the codes Excel has, never raw text."""
    close = patterns.close.search(xml, at)
    found = re.search(rb"<(?:[\w.-]+:)?v>([^<]{1,16})</", xml[at : close.start() if close else at + 256])
    code = found.group(1).decode("ascii", "replace").strip() if found else ""
    return code if code in ERRORS else "#错误"


# --- the slow path: walk the tags as calamine does ------------------------------------------


@dataclass
class _Walk:
    values: dict[Position, int] = field(default_factory=dict)  # cell with a value → its offset
    percent: set[Position] = field(default_factory=set)
    errors: dict[Position, str] = field(default_factory=dict)


def _walk(xml: bytes, patterns: _Patterns, percent_ids: frozenset[int]) -> _Walk:
    """Every cell placed as calamine places it: by its reference, or else next to the one
    before (rows likewise); a self-closing <c/> holds no value but still takes its column."""
    walk = _Walk()
    row = column = 0
    for m in patterns.tag.finditer(xml):
        closing, name, raw, empty = m.groups()
        if name == b"row":
            if closing:
                row, column = row + 1, 0
                continue
            number = _attributes(raw).get(b"r")
            if number is not None and number.isdigit():
                row = int(number) - 1 if len(number) <= 12 else _FAR
            if empty:
                row, column = row + 1, 0
            continue
        if closing:
            continue
        attributes = _attributes(raw)
        ref = _REF.fullmatch(attributes.get(b"r", b""))
        position = _position(ref[1], ref[2]) if ref else (row, column)
        column = position[1] + 1
        if not empty:
            walk.values[position] = m.start()
        if _integer(attributes.get(b"s")) in percent_ids:
            walk.percent.add(position)
        if attributes.get(b"t") == b"e" and not empty:
            walk.errors[position] = _error_value(xml, m.end(), patterns)
    return walk


def _far(values: dict[Position, int], archive: Archive, sheet: str) -> dict[Position, int]:
    """Values to leave out: none while the grid is small enough for the cells used; else those
    beyond the first wide gap of empty rows or columns below and right of the ledger."""
    if _grid(values) <= _budget(len(values)):
        return {}
    last_row = _before_gap(sorted({r for r, _ in values}), ROW_GAP)
    last_column = _before_gap(sorted({c for _, c in values}), COLUMN_GAP)
    far = {p: at for p, at in values.items() if p[0] > last_row or p[1] > last_column}
    kept = len(values) - len(far)
    if (last_row + 1) * (last_column + 1) > _budget(kept):
        raise LedgerError(
            archive.path,
            f"有内容的单元格只有 {kept} 个，却分散在 {last_row + 1} 行 × {last_column + 1} 列的范围里，"
            "读取会占用过多内存；请删除台账下方和右侧多余的内容后再试",
            sheet,
            retryable=False,
        )
    return far


def _grid(values: Iterable[Position]) -> int:
    rows = columns = 0
    for r, c in values:
        rows, columns = max(rows, r + 1), max(columns, c + 1)
    return rows * columns


def _budget(cells: int) -> int:
    return max(GRID_FLOOR, GRID_FACTOR * cells)


def _before_gap(numbers: list[int], gap: int) -> int:
    for before, after in itertools.pairwise(numbers):
        if after - before > gap:
            return before
    return numbers[-1] if numbers else 0


def _cut(xml: bytes, offsets: list[int], close: re.Pattern[bytes]) -> bytes:
    """The sheet XML without the cells that start at these offsets (ascending); `close` finds
    a cell's closing tag. A cell that starts inside one already cut (<c> without </c>) is gone."""
    pieces = []
    kept_from = 0
    for start in offsets:
        if start < kept_from:
            continue
        end = close.search(xml, start)
        pieces.append(xml[kept_from:start])
        kept_from = end.end() if end else len(xml)
    pieces.append(xml[kept_from:])
    return b"".join(pieces)


def _repack(archive: Archive, rewritten: dict[str, bytes]) -> bytes:
    """A copy of the workbook, in memory, with some sheets' XML replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for member in archive.names():
            data = rewritten.get(member)
            z.writestr(member, data if data is not None else archive.read(member) or b"")
    return out.getvalue()


# --- the workbook's structure -----------------------------------------------------------------


def _worksheets(archive: Archive) -> tuple[str, list[tuple[str, str]]]:
    """The folder of workbook.xml ("xl/") and each sheet's (name, part), found as calamine
    finds them: the package's officeDocument relationship, then workbook.xml and its rels."""
    package = _relationships(archive, "_rels/.rels").values()
    document = next((target for kind, target in package if kind.endswith(_OFFICE_DOCUMENT)), None)
    if document is None:
        raise LedgerError(archive.path, "文件已损坏或不是 Excel 文件（缺少工作簿部件）")
    xl = document.lstrip("/").rpartition("/")[0]
    xl = f"{xl}/" if xl else ""
    relationships = _relationships(archive, f"{xl}_rels/workbook.xml.rels")
    workbook = _xml(archive, f"{xl}workbook.xml")
    sheets: list[tuple[str, str]] = []
    for element in workbook.iter() if workbook is not None else ():
        if _local(element.tag) != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
        kind, target = relationships.get(rid, ("", ""))
        if kind.endswith("/worksheet") and target:
            part = target[1:] if target.startswith("/") else f"{xl}{target}"
            sheets.append((element.get("name", ""), part))
    return xl, sheets


def _relationships(archive: Archive, part: str) -> dict[str, tuple[str, str]]:
    root = _xml(archive, part)
    if root is None:
        return {}
    return {
        r.get("Id", ""): (r.get("Type", ""), r.get("Target", ""))
        for r in root.iter()
        if r.tag == _RELS or _local(r.tag) == "Relationship"
    }


def _xml(archive: Archive, part: str) -> ET.Element | None:
    data = archive.read(part)
    if data is None:
        return None
    try:
        return ET.fromstring(data)
    except ET.ParseError:
        raise LedgerError(archive.path, f"文件已损坏（“{part}”不是有效的 XML）") from None


# --- small helpers -----------------------------------------------------------------------------


def column_number(letters: bytes) -> int:
    """b"A" → 0, b"Z" → 25, b"AA" → 26."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number - 1


def _attributes(raw: bytes) -> dict[bytes, bytes]:
    return {m[1]: m[2] if m[2] is not None else m[3] for m in _ATTRIBUTE.finditer(raw)}


def _integer(value: str | bytes | None) -> int:
    try:
        return int(value) if value is not None else -1
    except ValueError:
        return -1


def _local(tag: str) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2]
