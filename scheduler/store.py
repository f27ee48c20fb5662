"""The only code that touches SQLite: weekly snapshots, the mail outbox and what it carried.

Schema changes are numbered migrations, applied in order and recorded in
`PRAGMA user_version`, each in its own transaction, so a database is always at one
known version.
"""

from __future__ import annotations

import enum
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from scheduler.core.model import DeadlineKind, SentItem, Snapshot, Status, TaskState
from scheduler.errors import StoreError, os_reason

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
    (
        # Every message is written here before it is sent, and marked sent only after the
        # server accepted it: a crash or a refused connection leaves it pending, never lost.
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            message_id TEXT NOT NULL UNIQUE,
            day TEXT NOT NULL,
            kind TEXT NOT NULL,
            audience TEXT NOT NULL,
            subject TEXT NOT NULL,
            recipients TEXT NOT NULL,
            payload BLOB NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            next_attempt_at TEXT NOT NULL,
            last_attempt_at TEXT,
            sent_at TEXT,
            error TEXT,
            refused TEXT,
            reported INTEGER NOT NULL DEFAULT 0
        )""",
        # The warnings each message carries: what keeps a nag from going out twice a week.
        """CREATE TABLE outbox_item (
            message_id TEXT NOT NULL REFERENCES outbox(message_id) ON DELETE CASCADE,
            audience TEXT NOT NULL,
            identity TEXT NOT NULL,
            code TEXT NOT NULL,
            level TEXT NOT NULL,
            escalate INTEGER NOT NULL,
            day TEXT NOT NULL
        )""",
        "CREATE INDEX outbox_item_recent ON outbox_item (day, audience)",
        "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)",
    ),
    (
        # The service's own memory of its runs: APScheduler's is lost on restart, and a run
        # missed while the machine was off must be caught up once, not once per missed week.
        """CREATE TABLE job_run (
            id INTEGER PRIMARY KEY,
            job TEXT NOT NULL,
            scheduled_for TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            result TEXT,
            message TEXT,
            reported INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX job_run_latest ON job_run (job, scheduled_for)",
        "CREATE TABLE service_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ),
    (
        # Things the office must hear about in the next weekly summary: a section's message
        # that could not be composed, history that restarted because the store was lost.
        """CREATE TABLE office_note (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            reported INTEGER NOT NULL DEFAULT 0
        )""",
        # What each office summary carries (failed mail, skipped or failed runs, notes). They
        # count as reported only once that summary was accepted by the server: a summary that
        # bounces must not take the news of other bounces down with it.
        """CREATE TABLE summary_carry (
            summary_id TEXT NOT NULL REFERENCES outbox(message_id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('outbox', 'run', 'note')),
            ref TEXT NOT NULL
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
HISTORY_CHECKED = "history_checked_on"  # service_state: the day a new store looked for lost history

_RUN_COLUMNS = "id, job, scheduled_for, started_at, finished_at, result, message"
_OUTBOX_COLUMNS = (
    "message_id, day, kind, audience, subject, recipients, payload, status, attempts, error, refused"
)
_TASK_COLUMNS = (
    "identity, key, sheet, no, title, lead, status, status_text, progress, note, deadline_kind, deadline_date"
)


class JobResult(enum.StrEnum):
    OK = "ok"
    SKIPPED = "skipped"  # the ledger could not be read, or another run held the lock
    FAILED = "failed"  # an error, or cut short (the process was killed)


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
            raise StoreError(path, f"无法创建（{os_reason(e)}）") from None
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
        return self._snapshot(*found[0]) if found else None

    def snapshots(self, until: date) -> list[Snapshot]:
        """Every snapshot up to `until`, oldest first: the history behind the 趋势 sheet."""
        found = self._query("SELECT id, day FROM snapshot WHERE day <= ? ORDER BY day", (until.isoformat(),))
        return [self._snapshot(snapshot_id, day) for snapshot_id, day in found]

    def _snapshot(self, snapshot_id: int, day: str) -> Snapshot:
        rows = self._query(f"SELECT {_TASK_COLUMNS} FROM snapshot_task WHERE snapshot_id = ?", (snapshot_id,))
        states = [_state(row) for row in rows]
        return Snapshot(day=date.fromisoformat(day), tasks={s.identity: s for s in states})

    def trend_rows(self, until: date) -> list[tuple[date, Status, DeadlineKind, date | None, int]]:
        """Every snapshot up to `until`, its tasks counted by status and deadline: all the
        趋势 needs, without loading a year of snapshots task by task."""
        rows = self._query(
            "SELECT s.day, t.status, t.deadline_kind, t.deadline_date, COUNT(*) FROM snapshot_task t "
            "JOIN snapshot s ON s.id = t.snapshot_id WHERE s.day <= ? "
            "GROUP BY s.day, t.status, t.deadline_kind, t.deadline_date ORDER BY s.day",
            (until.isoformat(),),
        )
        return [
            (date.fromisoformat(d), Status(st), DeadlineKind(k), date.fromisoformat(due) if due else None, n)
            for d, st, k, due, n in rows
        ]

    def status_history(self, until: date) -> list[tuple[date, str, Status]]:
        """(day, identity, status) of every stored task up to `until`, oldest first."""
        rows = self._query(
            "SELECT s.day, t.identity, t.status FROM snapshot_task t JOIN snapshot s ON s.id = t.snapshot_id "
            "WHERE s.day <= ? ORDER BY s.day",
            (until.isoformat(),),
        )
        return [(date.fromisoformat(day), identity, Status(status)) for day, identity, status in rows]

    # --- outbox ----------------------------------------------------------------------------

    def queue(self, messages: Sequence[Queued], now: datetime) -> None:
        """Write messages (and the warnings they carry) before anything is sent."""
        stamp = _stamp(now)
        with self._transaction() as conn:
            for m in messages:
                conn.execute(
                    "INSERT INTO outbox (message_id, day, kind, audience, subject, recipients, payload, "
                    "status, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                    (m.message_id, m.day.isoformat(), m.kind, m.audience, m.subject,
                     json.dumps(list(m.recipients)), m.payload, stamp, stamp),
                )  # fmt: skip
                conn.executemany(
                    "INSERT INTO outbox_item (message_id, audience, identity, code, level, escalate, day) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [_item_row(m.message_id, i) for i in m.items],
                )
                conn.executemany(
                    "INSERT INTO summary_carry (summary_id, kind, ref) VALUES (?, ?, ?)",
                    [(m.message_id, kind, ref) for kind, ref in m.carries],
                )

    def recent_items(self, since: date) -> list[SentItem]:
        """Warnings queued after `since` (pending, sent or failed alike): each was dealt with."""
        rows = self._query(
            "SELECT audience, identity, code, level, escalate, day FROM outbox_item WHERE day > ?",
            (since.isoformat(),),
        )
        return [SentItem(a, i, c, lv, bool(e), date.fromisoformat(d)) for a, i, c, lv, e, d in rows]

    def due_messages(self, now: datetime) -> list[OutboxMessage]:
        """Messages to (re)try now. A message left 'sending' was cut off by a crash: the server
        may or may not have it, so it goes again, with the same Message-ID."""
        rows = self._query(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE status IN ('pending', 'sending') "
            "AND next_attempt_at <= ? ORDER BY id",
            (_stamp(now),),
        )
        return [_message(row) for row in rows]

    def messages(self, status: str | None = None) -> list[OutboxMessage]:
        where = "WHERE status = ?" if status else ""
        rows = self._query(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox {where} ORDER BY id", (status,) if status else ()
        )
        return [_message(row) for row in rows]

    def mark_attempt(self, message_id: str, now: datetime) -> None:
        self._update(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, last_attempt_at = ? "
            "WHERE message_id = ?",
            (_stamp(now), message_id),
        )

    def mark_sent(self, message_id: str, now: datetime, refused: dict[str, str]) -> None:
        self._update(
            "UPDATE outbox SET status = 'sent', sent_at = ?, error = NULL, refused = ? WHERE message_id = ?",
            (_stamp(now), json.dumps(refused, ensure_ascii=False) if refused else None, message_id),
        )

    def mark_retry(self, message_id: str, error: str, retry_at: datetime) -> None:
        self._update(
            "UPDATE outbox SET status = 'pending', error = ?, next_attempt_at = ? WHERE message_id = ?",
            (error, _stamp(retry_at), message_id),
        )

    def mark_failed(self, message_id: str, error: str, refused: dict[str, str]) -> None:
        self._update(
            "UPDATE outbox SET status = 'failed', error = ?, refused = ? WHERE message_id = ?",
            (error, json.dumps(refused, ensure_ascii=False) if refused else None, message_id),
        )

    def unreported_failures(self) -> list[OutboxMessage]:
        """Failed messages, and sent ones some of whose addresses were refused, not yet told to the office."""
        rows = self._query(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE reported = 0 "
            "AND (status = 'failed' OR (status = 'sent' AND refused IS NOT NULL)) ORDER BY id"
        )
        return [_message(row) for row in rows]

    def settle_reports(self) -> None:
        """Mark as reported what every accepted office summary carried."""
        accepted = (
            "SELECT c.ref FROM summary_carry c JOIN outbox s ON s.message_id = c.summary_id "
            "WHERE s.status = 'sent' AND c.kind = ?"
        )
        with self._transaction() as conn:
            conn.execute(f"UPDATE outbox SET reported = 1 WHERE message_id IN ({accepted})", ("outbox",))
            conn.execute(f"UPDATE job_run SET reported = 1 WHERE CAST(id AS TEXT) IN ({accepted})", ("run",))
            conn.execute(
                f"UPDATE office_note SET reported = 1 WHERE CAST(id AS TEXT) IN ({accepted})", ("note",)
            )

    # --- notes for the office ------------------------------------------------------------------

    def add_note(self, day: date, text: str, now: datetime) -> OfficeNote:
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO office_note (day, text, created_at) VALUES (?, ?, ?)",
                (day.isoformat(), text, _stamp(now)),
            )
        return OfficeNote(int(cursor.lastrowid or 0), day, text)

    def unreported_notes(self) -> list[OfficeNote]:
        rows = self._query("SELECT id, day, text FROM office_note WHERE reported = 0 ORDER BY id")
        return [OfficeNote(int(i), date.fromisoformat(d), str(t)) for i, d, t in rows]

    # --- the service's runs ------------------------------------------------------------------

    def start_run(self, job: str, scheduled_for: datetime, now: datetime) -> int:
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO job_run (job, scheduled_for, started_at) VALUES (?, ?, ?)",
                (job, _stamp(scheduled_for), _stamp(now)),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, result: JobResult, message: str, now: datetime) -> None:
        self._update(
            "UPDATE job_run SET finished_at = ?, result = ?, message = ? WHERE id = ?",
            (_stamp(now), result.value, message, run_id),
        )

    def last_run(self, job: str) -> JobRun | None:
        rows = self._query(
            f"SELECT {_RUN_COLUMNS} FROM job_run WHERE job = ? ORDER BY scheduled_for DESC, id DESC LIMIT 1",
            (job,),
        )
        return _run(rows[0]) if rows else None

    def last_finished_run(self, *jobs: str) -> JobRun | None:
        """Of these jobs' runs, the one that finished last: what the status page's health
        check reports, whether the run was scheduled, caught up or run by hand."""
        marks = ", ".join("?" for _ in jobs)
        rows = self._query(
            f"SELECT {_RUN_COLUMNS} FROM job_run WHERE job IN ({marks}) AND finished_at IS NOT NULL "
            "ORDER BY finished_at DESC, id DESC LIMIT 1",
            jobs,
        )
        return _run(rows[0]) if rows else None

    def unreported_runs(self) -> list[JobRun]:
        """Runs that were skipped, failed or cut short, not yet told to the office."""
        rows = self._query(
            f"SELECT {_RUN_COLUMNS} FROM job_run WHERE result IN ('skipped', 'failed') AND reported = 0 "
            "ORDER BY id"
        )
        return [_run(r) for r in rows]

    def state(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM service_state WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_state(self, key: str, value: str) -> None:
        self._update("INSERT OR REPLACE INTO service_state (key, value) VALUES (?, ?)", (key, value))

    def is_new(self) -> bool:
        """No snapshot, no mail and no look for earlier history yet: a store just made."""
        rows = self._query(
            "SELECT (SELECT COUNT(*) FROM snapshot) + (SELECT COUNT(*) FROM outbox) "
            "+ (SELECT COUNT(*) FROM service_state WHERE key = ?)",
            (HISTORY_CHECKED,),
        )
        return int(rows[0][0]) == 0

    def pending_count(self) -> int:
        rows = self._query("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')")
        return int(rows[0][0])

    def _update(self, sql: str, args: tuple[object, ...]) -> None:
        with self._transaction() as conn:
            conn.execute(sql, args)

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as e:
            raise StoreError(self.path, _reason(e)) from None


@contextmanager
def opened_existing(path: Path) -> Iterator[Store | None]:
    """The store for reading history, closed after; None when nothing was ever stored.
    Reading commands never create it."""
    store = Store.open_existing(path)
    try:
        yield store
    finally:
        if store is not None:
            store.close()


@dataclass(frozen=True)
class Queued:
    """A message ready to be written to the outbox."""

    message_id: str
    day: date
    kind: str
    audience: str
    subject: str
    recipients: tuple[str, ...]
    payload: bytes
    items: tuple[SentItem, ...]
    carries: tuple[tuple[str, str], ...] = ()  # (kind, ref) an office summary reports


@dataclass(frozen=True)
class OfficeNote:
    id: int
    day: date
    text: str


@dataclass(frozen=True)
class JobRun:
    id: int
    job: str
    scheduled_for: datetime
    started_at: datetime
    finished_at: datetime | None
    result: JobResult | None  # None while it runs (or if it died)
    message: str


@dataclass(frozen=True)
class OutboxMessage:
    message_id: str
    day: date
    kind: str
    audience: str
    subject: str
    recipients: tuple[str, ...]
    payload: bytes
    status: str
    attempts: int
    error: str | None
    refused: dict[str, str]


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


def _item_row(message_id: str, item: SentItem) -> tuple[object, ...]:
    return (
        message_id,
        item.audience,
        item.identity,
        item.code,
        item.level,
        int(item.escalate),
        item.day.isoformat(),
    )


def _message(row: tuple[Any, ...]) -> OutboxMessage:
    message_id, day, kind, audience, subject, recipients, payload, status, attempts, error, refused = row
    return OutboxMessage(
        message_id=message_id,
        day=date.fromisoformat(day),
        kind=kind,
        audience=audience,
        subject=subject,
        recipients=tuple(json.loads(recipients)),
        payload=bytes(payload),
        status=status,
        attempts=attempts,
        error=error,
        refused=json.loads(refused) if refused else {},
    )


def _run(row: tuple[Any, ...]) -> JobRun:
    run_id, job, scheduled, started, finished, result, message = row
    return JobRun(
        id=run_id,
        job=job,
        scheduled_for=parse_stamp(scheduled),
        started_at=parse_stamp(started),
        finished_at=parse_stamp(finished) if finished else None,
        result=JobResult(result) if result else None,
        message=message or "",
    )


def parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    """UTC, one fixed format, so that timestamps compare correctly as text in SQL."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _reason(error: sqlite3.DatabaseError) -> str:
    text = str(error)
    if "locked" in text or "busy" in text:
        return "数据库正被另一个 taizhang 进程使用，请稍后再试"
    if "not a database" in text or "malformed" in text:
        return "文件已损坏或不是 taizhang 的数据库"
    if "unable to open" in text:
        return "无法打开或创建数据库文件，请检查文件夹是否存在、是否有写权限（[store] path）"
    if "readonly" in text or "read-only" in text:
        return "数据库文件是只读的，请检查权限"
    return f"数据库出错（{text}）"
