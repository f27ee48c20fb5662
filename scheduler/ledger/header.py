"""Finding the header row of a ledger sheet and what each column holds.

Real ledgers put a title ("…整改任务台账") and a "填报单位：… 填报时间：…" line above the
header, and often a two-level header: 责任单位 merged over 牵头单位 | 配合单位. We look at
the first rows, read each as a one-level header and each pair as a two-level one, and keep
the reading that recognises the most fields.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scheduler.core.model import CellValue

SEARCH_ROWS = 20
MIN_FIELDS = 2

# The usual header texts for each field. Anything else is mapped with [ledger.columns].
ALIASES: dict[str, tuple[str, ...]] = {
    "no": ("序号", "编号", "序"),
    "category": ("反馈问题", "问题类别", "问题类型", "类别", "反馈意见"),
    "title": ("具体问题", "存在问题", "问题", "问题清单", "问题描述", "存在的问题", "问题表现"),
    "measures": ("整改措施", "整改任务", "整改目标及措施", "具体措施"),
    "leader": ("责任领导", "分管领导", "牵头领导", "责任领导(分管领导)"),
    "lead": ("牵头单位", "责任单位", "责任股室", "责任部门", "牵头股室", "牵头部门", "责任科室"),
    "support": ("配合单位", "协办单位", "配合股室", "配合部门", "协同单位"),
    "owner": ("责任人", "具体责任人", "经办人"),
    "start": ("开始时间", "开始日期", "启动时间"),
    "deadline": ("完成时限", "整改时限", "完成时间", "整改期限", "完成期限", "时限要求"),
    "status": ("整改状态", "完成情况", "整改结果", "状态", "是否完成"),
    "progress": ("完成进度", "进度", "完成比例", "整改进度"),
    "note": ("整改进展", "本周进展", "进展情况", "整改情况", "工作进展", "推进情况"),
    "remarks": ("备注",),
}

_BRACKETED = re.compile(r"\([^()]*\)")


def normalize(label: str) -> str:
    """Header text without spaces or line breaks, half-width brackets, no trailing colon or '*'."""
    flat = "".join(unicodedata.normalize("NFKC", label).split())
    return flat.strip("*").rstrip(":").strip("*")


@dataclass(frozen=True)
class Header:
    """Where the header is and which column holds which field (0-based indexes)."""

    first_data_row: int
    columns: dict[str, int]
    labels: dict[int, str]  # column index → header text as written, for messages

    def has(self, name: str) -> bool:
        return name in self.columns


class Matcher:
    """Maps header texts to fields: the office's own [ledger.columns] first, then the aliases."""

    def __init__(self, custom: Mapping[str, Sequence[str]]) -> None:
        self._lookup: dict[str, str] = {}
        for name, aliases in ALIASES.items():
            for alias in aliases:
                self._lookup[normalize(alias)] = name
        for name, texts in custom.items():
            for label in texts:
                self._lookup[normalize(label)] = name

    def field(self, label: str) -> str | None:
        key = normalize(label)
        if not key:
            return None
        found = self._lookup.get(key)
        if found is None and "(" in key:  # 完成时限(年月日), 完成进度(%)
            found = self._lookup.get(_BRACKETED.sub("", key))
        return found


def find_header(grid: Sequence[Sequence[CellValue]], matcher: Matcher) -> Header | None:
    """The best header among the first rows of a sheet whose merged cells are filled in.

    None when no reading has a title-like or deadline column: the sheet is not a ledger.
    """
    best: Header | None = None
    for top in range(min(SEARCH_ROWS, len(grid))):
        single = _read(grid, top, 1, matcher)
        candidates = [single]
        # A row that recognises nothing (a title) is not the parent row of a two-level header.
        if single.columns and top + 1 < len(grid):
            candidates.append(_read(grid, top, 2, matcher))
        for candidate in candidates:
            if best is None or len(candidate.columns) > len(best.columns):
                best = candidate
    if best is None or len(best.columns) < MIN_FIELDS:
        return None
    if not ({"title", "measures", "deadline"} & best.columns.keys()):
        return None
    return best


def _read(grid: Sequence[Sequence[CellValue]], top: int, depth: int, matcher: Matcher) -> Header:
    labels = _labels(grid, top, depth)
    columns: dict[str, int] = {}
    for index, label in labels.items():
        name = matcher.field(label)
        if name is not None and name not in columns:
            columns[name] = index
    return Header(first_data_row=top + depth, columns=columns, labels=labels)


def _labels(grid: Sequence[Sequence[CellValue]], top: int, depth: int) -> dict[int, str]:
    """Column → header text. In a two-level header the lower text wins where there is one
    of its own (牵头单位 under 责任单位); a cell merged down over both rows keeps its text."""
    upper = grid[top]
    lower = grid[top + 1] if depth == 2 else upper
    labels: dict[int, str] = {}
    for index in range(max(len(upper), len(lower))):
        up = _cell(upper, index)
        low = _cell(lower, index)
        label = low if low and low != up else up
        if label:
            labels[index] = label
    return labels


def _cell(row: Sequence[CellValue], index: int) -> str:
    if index >= len(row):
        return ""
    value = row[index]
    return value.strip() if isinstance(value, str) else ""


# A contacts sheet (the office's address book): a section column and an email column.
CONTACT_NAMES = (
    "股室",
    "单位",
    "部门",
    "科室",
    "股室名称",
    "单位名称",
    "部门名称",
    "责任单位",
    "牵头单位",
    "股室(单位)",
)
CONTACT_EMAILS = ("邮箱", "电子邮箱", "邮件", "电子邮件", "email", "e-mail", "邮箱地址", "电子邮件地址")


@dataclass(frozen=True)
class ContactsHeader:
    first_data_row: int
    name_column: int
    email_column: int
    email_label: str


def find_contacts_header(grid: Sequence[Sequence[CellValue]]) -> ContactsHeader | None:
    names = {normalize(n).lower() for n in CONTACT_NAMES}
    emails = {normalize(e).lower() for e in CONTACT_EMAILS}
    for top in range(min(SEARCH_ROWS, len(grid))):
        labels = {i: normalize(_cell(grid[top], i)).lower() for i in range(len(grid[top]))}
        name = next((i for i, label in labels.items() if label in names), None)
        email = next((i for i, label in labels.items() if label in emails), None)
        if name is not None and email is not None:
            return ContactsHeader(top + 1, name, email, _cell(grid[top], email))
    return None
