"""Who a task is across weeks. Pure: tasks and last snapshot in, identities out.

Offices insert, delete and sort rows, and renumber 序号, so the row number is only where a
task is today. A task is identified by sheet + 序号 when that 序号 is unique in its sheet,
otherwise by its normalised title; once identified, it keeps that identity for good, and
later weeks find it again by number and title, by title alone (renumbered or sorted), or
by number with a similar title (the wording was edited).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

from scheduler.core.model import Snapshot, Task, TaskState

SIMILAR_TITLE = 0.5  # how alike two titles under one 序号 must be to count as an edit

_NOT_WORD = re.compile(r"[\W_]+")

Row = Task | TaskState
R = TypeVar("R", Task, TaskState)


def normalize_title(title: str) -> str:
    """Title without spaces, punctuation or width differences: 'A、B。' and 'A，B' are equal."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", title)).lower()


def scope(key: str) -> str:
    """The file and sheet part of a task key ("台账.xlsx:整改台账!7" → "台账.xlsx:整改台账")."""
    return key.rsplit("!", 1)[0]


def identify(tasks: Sequence[Task], previous: Snapshot | None) -> dict[str, str]:
    """Task key → identity, carrying identities over from the previous snapshot."""
    found: dict[str, str] = {}
    left = dict(previous.tasks) if previous else {}
    for rule in (_by_number_and_title, _by_title, _by_number):
        if not left:
            break  # nothing (left) to match against: no need to look at every title
        pending = [t for t in tasks if t.key not in found]
        for task, identity in _match(pending, left, rule):
            found[task.key] = identity
            del left[identity]
    taken = set(found.values()) | (set(previous.tasks) if previous else set())
    for task, identity in _new_identities([t for t in tasks if t.key not in found], tasks, taken):
        found[task.key] = identity
    return found


def _by_number_and_title(row: Row) -> Hashable | None:
    return (scope(row.key), row.no, normalize_title(row.title)) if row.no else None


def _by_title(row: Row) -> Hashable | None:
    title = normalize_title(row.title)
    return (scope(row.key), title) if title else None


def _by_number(row: Row) -> Hashable | None:
    return (scope(row.key), row.no) if row.no else None


def _match(
    tasks: Sequence[Task], left: dict[str, TaskState], rule: Callable[[Row], Hashable | None]
) -> Iterable[tuple[Task, str]]:
    """Pairs that the rule finds on exactly one task on each side; an ambiguous key matches
    nothing, since a wrong match would report one task's progress as another's."""
    mine = _unique(tasks, rule)
    theirs = _unique(left.values(), rule)
    for value, task in mine.items():
        state = theirs.get(value)
        if state is None:
            continue
        if rule is _by_number and not _similar(task.title, state.title):
            continue  # same number, different task: a row deleted and another inserted
        yield task, state.identity


def _unique(rows: Iterable[R], rule: Callable[[Row], Hashable | None]) -> dict[Hashable, R]:
    counts: Counter[Hashable] = Counter()
    first: dict[Hashable, R] = {}
    for row in rows:
        value = rule(row)
        if value is not None:
            counts[value] += 1
            first.setdefault(value, row)
    return {value: row for value, row in first.items() if counts[value] == 1}


def _similar(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, normalize_title(a), normalize_title(b)).ratio() >= SIMILAR_TITLE


def _new_identities(
    new: Sequence[Task], everyone: Sequence[Task], taken: set[str]
) -> Iterable[tuple[Task, str]]:
    numbers = Counter((scope(t.key), t.no) for t in everyone if t.no)
    for task in new:
        place = scope(task.key)
        if task.no and numbers[(place, task.no)] == 1 and f"{place}#{task.no}" not in taken:
            identity = f"{place}#{task.no}"
        else:
            identity = _free(f"{place}@{normalize_title(task.title) or task.key}", taken)
        taken.add(identity)
        yield task, identity


def _free(identity: str, taken: set[str]) -> str:
    if identity not in taken:
        return identity
    n = 2
    while f"{identity}~{n}" in taken:
        n += 1
    return f"{identity}~{n}"
