"""Ledger rows → tasks and problems.

The rules of a real ledger, in the order they apply to each row below the header:
1. A vertical merge gives its value to every row it covers (category, section, deadline).
2. A row with nothing of its own (or only a pre-printed 序号) is blank and skipped.
3. A note (注：…) or a total (合计) is skipped.
4. A row that is one lone text cell, merged across columns or worded like a heading
   (一、… （一）…), is a banner: it becomes the category of the rows below it.
5. Every other row is a task. Cells that cannot be understood become problems; the task is
   kept, because a task dropped is a warning never sent.
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from scheduler.core.addresses import is_address, split_addresses
from scheduler.core.model import FIELD_LABELS, FIELDS, CellValue, DeadlineKind, Ledger, Problem, Status, Task
from scheduler.errors import LedgerError
from scheduler.ledger.cells import (
    AMBIGUOUS_ONE,
    CLEANED_MESSAGE,
    parse_progress,
    percent_cell,
    says_done,
    split_sections,
    text,
    typed_as_percents,
)
from scheduler.ledger.dates import parse_day, parse_deadline
from scheduler.ledger.header import (
    SEARCH_ROWS,
    Header,
    Matcher,
    find_contacts_header,
    find_header,
)
from scheduler.ledger.workbook import Merge, SheetData, Workbook

_NOTE = re.compile(r"^(注|说明|备注|填表说明|填报说明)\s*[:：\d]")
# A heading: 一、… （一）… (1)… 1、… 第一部分… or a 反馈问题：… line.
_HEADING = re.compile(
    r"^\s*([（(]?[一二三四五六七八九十百零]+[)）、.．]|[（(]\d+[)）]|\d+[、.．](?!\d)"
    r"|第[一二三四五六七八九十百\d]+[部分章节类项个]|反馈问题)"
)
_VALUE_FIELDS = ("start", "deadline", "progress")  # read from their values, not their text
_TOTAL = re.compile(r"^(合\s*计|总\s*计|小\s*计)")

FAR_SHOWN = 20  # far values listed one by one; the rest are counted
FAR_MESSAGE = (
    "这个单元格离台账的其他内容很远（中间隔着上千个空行或上百个空列），读取它会占用大量内存，"
    "已忽略；如果是误填的，请删除"
)


def read_ledger(
    paths: Sequence[Path],
    plan_start: date,
    *,
    sheets: Sequence[str] = (),
    columns: dict[str, tuple[str, ...]] | None = None,
    max_unpacked_mb: int = 512,
) -> Ledger:
    """Read every configured ledger file. Raises LedgerError when a file cannot be read at all."""
    matcher = Matcher(columns or {})
    tasks: list[Task] = []
    problems: list[Problem] = []
    contacts: dict[str, tuple[str, ...]] = {}
    for path in paths:
        prefix = f"{path.name}:" if len(paths) > 1 else ""
        found = 0
        book = Workbook(path, max_unpacked_mb)
        chosen = _chosen_sheets(book, sheets)
        for name in chosen:
            sheet = book.sheet(name)
            problems.extend(_far_problems(path, sheet))
            grid = _header_grid(sheet)
            header = find_header(grid, matcher)
            if header is None:
                if sheets:
                    raise LedgerError(path, "找不到表头（前20行中没有“具体问题”“完成时限”等列名）", name)
                _read_contacts(
                    path, sheet, grid, contacts, problems
                )  # an instructions sheet reads as nothing
                continue
            found += 1
            problems.extend(_missing_columns(path, name, header, columns or {}))
            parser = _SheetParser(path, prefix, sheet, header, plan_start)
            parser.parse()
            tasks.extend(parser.tasks)
            problems.extend(parser.problems)
            del sheet, parser  # let the cells go before the next sheet is read
        if not found:
            raise LedgerError(path, "没有找到台账工作表（需要有“具体问题”或“完成时限”等列名的表头）")
        for name in _other_visible_sheets(book, chosen):  # the address book, when sheets are listed
            other = book.sheet(name)
            problems.extend(_far_problems(path, other))
            _read_contacts(path, other, _header_grid(other), contacts, problems)
    files = tuple(str(p) for p in paths)
    return Ledger(tasks=tuple(tasks), problems=tuple(problems), files=files, contacts=contacts)


def _missing_columns(
    path: Path, sheet: str, header: Header, custom: dict[str, tuple[str, ...]]
) -> list[Problem]:
    """One problem per sheet for a column the office must have or asked for by name, rather
    than one per row telling them to fill in cells that are filled in under another name."""
    found = "、".join(dict.fromkeys(header.labels.values())) or "（无）"
    row = header.first_data_row  # the last header row, 1-based
    problems = []
    for name in ("lead", "deadline"):
        if not header.has(name) and name not in custom:
            message = (
                f"找不到{FIELD_LABELS[name]}列（现有列：{found}）；"
                f'如果列名不同，请在 config.toml 的 [ledger.columns] 中写 {name} = "列名"'
            )
            problems.append(Problem(str(path), sheet, row, FIELD_LABELS[name], "表头", "", message))
    for name, labels in custom.items():
        if not header.has(name):
            wanted = "、".join(labels)
            message = (
                f"[ledger.columns] 中 {name} = “{wanted}”在这张表中找不到（现有列：{found}），请核对列名"
            )
            problems.append(Problem(str(path), sheet, row, FIELD_LABELS[name], "表头", wanted, message))
    return problems


def _far_problems(path: Path, sheet: SheetData) -> list[Problem]:
    """The values left unread because they lie far from the rest of the sheet."""
    far = sheet.facts.far
    problems = [
        Problem(str(path), sheet.name, r + 1, f"{_letters(c)}列", f"{_letters(c)}{r + 1}", "", FAR_MESSAGE)
        for r, c in far[:FAR_SHOWN]
    ]
    if len(far) > FAR_SHOWN:
        r, c = far[FAR_SHOWN]
        message = f"另有 {len(far) - FAR_SHOWN} 个离台账很远的单元格（从 {_letters(c)}{r + 1} 起）也已忽略"
        problems.append(Problem(str(path), sheet.name, r + 1, f"{_letters(c)}列", "", "", message))
    return problems


def _other_visible_sheets(book: Workbook, chosen: Sequence[str]) -> list[str]:
    return [name for name in book.sheet_names if name not in chosen and not book.hidden(name)]


def _read_contacts(
    path: Path,
    sheet: SheetData,
    grid: list[list[CellValue]],
    contacts: dict[str, tuple[str, ...]],
    problems: list[Problem],
) -> None:
    """Section → addresses from a contacts sheet (股室 | 电子邮箱), if this sheet is one.
    A bad address is a problem, never a stop."""
    header = find_contacts_header(grid)
    if header is None:
        return
    for index in range(header.first_data_row, len(sheet.rows)):
        row = sheet.rows[index]
        name = text(row[header.name_column]) if header.name_column < len(row) else ""
        cell = text(row[header.email_column]) if header.email_column < len(row) else ""
        if not name or not cell:
            continue
        good = [a for a in split_addresses(cell) if is_address(a)]
        if len(good) != len(split_addresses(cell)):
            ref = f"{_letters(header.email_column)}{index + 1}"
            message = f"“{name}”的邮箱地址无法识别，请填写如 dq@example.gov.cn 的地址"
            problems.append(Problem(str(path), sheet.name, index + 1, header.email_label, ref, cell, message))
        if good:
            contacts[name] = tuple(dict.fromkeys((*contacts.get(name, ()), *good)))


def _chosen_sheets(book: Workbook, wanted: Sequence[str]) -> list[str]:
    if not wanted:
        # A hidden sheet is usually an old copy kept out of sight, not the live ledger.
        return [name for name in book.sheet_names if not book.hidden(name)]
    for name in wanted:
        if name not in book.sheet_names:
            names = "、".join(book.sheet_names) or "（无）"
            raise LedgerError(book.path, f"没有名为“{name}”的工作表（现有：{names}），请检查 ledger.sheets")
    return list(wanted)


def _header_grid(sheet: SheetData) -> list[list[CellValue]]:
    """The top rows with every merged range filled, across as well as down, so that a
    parent header such as 责任单位 stands over each of its sub-columns."""
    limit = SEARCH_ROWS + 2
    grid = [list(row) for row in sheet.rows[:limit]]
    for r1, c1, r2, c2 in sheet.merges:
        if r1 >= limit or r1 >= len(grid) or c1 >= len(grid[r1]):
            continue
        value = grid[r1][c1]
        for r in range(r1, min(r2, len(grid) - 1) + 1):
            for c in range(c1, min(c2, len(grid[r]) - 1) + 1):
                grid[r][c] = value
    return grid


class _Row(enum.Enum):
    SKIP = "skip"  # blank, a note or a total
    BANNER = "banner"  # a heading that names the category of the rows below
    TASK = "task"


_TEXT_FIELDS = tuple(name for name in FIELDS if name not in _VALUE_FIELDS)


@dataclass
class _SheetParser:
    path: Path
    prefix: str
    sheet: SheetData
    header: Header
    plan_start: date
    tasks: list[Task] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    file: str = field(init=False)

    _percent_column: bool = field(init=False, default=False)
    _wide_cells: set[tuple[int, int]] = field(init=False)  # cells merged across columns
    _width: int = field(init=False)  # every row is padded to this: its last cell is always empty
    _texts: Callable[[list[CellValue]], tuple[CellValue, ...]] = field(init=False)  # _TEXT_FIELDS
    _values: Callable[[list[CellValue]], tuple[CellValue, ...]] = field(init=False)  # start…progress
    _any_percent: bool = field(init=False)

    def __post_init__(self) -> None:
        self.file = str(self.path)  # one string shared by every task of the sheet
        self._wide_cells = {(r1, c1) for r1, c1, _r2, c2 in self.sheet.merges if c2 > c1}
        self._any_percent = bool(self.sheet.facts.percent)
        # A field the sheet has no column for is read from a padding cell past the widest row,
        # always empty. Fields are picked out in C, a tuple per row: this runs for every row.
        columns = self.header.columns
        blank = max(max(columns.values(), default=-1) + 1, max(map(len, self.sheet.rows), default=0))
        self._width = blank + 1
        self._texts = operator.itemgetter(*(columns.get(name, blank) for name in _TEXT_FIELDS))
        self._values = operator.itemgetter(*(columns.get(name, blank) for name in _VALUE_FIELDS))

    def parse(self) -> None:
        rows = self.sheet.rows  # filled in place: this sheet was read for this parse alone
        self._cell_problems()
        inherited = _fill_down(rows, self.sheet.merges, self.header.first_data_row)
        self._percent_column = self._progress_typed_as_percents()
        banner = ""
        width = self._width
        for index in range(self.header.first_data_row, len(rows)):
            row = rows[index]
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            kind, heading = self._classify(index, row, inherited.get(index, ()))
            if kind is _Row.TASK:
                self.tasks.append(self._task(index, row, banner))
            elif kind is _Row.BANNER:
                banner = heading

    def _classify(self, index: int, row: list[CellValue], inherited: Iterable[int]) -> tuple[_Row, str]:
        taken = set(inherited)
        if len(row) - row.count("") - row.count(None) - len(taken) >= 2:
            # Two or more cells of its own (most rows): a task, unless a note or a total.
            # Counted in C, and the first cell tried first, since this runs for every row.
            first = row[0]
            if first == "" or first is None or 0 in taken:
                first = next(v for c, v in enumerate(row) if v != "" and v is not None and c not in taken)
            # Only text can say 注 or 合计; a number (the row's 序号) never does.
            skip = type(first) is str and (_NOTE.match(first.strip()) or _TOTAL.match(first.strip()))
            return (_Row.SKIP if skip else _Row.TASK), ""
        own = [c for c, v in enumerate(row) if v != "" and v is not None and c not in taken]
        if not own or self._only_a_number(row, own):
            return _Row.SKIP, ""
        first = text(row[own[0]])
        if _NOTE.match(first) or _TOTAL.match(first):
            return _Row.SKIP, ""
        # A lone text cell is a heading when it reads like one or spans several columns;
        # otherwise it is a task with only its title filled in, kept and reported.
        lone_text = len(own) == 1 and not taken and isinstance(row[own[0]], str)
        if lone_text and (_HEADING.match(first) or (index, own[0]) in self._wide_cells):
            return _Row.BANNER, first
        return _Row.TASK, ""

    def _cell_problems(self) -> None:
        """Cells that lost control characters, and cells showing a formula error (calamine
        gives those as empty text, which must not read as "not filled in")."""
        for r, c, value in self.sheet.cleaned:
            self._cell_problem(r, c, value, CLEANED_MESSAGE)
        for (r, c), code in sorted(self.sheet.facts.errors.items()):
            self._cell_problem(r, c, code, f"单元格公式出错（{code}），请检查公式")

    def _cell_problem(self, r: int, c: int, value: str, message: str) -> None:
        label = self.header.labels.get(c, f"{_letters(c)}列")
        self.problems.append(
            Problem(self.file, self.sheet.name, r + 1, label, f"{_letters(c)}{r + 1}", value, message)
        )

    def _progress_typed_as_percents(self) -> bool:
        column = self.header.columns.get("progress")
        if column is None:
            return False
        first = self.header.first_data_row
        rows = self.sheet.rows[first:]
        percent = self.sheet.facts.percent
        # A percent-formatted cell holds a fraction, whatever its number: it says nothing
        # about how the plain numbers of the column were typed.
        return typed_as_percents(
            [
                row[column]
                for i, row in enumerate(rows, first)
                if column < len(row) and (i, column) not in percent
            ]
        )

    def _only_a_number(self, row: list[CellValue], own: list[int]) -> bool:
        """A row whose only content is its 序号: numbered in advance, still empty."""
        if own != [self.header.columns.get("no")]:
            return False
        return text(row[own[0]]).replace(".", "", 1).isdigit()

    def _task(self, index: int, row: list[CellValue], banner: str) -> Task:
        no, category, title, measures, leader, lead_text, support, owner, status_text, note, remarks = [
            v.strip() if type(v) is str else text(v) for v in self._texts(row)
        ]
        start, deadline_value, progress_value = self._values(row)
        excel_row = index + 1
        lead = split_sections(lead_text)
        deadline, why = parse_deadline(deadline_value, self.plan_start)
        # A column missing from the whole sheet is reported once, by _missing_columns, not per row.
        if why and self.header.has("deadline"):
            self._problem(excel_row, "deadline", deadline.text, why)
        progress = self._progress(progress_value, excel_row, status_text)
        title = title or measures
        if not lead and self.header.has("lead"):
            self._problem(excel_row, "lead", "", "缺少牵头单位（责任股室），预警无法送达")
        if not title:
            self._problem(excel_row, "title", "", "缺少问题描述")
        # In Task's field order (key, file, sheet, row, no, …): nineteen keywords would cost a
        # sixth of the parse. test_reader and test_cli compare every field of whole tasks.
        return Task(
            f"{self.prefix}{self.sheet.name}!{excel_row}",
            self.file,
            self.sheet.name,
            excel_row,
            no,
            category or banner,
            title,
            measures,
            leader,
            lead,
            split_sections(support),
            owner,
            None if start == "" or start is None else self._start(start, excel_row),
            deadline,
            _status(status_text, progress, deadline.kind),
            status_text,
            progress,
            note,
            remarks,
        )

    def _progress(self, value: CellValue, excel_row: int, status_text: str) -> float | None:
        column = self.header.columns.get("progress")
        formatted = (
            self._any_percent and column is not None and self.sheet.is_percent((excel_row - 1, column))
        )
        if formatted and isinstance(value, int | float) and not isinstance(value, bool):
            # As the office sees it: 1.5 in a 0% cell shows 150%, never 2%; 1 is plainly 100%.
            progress, why = percent_cell(float(value))
            if why:
                self._problem(excel_row, "progress", f"{value * 100:g}%", why)
            return progress
        progress, why = parse_progress(value)
        if why:
            self._problem(excel_row, "progress", text(value), why)
        elif value == 1 and self._percent_column and not says_done(status_text):
            # Read as 100%, the item may pass for done and its warnings stop: make the office look.
            self._problem(excel_row, "progress", "1", AMBIGUOUS_ONE)
        return progress

    def _start(self, value: CellValue, excel_row: int) -> date | None:
        day = parse_day(value, self.plan_start)
        if day is None:
            self._problem(
                excel_row, "start", text(value), "无法识别的开始时间，请填写日期，例如 2025年3月1日"
            )
        return day

    def _problem(self, excel_row: int, name: str, value: str, message: str) -> None:
        column = self.header.columns.get(name)
        if (excel_row - 1, column) in self.sheet.facts.errors:
            return  # reported once, as the formula error it is, not as empty or unreadable
        label = (
            self.header.labels.get(column, FIELD_LABELS[name]) if column is not None else FIELD_LABELS[name]
        )
        cell = f"{_letters(column)}{excel_row}" if column is not None else f"第{excel_row}行"
        self.problems.append(Problem(str(self.path), self.sheet.name, excel_row, label, cell, value, message))


def _fill_down(rows: list[list[CellValue]], merges: list[Merge], first: int) -> dict[int, list[int]]:
    """Copy each vertically merged value into the rows it covers (in place), and return,
    per row, the columns that got their value this way rather than from their own cell."""
    inherited: dict[int, list[int]] = {}
    for r1, c1, r2, _c2 in merges:
        if r2 <= r1 or r2 < first or r1 >= len(rows) or c1 >= len(rows[r1]):
            continue
        value = rows[r1][c1]
        for r in range(max(r1 + 1, first), min(r2, len(rows) - 1) + 1):
            if c1 < len(rows[r]):
                rows[r][c1] = value
                inherited.setdefault(r, []).append(c1)
    return inherited


def _status(status_text: str, progress: float | None, kind: DeadlineKind) -> Status:
    if status_text and says_done(status_text):
        return Status.DONE
    if not status_text and progress is not None and progress >= 1:
        return Status.DONE
    return Status.ONGOING if kind is DeadlineKind.ONGOING else Status.OPEN


def _letters(column: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as Excel names it."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
