"""Weekly tracking: snapshots over several weeks of a real ledger file, `week` and `snapshot`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from builders import ledger, row, task, write

from scheduler.cli import main
from scheduler.core.model import Alert, AlertCode, Level
from scheduler.core.tracking import section_figures


@pytest.fixture
def office(tmp_path: Path) -> Path:
    """A config whose ledger is tmp_path/台账.xlsx and whose store lives in tmp_path."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[ledger]\npath = "台账.xlsx"\n[plan]\nstart = 2025-01-17\n[store]\npath = "state.sqlite3"\n',
        encoding="utf-8",
    )
    return config


def save_ledger(config: Path, rows: list[list[Any]]) -> None:
    write(config.parent / "台账.xlsx", {"整改台账": ledger(rows)})


def run(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main([args[0], "--config", str(config), *args[1:]]) == 0
    out = capsys.readouterr().out
    return json.loads(out) if "--format" in args and "json" in args else out


def stale_numbers(config: Path, capsys: pytest.CaptureFixture[str], today: str) -> list[str]:
    out = run(config, capsys, "check", "--today", today, "--format", "json")
    return [t["no"] for t in out["tasks"] if any(a["code"] == "stale" for a in t["alerts"])]


FAR = "2025年12月31日"


def test_stale_detection_over_three_weekly_snapshots(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_ledger(
        office,
        [row(1, "甲", deadline=FAR, progress=0.9, note="n1"), row(2, "乙", deadline=FAR, progress=0.9)],
    )
    assert stale_numbers(office, capsys, "2025-06-06") == []  # no history yet
    run(office, capsys, "snapshot", "--today", "2025-06-06")

    # Week 2: 乙 moved on, 甲 did not.
    save_ledger(
        office,
        [row(1, "甲", deadline=FAR, progress=0.9, note="n1"), row(2, "乙", deadline=FAR, progress=0.95)],
    )
    assert stale_numbers(office, capsys, "2025-06-12") == []  # the snapshot is only 6 days old
    assert stale_numbers(office, capsys, "2025-06-13") == ["1"]
    run(office, capsys, "snapshot", "--today", "2025-06-13")

    # Week 3: 丙 was inserted above both and everything renumbered; nothing else changed.
    save_ledger(
        office,
        [
            row(1, "丙", deadline=FAR, progress=0.9),
            row(2, "甲", deadline=FAR, progress=0.9, note="n1"),
            row(3, "乙", deadline=FAR, progress=0.95),
        ],
    )
    assert stale_numbers(office, capsys, "2025-06-20") == ["2", "3"]  # 甲 and 乙; 丙 is new


def test_snapshot_is_idempotent_for_the_same_day(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_ledger(office, [row(1, "甲"), row(2, "乙")])
    assert "已保存2025年6月20日的快照：2 项任务" in run(office, capsys, "snapshot", "--today", "2025-06-20")
    run(office, capsys, "snapshot", "--today", "2025-06-20")
    import sqlite3

    conn = sqlite3.connect(office.parent / "state.sqlite3")
    assert conn.execute("SELECT COUNT(*) FROM snapshot").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM snapshot_task").fetchone()[0] == 2


def test_check_and_week_do_not_create_the_store(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_ledger(office, [row(1, "甲")])
    run(office, capsys, "check", "--today", "2025-06-20")
    run(office, capsys, "week", "--today", "2025-06-20")
    assert not (office.parent / "state.sqlite3").exists()


def test_week_reports_the_changes_since_the_snapshot_a_week_ago(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_ledger(
        office,
        [
            row(1, "将完成", deadline=FAR, status="正在推进", progress=0.5),
            row(2, "将逾期", deadline="2025年6月15日", status="正在推进", progress=0.9),
            row(3, "将删除", deadline=FAR, progress=0.9),
            row(4, "有进展", deadline=FAR, progress=0.5),
        ],
    )
    run(office, capsys, "snapshot", "--today", "2025-06-13")
    save_ledger(
        office,
        [
            row(1, "将完成", deadline=FAR, status="已完成", progress=1),
            row(2, "将逾期", deadline="2025年6月15日", status="正在推进", progress=0.9),
            row(4, "有进展", deadline=FAR, progress=0.8),
            row(5, "新任务", deadline=FAR, progress=0.9),
        ],
    )
    out = run(office, capsys, "week", "--today", "2025-06-20", "--format", "json")
    assert out["baseline"] == "2025-06-13"
    titles = {name: [t["title"] for t in items] for name, items in out["changes"].items()}
    assert titles == {
        "newly_done": ["将完成"],
        "newly_overdue": ["将逾期"],
        "added": ["新任务"],
        "removed": ["将删除"],
        "progress": ["将完成", "有进展"],
        "stale": ["将逾期"],
    }
    progress = {c["title"]: (c["before"], c["after"]) for c in out["changes"]["progress"]}
    assert progress == {"将完成": (0.5, 1.0), "有进展": (0.5, 0.8)}


def test_week_without_an_old_snapshot_says_so(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_ledger(office, [row(1, "甲")])
    run(office, capsys, "snapshot", "--today", "2025-06-18")  # only two days old on the 20th
    out = run(office, capsys, "week", "--today", "2025-06-20")
    assert "还没有一周以前的快照" in out
    data = run(office, capsys, "week", "--today", "2025-06-20", "--format", "json")
    assert data["baseline"] is None
    assert all(v == [] for v in data["changes"].values())


def test_weekly_figures_match_a_hand_count(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_ledger(
        office,
        [
            row(1, "逾期", lead="大气环境股", deadline="2025年6月1日", progress=0.5),  # red
            row(2, "临期且滞后", lead="大气环境股", deadline="2025年6月25日", progress=0.1),  # yellow (worst)
            row(
                3, "临期", lead="大气环境股、水环境股", deadline="2025年6月25日", progress=0.99
            ),  # blue, both
            row(4, "已完成", lead="水环境股", deadline="2025年6月1日", status="已完成", progress=1),
            row(5, "正常", lead="水环境股", deadline=FAR, progress=0.9),
        ],
    )
    out = run(office, capsys, "week", "--today", "2025-06-20", "--format", "json")
    figures = {s["section"]: s for s in out["sections"]}
    assert figures["大气环境股"] == {
        "section": "大气环境股", "total": 3, "done": 0, "open": 3, "red": 1, "yellow": 1, "blue": 1,
        "stale": 0, "escalated": 1, "completion_rate": 0.0,
    }  # fmt: skip
    assert figures["水环境股"] == {
        "section": "水环境股", "total": 3, "done": 1, "open": 2, "red": 0, "yellow": 0, "blue": 1,
        "stale": 0, "escalated": 0, "completion_rate": 0.3333,
    }  # fmt: skip
    assert out["total"] == {
        "section": "合计", "total": 5, "done": 1, "open": 4, "red": 1, "yellow": 1, "blue": 1,
        "stale": 0, "escalated": 1, "completion_rate": 0.2,
    }  # fmt: skip
    table = run(office, capsys, "week", "--today", "2025-06-20")
    assert "大气环境股" in table and "合计" in table and "33%" in table


def test_section_figures_count_each_open_task_once_by_its_worst_colour() -> None:
    tasks = [task("s!5", no="1"), task("s!6", no="2", status="done")]
    alerts = {
        "s!5": [
            Alert(AlertCode.BEHIND, Level.YELLOW, "x"),
            Alert(AlertCode.STALE, Level.YELLOW, "y"),
            Alert(AlertCode.DUE_SOON, Level.BLUE, "z"),
        ],
        "s!6": [Alert(AlertCode.REVIEW_DUE, Level.BLUE, "回头看")],
    }
    (section,), total = section_figures(tasks, alerts)
    assert (section.total, section.done, section.red, section.yellow, section.blue, section.stale) == (
        2,
        1,
        0,
        1,
        0,
        1,
    )
    assert total.completion_rate == 0.5


def test_done_since_is_known_from_the_history_for_review_reminders(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    office.write_text(
        office.read_text(encoding="utf-8") + "[alerts]\nreview_after_days = 14\n", encoding="utf-8"
    )
    save_ledger(office, [row(1, "甲", status="正在推进")])
    run(office, capsys, "snapshot", "--today", "2025-06-01")
    save_ledger(office, [row(1, "甲", status="已完成")])
    run(office, capsys, "snapshot", "--today", "2025-06-06")
    run(office, capsys, "snapshot", "--today", "2025-06-13")
    # Done since the first snapshot that saw it done (6月6日), so 14 days on the 20th.
    out = run(office, capsys, "check", "--today", "2025-06-20", "--format", "json")
    assert out["tasks"][0]["alerts"] == [
        {"code": "review_due", "level": "blue", "days": 14, "message": "已完成14天，请开展“回头看”"}
    ]
