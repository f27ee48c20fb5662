"""The SQLite store, on real files in tmp_path."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from builders import task

from scheduler.core.identity import identify
from scheduler.core.model import DeadlineKind, Status
from scheduler.core.tracking import snapshot_of
from scheduler.errors import StoreError
from scheduler.store import SCHEMA_VERSION, Store

NOW = datetime(2025, 6, 20, 9, 0)


def snap(day: date, *tasks):  # type: ignore[no-untyped-def]
    return snapshot_of(list(tasks), identify(list(tasks), None), day)


def test_it_creates_the_schema_and_records_its_version(tmp_path: Path) -> None:
    with Store.open(tmp_path / "sub" / "state.sqlite3"):
        pass
    conn = sqlite3.connect(tmp_path / "sub" / "state.sqlite3")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"snapshot", "snapshot_task"} <= tables


def test_a_snapshot_reads_back_as_it_was_saved(tmp_path: Path) -> None:
    t = task(deadline=date(2025, 6, 30), progress=0.4, lead=("大气环境股", "执法大队"), note="已召开推进会")
    saved = snap(date(2025, 6, 20), t)
    with Store.open(tmp_path / "s.sqlite3") as store:
        store.save_snapshot(saved, NOW)
    with Store.open(tmp_path / "s.sqlite3") as store:
        loaded = store.snapshot_on_or_before(date(2025, 6, 20))
    assert loaded == saved
    (state,) = loaded.tasks.values()
    assert (state.lead, state.progress, state.deadline_kind, state.deadline_date) == (
        ("大气环境股", "执法大队"),
        0.4,
        DeadlineKind.DATE,
        date(2025, 6, 30),
    )


def test_snapshotting_twice_on_one_day_keeps_one_snapshot_the_latest(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite3") as store:
        store.save_snapshot(snap(date(2025, 6, 20), task(progress=0.1)), NOW)
        store.save_snapshot(snap(date(2025, 6, 20), task(progress=0.2)), NOW)
        assert store.snapshot_days() == [date(2025, 6, 20)]
        (state,) = store.snapshot_on_or_before(date(2025, 6, 20)).tasks.values()  # type: ignore[union-attr]
    assert state.progress == 0.2


def test_it_finds_the_latest_snapshot_on_or_before_a_day(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite3") as store:
        for day in (date(2025, 6, 6), date(2025, 6, 13), date(2025, 6, 20)):
            store.save_snapshot(snap(day, task()), NOW)
        assert store.snapshot_on_or_before(date(2025, 6, 5)) is None
        assert store.snapshot_on_or_before(date(2025, 6, 13)).day == date(2025, 6, 13)  # type: ignore[union-attr]
        assert store.snapshot_on_or_before(date(2025, 6, 19)).day == date(2025, 6, 13)  # type: ignore[union-attr]


def test_status_history_lists_every_stored_status_oldest_first(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite3") as store:
        store.save_snapshot(snap(date(2025, 6, 13), task(status="done")), NOW)
        store.save_snapshot(snap(date(2025, 6, 6), task(status="open")), NOW)
        assert store.status_history(date(2025, 6, 20)) == [
            (date(2025, 6, 6), "整改台账#1", Status.OPEN),
            (date(2025, 6, 13), "整改台账#1", Status.DONE),
        ]
        assert store.status_history(date(2025, 6, 10)) == [(date(2025, 6, 6), "整改台账#1", Status.OPEN)]


def test_reading_commands_do_not_create_a_store(tmp_path: Path) -> None:
    assert Store.open_existing(tmp_path / "none.sqlite3") is None
    assert not (tmp_path / "none.sqlite3").exists()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not sqlite at all, just some text" * 100)
    with pytest.raises(StoreError, match="已损坏或不是 taizhang 的数据库"):
        Store.open(path)


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="更新版本"):
        Store.open(path)


def test_a_failed_save_leaves_the_earlier_snapshot_in_place(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite3") as store:
        store.save_snapshot(snap(date(2025, 6, 20), task(progress=0.1)), NOW)
        bad = snap(date(2025, 6, 20), task(progress=0.2))
        # Two states under one identity break the primary key half-way through the insert.
        state = next(iter(bad.tasks.values()))
        bad.tasks["dup"] = state
        with pytest.raises(StoreError):
            store.save_snapshot(bad, NOW)
        (kept,) = store.snapshot_on_or_before(date(2025, 6, 20)).tasks.values()  # type: ignore[union-attr]
    assert kept.progress == 0.1
