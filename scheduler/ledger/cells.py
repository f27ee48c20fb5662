"""Understanding single cells: section lists, status words, progress. Pure functions."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from functools import lru_cache

from scheduler.core.model import CellValue

_OPEN = "（(【[〔「《"
_CLOSE = "）)】]〕」》"
_SEPARATORS = "、，,；;/／\n\r"

# A status that says finished, unless something in it says "not", "not yet" or "partly".
# Erring towards "not done" keeps a warning alive; erring the other way silences one.
_DONE = re.compile(r"完成|已整改|整改到位|销号|办结|落实|结束|解决|关闭|完结|完毕")
_NOT_DONE = re.compile(r"未|没|尚|不|待|正在|推进|进行|部分|基本|阶段|持续|逐步|拟")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")

PROGRESS_MESSAGE = "无法识别的完成进度，请填写百分比，例如 60% 或 0.6"

# Characters no writer downstream takes safely: C0 and C1 controls (an XML workbook, an e-mail
# header and SQLite refuse some; a terminal obeys ESC), lone surrogates (UTF-8 cannot encode
# them), noncharacters (XML 1.0 refuses U+FFFE and U+FFFF), bidi overrides and isolates (they
# reorder what people read), and zero-width spaces and BOMs (invisible, yet "大气环境股\u200b"
# is not 大气环境股). Tab and newline stay; line and page breaks become newlines.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
    "\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"\\U{plane:04x}fffe\\U{plane:04x}ffff" for plane in range(1, 17))
    + "]"
)
_LINE_BREAKS = {"\x0b": "\n", "\x0c": "\n", "\u2028": "\n", "\u2029": "\n"}
CLEANED_MESSAGE = "单元格中有不可见的控制字符（可能是从 Word 或聊天软件粘贴的），已自动删除"


def clean(value: str) -> str:
    """Text safe for every writer: see _UNSAFE. Windows line ends become plain newlines."""
    if value.isprintable() or not _UNSAFE.search(value):  # isprintable: the cheap common case
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE.sub(_replacement, value)


def _replacement(match: re.Match[str]) -> str:
    char = match.group()
    if "\ud800" <= char <= "\udfff":
        return "\ufffd"
    return _LINE_BREAKS.get(char, "")


def clean_rows(rows: list[list[CellValue]]) -> list[tuple[int, int, str]]:
    """Clean every text cell in place. Returns (row, column, text) of each cell whose text
    changed in a way worth telling the office (a Windows line end alone is not)."""
    changed: list[tuple[int, int, str]] = []
    for r, row in enumerate(rows):
        if "".join([v for v in row if type(v) is str]).isprintable():
            # Most rows: every text printable, checked in C at once (a row whose text holds a
            # newline or a full-width space only goes the slow way).
            continue
        for c, value in enumerate(row):
            if type(value) is str and not value.isprintable():
                safe = clean(value)
                if safe != value:
                    row[c] = safe
                    if safe != value.replace("\r\n", "\n").replace("\r", "\n"):
                        changed.append((r, c, safe))
    return changed


def text(value: CellValue) -> str:
    """A cell as the office sees it: trimmed text, 3.0 shown as 3, dates as 2025-06-30."""
    # The two common cases first, by exact type: this runs for most cells of a big ledger.
    if type(value) is str:
        return value.strip()
    if type(value) is float and value.is_integer():
        return str(int(value))  # 序号 and other counts, as calamine gives them
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@lru_cache(maxsize=4096)
def split_sections(cell: str) -> tuple[str, ...]:
    """Split "大气环境股、水环境股" into names, but only outside brackets:
    "各镇（街道、中心）" is one name."""
    names: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in cell:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch in _SEPARATORS and depth == 0:
            names.append("".join(current))
            current = []
            continue
        current.append(ch)
    names.append("".join(current))
    unique: dict[str, None] = {}
    for name in names:
        name = name.strip(" \t\u3000")
        if name:
            unique[name] = None
    return tuple(unique)


_YES = frozenset({"是", "√", "✓", "✔", "y", "yes"})  # a 是否完成 column


@lru_cache(maxsize=1024)
def says_done(status: str) -> bool:
    """True when the status text says the task is finished (已完成, 已销号, 办结, or 是 …)."""
    flat = "".join(unicodedata.normalize("NFKC", status).split())
    if flat.lower() in _YES:
        return True
    if not _DONE.search(flat) or _NOT_DONE.search(flat):
        return False
    percent = re.search(r"(\d+(?:\.\d+)?)%", flat)
    return percent is None or float(percent.group(1)) >= 100


def parse_progress(value: CellValue) -> tuple[float | None, str | None]:
    """Progress as a fraction 0..1. Returns (None, message) when the cell cannot be read.

    0..1 is a percent-formatted cell (0.6 shows as 60%); above 1 up to 100 is a percent typed
    as a plain number; text may say "60%". A plain 1 is 100%, as a percent-formatted cell
    showing 100% holds 1 (see AMBIGUOUS_ONE for when that may be wrong).
    """
    if value is None or value == "":
        return None, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_number(float(value))
    if isinstance(value, str):
        return _progress_text(value)
    return None, PROGRESS_MESSAGE


AMBIGUOUS_ONE = (
    "完成进度“1”可能是 100% 也可能是 1%（这一列有按百分数填写的数字），现按 100% 计算；如果是 1%，请写成 1%"
)


def percent_cell(number: float) -> tuple[float | None, str | None]:
    """A number in a percent-formatted cell is always a fraction: 1.5 shows as 150%."""
    if number < 0:
        return None, "完成进度不能为负数"
    if number > 1:
        return None, "完成进度不能超过100%"
    return round(number, 4), None


def typed_as_percents(values: list[CellValue]) -> bool:
    """Does a progress column hold percents typed as plain numbers (60 for 60%)?"""
    return any(isinstance(v, int | float) and not isinstance(v, bool) and 1 < v <= 100 for v in values)


@lru_cache(maxsize=1024)
def _progress_text(value: str) -> tuple[float | None, str | None]:
    flat = "".join(unicodedata.normalize("NFKC", value).split())
    if not flat:
        return None, None
    percent = _PERCENT.match(flat)
    if percent:
        number = float(percent.group(1))
        if number > 100:
            return None, "完成进度不能超过100%"
        return round(number / 100, 4), None
    if _NUMBER.match(flat):
        return _from_number(float(flat))
    return None, PROGRESS_MESSAGE


def _from_number(number: float) -> tuple[float | None, str | None]:
    if number < 0:
        return None, "完成进度不能为负数"
    if number <= 1:
        return round(number, 4), None
    if number <= 100:
        return round(number / 100, 4), None
    return None, "完成进度不能超过100%"
