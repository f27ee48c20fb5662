"""Names taken from the ledger, made safe for file systems and workbooks.

A section name is whatever the office typed: 120 Chinese characters, "../", "CON", a line
break from Word. None of it may break a path (ext4 allows 255 bytes per name, Windows refuses
CON or NUL.txt) or a workbook (Excel allows 31 characters in a sheet title).
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_BYTES = 200  # below ext4's and NTFS's 255, leaving room for ".part" and the like
MAX_SHEET_TITLE = 31  # Excel counts UTF-16 code units
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')
_DOTS = re.compile(r"\.{2,}")
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]+")
# Windows refuses these as a name, also with an extension ("con.txt") and with superscripts.
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])$", re.IGNORECASE)


def safe_file_name(stem: str, suffix: str = "", max_bytes: int = MAX_NAME_BYTES) -> str:
    """`stem` (ledger text) cleaned and cut to fit, then `suffix` (ours, kept whole, e.g. a digest
    and ".eml"). The result is one name in one folder: never a path, never reserved on Windows,
    at most `max_bytes` of UTF-8."""
    cleaned = _DOTS.sub("_", _printable(_UNSAFE.sub("_", stem))).strip("._ ")
    room = max_bytes - len(suffix.encode())
    cut = cleaned.encode()[:room].decode("utf-8", "ignore").rstrip(". ")  # cut on a character boundary
    name = (cut or "_") + suffix
    if _RESERVED.match(name.split(".")[0].rstrip(" ")):
        name = "_" + name
    return name.rstrip(". ")


def safe_sheet_title(name: str, fallback: str) -> str:
    """A sheet title Excel and openpyxl accept: none of []:*?/\\, no control characters, no
    apostrophe at either end, at most 31 UTF-16 units, not Excel's reserved "History"."""
    cleaned = _SHEET_UNSAFE.sub("", _printable(name)).strip("' ")
    units = cleaned.encode("utf-16-le")[: MAX_SHEET_TITLE * 2]
    title = units.decode("utf-16-le", "ignore").strip("' ")  # an emoji cut in half is dropped
    return fallback if not title or title.lower() == "history" else title


def _printable(text: str) -> str:
    """Without control and format characters (a vertical tab from Word, a right-to-left override
    that makes "gpj.exe" read as "exe.jpg")."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
