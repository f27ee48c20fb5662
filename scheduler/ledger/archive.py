"""Checking an .xlsx archive before calamine unpacks it.

An .xlsx is a zip of XML parts. A damaged or hostile one can declare parts that unpack to
gigabytes (a zip bomb), or declare small sizes and unpack to more; calamine would unpack them
into memory and the process would die. Here the declared sizes are checked against
[ledger] max_unpacked_mb first, then every part is unpacked once, in bounded memory, and
refused if it unpacks to more than it declared. Only then does calamine see the file.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from scheduler.errors import LedgerError

MB = 1 << 20
PIECE = 8 * MB  # a big sheet is unpacked for the caller this much at a time
_LOCAL_HEADER = b"PK\x03\x04"

CORRUPT = "文件已损坏或不是 Excel 文件（可能没有保存完整）"
_BIGGER = "文件中的“{}”解压后比它声明的大，文件已损坏或被篡改"


def too_big(path: Path, size: int, limit: int) -> LedgerError:
    """The refusal of a file larger than the limit: reading it again cannot help."""
    return LedgerError(
        path,
        f"文件解压后约 {size / MB:.0f} MB，超过了 {limit // MB} MB 的上限（config.toml 的 "
        "[ledger] max_unpacked_mb）。文件可能已损坏或混入了大量无用内容，请另存为新文件后再试；"
        "确实需要这么大的台账时，可以调大 max_unpacked_mb",
        retryable=False,
    )


class Archive:
    """The parts of one .xlsx, checked: in total they declare no more than the limit, and
    each unpacks to exactly what it declares."""

    def __init__(self, path: Path, data: bytes, limit: int) -> None:
        self.path = path
        self._data = memoryview(data)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                infos = z.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
            raise LedgerError(path, CORRUPT) from None
        total = sum(info.file_size for info in infos)
        if total > limit:
            raise too_big(path, total, limit)
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            key = normal(info.filename)
            if key in self._infos:  # two parts under one name: which one would calamine read?
                raise LedgerError(path, CORRUPT)
            self._infos[key] = info

    def names(self) -> list[str]:
        return [info.filename for info in self._infos.values()]

    def has(self, name: str) -> bool:
        return normal(name) in self._infos

    def read(self, name: str) -> bytes | None:
        """A part unpacked, found as calamine finds it (case and slashes aside); None if absent."""
        info = self._infos.get(normal(name))
        return None if info is None else self._whole(info)

    def pieces(self, name: str) -> Iterator[bytes]:
        """A part unpacked a piece at a time, with the same checks as read(); nothing when
        absent. Faster than one read() of a big part (zlib grows one big buffer by copying),
        and a caller that looks at each piece in turn keeps it in the CPU's cache."""
        info = self._infos.get(normal(name))
        if info is None:
            return
        if info.compress_type == zipfile.ZIP_STORED or info.file_size <= PIECE:
            yield self._whole(info)
            return
        inflater = self._inflater(info)
        data: bytes | memoryview = self._raw(info)
        size = 0
        while True:
            piece = self._decompress(inflater, data, PIECE)
            size += len(piece)
            if size > info.file_size:
                raise LedgerError(self.path, _BIGGER.format(info.filename))
            yield piece
            data = inflater.unconsumed_tail
            if inflater.eof or not (data or len(piece) == PIECE):
                break
        self._settle(info, size, inflater)

    def check(self, name: str) -> None:
        """Unpack a part only to prove it is what it declares, a piece at a time."""
        for _ in self.pieces(name):
            pass

    def _whole(self, info: zipfile.ZipInfo) -> bytes:
        raw = self._raw(info)
        if info.compress_type == zipfile.ZIP_STORED:
            if len(raw) != info.file_size:
                raise LedgerError(self.path, CORRUPT)
            return bytes(raw)
        inflater = self._inflater(info)
        # At most one byte more than declared: memory is what the part declared.
        out = self._decompress(inflater, raw, info.file_size + 1)
        self._settle(info, len(out), inflater)
        return out

    def _inflater(self, info: zipfile.ZipInfo) -> zlib._Decompress:
        if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:
            raise LedgerError(self.path, CORRUPT)  # Excel, WPS and LibreOffice only deflate
        return zlib.decompressobj(-zlib.MAX_WBITS)

    def _decompress(self, inflater: zlib._Decompress, data: bytes | memoryview, most: int) -> bytes:
        try:
            return inflater.decompress(data, most)
        except zlib.error:
            raise LedgerError(self.path, CORRUPT) from None

    def _settle(self, info: zipfile.ZipInfo, size: int, inflater: zlib._Decompress) -> None:
        """The part unpacked to `size` bytes: exactly what it declared, or it is refused."""
        if size > info.file_size:
            raise LedgerError(self.path, _BIGGER.format(info.filename))
        if size != info.file_size or not inflater.eof:
            raise LedgerError(self.path, CORRUPT)  # cut short

    def _raw(self, info: zipfile.ZipInfo) -> memoryview:
        """The compressed bytes of a part, located from its local header."""
        at = info.header_offset
        header = self._data[at : at + 30]
        if len(header) < 30 or bytes(header[:4]) != _LOCAL_HEADER:
            raise LedgerError(self.path, CORRUPT)
        start = at + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
        raw = self._data[start : start + info.compress_size]
        if len(raw) != info.compress_size:
            raise LedgerError(self.path, CORRUPT)
        return raw


def normal(name: str) -> str:
    """A part name as calamine matches it: no leading slash, forward slashes, any case."""
    return name.replace("\\", "/").lstrip("/").lower()
