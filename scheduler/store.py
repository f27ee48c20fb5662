"""The only code that touches SQLite: weekly snapshots now; the outbox and sent log later.

Schema changes are numbered migrations, applied in order and recorded in
`PRAGMA user_version`, each in its own transaction, so a database is always at one
known version.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scheduler.errors import StoreError
from scheduler.model import DeadlineKind, Snapshot, Status, TaskState

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE snapshot (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL UNIQUE,
            taken_at TEXT NOT NULL
        )""",
        """CREATE TABLE snapshot_task (
            snapshot_id INTEGER NOT NULL REFERENCES snapshot(id) ON DELETE CASCADE,
            identity TEXT NOT NULL,
            key TEXT NOT NULL,
            sheet TEXT NOT NULL,
            no TEXT NOT NULL,
            title TEXT NOT NULL,
            lead TEXT NOT NULL,
            status TEXT NOT NULL,
            status_text TEXT NOT NULL,
            progress REAL,
            note TEXT NOT NULL,
            deadline_kind TEXT NOT NULL,
            deadline_date TEXT,
            PRIMARY KEY (snapshot_id, identity)
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_TASK_COLUMNS = (
    "identity, key, sheet, no, title, lead, status, status_text, progress, note, deadline_kind, deadline_date"
)


class Store:
    """One SQLite file. Open it with `Store.open`; close it when done."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating if needed) and bring the schema up to date."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, timeout=10)
            store = cls(path, conn)
            conn.execute("PRAGMA foreign_keys = ON")
            store._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(path, _reason(e)) from None
        except OSError as e:
            raise StoreError(path, f"无法创建（{e.strerror}）") from None
        return store

    @classmethod
    def open_existing(cls, path: Path) -> Store | None:
        """Open for reading history; None when nothing has been stored yet."""
        return cls.open(path) if path.exists() else None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.DatabaseError as e:
            raise StoreError(self.path, _reason(e)) from None

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(self.path, f"它来自更新版本的 taizhang（数据库版本 {version}），请升级 taizhang")
        for number in range(version, SCHEMA_VERSION):
            with self._transaction() as conn:
                for statement in MIGRATIONS[number]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")

    # --- snapshots -------------------------------------------------------------------------

    def save_snapshot(self, snapshot: Snapshot, taken_at: datetime) -> None:
        """Store the state of every task on its day, replacing that day's earlier snapshot:
        taking a snapshot twice on one day leaves one snapshot, the latest."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM snapshot WHERE day = ?", (snapshot.day.isoformat(),))
            cursor = conn.execute(
                "INSERT INTO snapshot (day, taken_at) VALUES (?, ?)",
                (snapshot.day.isoformat(), taken_at.isoformat(timespec="seconds")),
            )
            conn.executemany(
                f"INSERT INTO snapshot_task (snapshot_id, {_TASK_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(cursor.lastrowid, *_row(state)) for state in snapshot.tasks.values()],
            )

    def snapshot_days(self) -> list[date]:
        rows = self._query("SELECT day FROM snapshot ORDER BY day")
        return [date.fromisoformat(day) for (day,) in rows]

    def snapshot_on_or_before(self, day: date) -> Snapshot | None:
        """The latest snapshot taken on `day` or earlier."""
        found = self._query(
            "SELECT id, day FROM snapshot WHERE day <= ? ORDER BY day DESC LIMIT 1", (day.isoformat(),)
        )
        if not found:
            return None
        ((snapshot_id, snapshot_day),) = found
        rows = self._query(f"SELECT {_TASK_COLUMNS} FROM snapshot_task WHERE snapshot_id = ?", (snapshot_id,))
        states = [_state(row) for row in rows]
        return Snapshot(day=date.fromisoformat(snapshot_day), tasks={s.identity: s for s in states})

    def status_history(self, until: date) -> list[tuple[date, str, Status]]:
        """(day, identity, status) of every stored task up to `until`, oldest first."""
        rows = self._query(
            "SELECT s.day, t.identity, t.status FROM snapshot_task t JOIN snapshot s ON s.id = t.snapshot_id "
            "WHERE s.day <= ? ORDER BY s.day",
            (until.isoformat(),),
        )
        return [(date.fromisoformat(day), identity, Status(status)) for day, identity, status in rows]

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as e:
            raise StoreError(self.path, _reason(e)) from None


def _row(state: TaskState) -> tuple[object, ...]:
    return (
        state.identity,
        state.key,
        state.sheet,
        state.no,
        state.title,
        json.dumps(list(state.lead), ensure_ascii=False),
        state.status.value,
        state.status_text,
        state.progress,
        state.note,
        state.deadline_kind.value,
        state.deadline_date.isoformat() if state.deadline_date else None,
    )


def _state(row: tuple[Any, ...]) -> TaskState:
    identity, key, sheet, no, title, lead, status, status_text, progress, note, kind, due = row
    return TaskState(
        identity=str(identity),
        key=str(key),
        sheet=str(sheet),
        no=str(no),
        title=str(title),
        lead=tuple(json.loads(str(lead))),
        status=Status(status),
        status_text=str(status_text),
        progress=float(progress) if isinstance(progress, int | float) else None,
        note=str(note),
        deadline_kind=DeadlineKind(kind),
        deadline_date=date.fromisoformat(str(due)) if due else None,
    )


def _reason(error: sqlite3.DatabaseError) -> str:
    text = str(error)
    if "locked" in text or "busy" in text:
        return "数据库正被另一个 taizhang 进程使用，请稍后再试"
    if "not a database" in text or "malformed" in text:
        return "文件已损坏或不是 taizhang 的数据库"
    return f"数据库出错（{text}）"
