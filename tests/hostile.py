"""Build hostile .xlsx files by editing the XML inside a real workbook, as a damaged file,
another program or a paste from Word leaves it: stray far cells, zip bombs, control
characters, formula errors. openpyxl refuses to write most of these, so it writes a clean
ledger first and the parts are rewritten here."""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

SHEET = "xl/worksheets/sheet1.xml"


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def write_parts(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def rewrite_sheet(path: Path, change: Callable[[str], str], part: str = SHEET) -> Path:
    parts = parts_of(path)
    parts[part] = change(parts[part].decode("utf-8")).encode("utf-8")
    return write_parts(path, parts)


def append_rows(path: Path, rows_xml: str) -> Path:
    """Add raw <row> elements at the end of the first sheet's data."""
    return rewrite_sheet(path, lambda xml: xml.replace("</sheetData>", rows_xml + "</sheetData>"))


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{excel_escape(text)}</t></is></c>'


def excel_escape(text: str) -> str:
    """Text as Excel stores it in XML: &<> as entities; characters XML cannot hold (controls,
    and a lone surrogate, which UTF-8 cannot encode) as _xHHHH_; a literal _xHHHH_ guarded
    by _x005F_."""
    text = re.sub(r"_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"[\x00-\x08\x0b-\x1f\ud800-\udfff]", lambda m: f"_x{ord(m.group()):04X}_", text)


def set_cell(path: Path, ref: str, cell_xml: str) -> Path:
    """Replace the existing cell `ref` of the first sheet with raw XML."""

    def change(xml: str) -> str:
        found = re.search(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)', xml)
        assert found, ref
        return xml[: found.start()] + cell_xml + xml[found.end() :]

    return rewrite_sheet(path, change)


def declare_size(path: Path, member: str, size: int) -> Path:
    """Make the archive claim `member` unpacks to `size` bytes (local and central headers),
    the way a hostile or broken zip lies."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + length]) == name:
            struct.pack_into("<I", data, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path
