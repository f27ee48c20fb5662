"""The cycle itself, driven directly: an injected clock, a transport that keeps what it is
given, real SQLite and real workbooks."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from builders import ledger, row, write
from openpyxl import load_workbook
from rich.console import Console

from scheduler import cli, pipeline
from scheduler.config import Settings, load
from scheduler.core.model import RunMode
from scheduler.cycle import Cycle
from scheduler.mail.transports import Envelope
from scheduler.service.runner import weekly_runs_on
from scheduler.store import Store, opened_existing
from scheduler.views import terminal
from scheduler.views.mail import DraftKind

MONDAY = date(2025, 6, 16)
FAR = "2025年12月31日"


class Kept:
    """A transport that keeps each message instead of sending it."""

    name = "kept"

    def __init__(self) -> None:
        self.sent: list[Envelope] = []

    def send(self, envelope: Envelope) -> dict[str, str]:
        self.sent.append(envelope)
        return {}

    def close(self) -> None:
        pass

    def subjects(self) -> list[str]:
        return [str(message_from_bytes(e.payload, policy=policy.default)["Subject"]) for e in self.sent]


def settings_for(tmp_path: Path, rows: list[list[object]]) -> Settings:
    write(tmp_path / "台账.xlsx", {"整改台账": ledger(rows)})
    config = tmp_path / "config.toml"
    config.write_text(
        '[office]\nname = "沅江分局"\n[ledger]\npath = "台账.xlsx"\n[plan]\nstart = 2025-01-17\n'
        '[store]\npath = "state.sqlite3"\n[mail]\noffice = ["office@example.gov.cn"]\n'
        '[schedule]\nweekly = "0 9 * * mon"\ndaily = "0 9 * * *"\nskip_holidays = false\n'
        '[sections]\n"大气环境股" = "dq@example.gov.cn"\n"水环境股" = "shj@example.gov.cn"\n',
        encoding="utf-8",
    )
    return load(config)


ROWS = [
    row(1, "扬尘管控不到位", "大气环境股", "2025年6月1日", progress=0.5),  # red
    row(2, "黑臭水体整治滞后", "水环境股", FAR, progress=0.1),  # yellow: behind
    row(3, "禁燃区划定", "大气环境股", FAR, "已完成", 1),  # done
]


def cycle(settings: Settings, day: date, transport: Kept) -> Cycle:
    clock = datetime.combine(day, datetime.min.time(), UTC).replace(hour=1)
    return Cycle(settings, day, clock=lambda: clock, transport_factory=lambda s: transport)


def test_a_weekly_cycle_snapshots_mails_each_section_and_the_office_once(tmp_path: Path) -> None:
    settings, kept = settings_for(tmp_path, ROWS), Kept()
    result = cycle(settings, MONDAY, kept).run(mode=RunMode.WEEKLY)
    assert result.snapshot_taken
    assert [d.kind for d in result.drafts] == [DraftKind.SECTION, DraftKind.SECTION, DraftKind.SUMMARY]
    assert [s.split("：")[0] for s in kept.subjects()] == [
        "【整改预警·督办】大气环境股",
        "【整改预警】水环境股",
        "【整改周报】2025年6月16日",
    ]
    assert (tmp_path / "sheets" / "reports" / "整改进展周报_2025-06-16.xlsx").is_file()
    again = Kept()  # the same day again: nothing new to anyone
    assert cycle(settings, MONDAY, again).run(mode=RunMode.WEEKLY).drafts == []
    assert again.sent == []


def test_a_daily_cycle_sends_only_new_red_and_blue_warnings_and_nothing_twice(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, ROWS)
    cycle(settings, MONDAY, Kept()).run(mode=RunMode.WEEKLY)
    # Tuesday: a task falls due within a week (blue, new) and the yellow one stays yellow.
    rows = [*ROWS, row(4, "应急清单复核", "水环境股", "2025年6月20日", progress=0.9)]
    write(tmp_path / "台账.xlsx", {"整改台账": ledger(rows)})
    kept = Kept()
    result = cycle(settings, date(2025, 6, 17), kept).run(mode=RunMode.DAILY)
    assert not result.snapshot_taken
    assert kept.subjects() == ["【整改预警】水环境股：蓝色1项（2025年6月17日）"]  # not the yellow one
    body = message_from_bytes(kept.sent[0].payload, policy=policy.default).get_body(("plain",))
    assert body is not None and "应急清单复核" in body.get_content() and "黑臭水体" not in body.get_content()
    later = Kept()  # the next day: the blue one was sent, the red one was sent on Monday
    assert cycle(settings, date(2025, 6, 18), later).run(mode=RunMode.DAILY).drafts == []


def test_a_dry_run_drafts_everything_and_writes_nothing(tmp_path: Path) -> None:
    settings, kept = settings_for(tmp_path, ROWS), Kept()
    result = cycle(settings, MONDAY, kept).run(mode=RunMode.WEEKLY, dry_run=True)
    assert [d.kind for d in result.drafts][-1] is DraftKind.SUMMARY and len(result.drafts) == 3
    assert kept.sent == []
    assert not (tmp_path / "state.sqlite3").exists()
    assert not (tmp_path / "sheets").exists()


def test_on_a_weekly_day_the_daily_job_leaves_everything_to_the_weekly_one(tmp_path: Path) -> None:
    settings, kept = settings_for(tmp_path, ROWS), Kept()
    cycle(settings, MONDAY, kept).run(mode=RunMode.WEEKLY)
    daily = Kept()
    assert cycle(settings, MONDAY, daily).run(mode=RunMode.DAILY).drafts == []  # all sent already
    # And the service does not even start the daily job on a weekly day (it merges into it).
    assert weekly_runs_on(settings, MONDAY) and not weekly_runs_on(settings, date(2025, 6, 17))


def test_the_terminal_the_summary_and_the_report_show_the_same_changes(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, ROWS)
    cycle(settings, MONDAY, Kept()).run(mode=RunMode.WEEKLY)
    week2 = [
        row(1, "扬尘管控不到位", "大气环境股", "2025年6月1日", progress=0.5),  # stale
        row(2, "黑臭水体整治滞后", "水环境股", FAR, "已完成", 1),  # newly done
        row(4, "新增的问题", "水环境股", FAR, progress=0.2),  # added; 3 removed
    ]
    write(tmp_path / "台账.xlsx", {"整改台账": ledger(week2)})
    kept = Kept()
    day = date(2025, 6, 23)
    cycle(settings, day, kept).run(mode=RunMode.WEEKLY)

    # The summary mail (plain-text part): "新完成（1项）：…" lines under 本周变化.
    summary = message_from_bytes(kept.sent[-1].payload, policy=policy.default).get_body(("plain",))
    assert summary is not None
    text = summary.get_content().split("本周变化：", 1)[1].split("\n\n", 1)[0]
    in_mail = [(m.group(1), int(m.group(2))) for m in re.finditer(r"^  (\S+?)（(\d+)项）：", text, re.M)]

    # The terminal: `taizhang week` prints "新完成（1项）" headings.
    ledger_now = pipeline.read(settings)
    with opened_existing(settings.store.path) as store:
        known = pipeline.history(store, settings, day)
    view = pipeline.view(settings, pipeline.assess(settings, ledger_now, day, known), known)
    out = io.StringIO()
    terminal.week_table(Console(file=out, width=120), view)
    in_terminal = [
        (m.group(1), int(m.group(2))) for m in re.finditer(r"^(\S+?)（(\d+)项）$", out.getvalue(), re.M)
    ]

    # The report workbook: one row per task on 本周变化, the group in column A.
    sheet = load_workbook(tmp_path / "sheets" / "reports" / "整改进展周报_2025-06-23.xlsx")["本周变化"]
    labels = [r[0] for r in sheet.iter_rows(min_row=4, values_only=True) if r[0]]
    in_report = [(label, labels.count(label)) for label in dict.fromkeys(labels)]

    assert (
        in_mail
        == in_terminal
        == in_report
        == [("新完成", 1), ("新增任务", 1), ("移除任务", 1), ("本周无进展", 1), ("进度变化", 1)]
    )


def test_the_cycle_reads_the_store_once_before_it_computes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(tmp_path, ROWS)
    cycle(settings, MONDAY, Kept()).run(mode=RunMode.WEEKLY)
    reads: list[str] = []
    for name in (
        "snapshot_on_or_before",
        "recent_items",
        "unreported_failures",
        "unreported_runs",
        "trend_rows",
    ):
        real = getattr(Store, name)
        monkeypatch.setattr(Store, name, lambda self, *a, _n=name, _r=real: reads.append(_n) or _r(self, *a))
    assert cli.main(["run", "--once", "--config", str(settings.path), "--today", "2025-06-23"]) == 0
    assert sorted(reads) == sorted(
        ["snapshot_on_or_before"] * 3
        + ["recent_items", "unreported_failures", "unreported_runs", "trend_rows"]
    )


def test_a_dry_run_after_a_real_one_shows_only_what_would_still_go(tmp_path: Path) -> None:
    settings, kept = settings_for(tmp_path, ROWS), Kept()
    cycle(settings, MONDAY, kept).run(mode=RunMode.WEEKLY)
    assert cycle(settings, MONDAY, Kept()).run(mode=RunMode.WEEKLY, dry_run=True).drafts == []


def test_a_warning_is_not_sent_again_within_a_repeat_window_longer_than_two_weeks(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, ROWS[:1])  # one red task
    text = settings.path.read_text(encoding="utf-8").replace("[store]", "[alerts]\nrepeat_days = 30\n[store]")
    settings.path.write_text(text, encoding="utf-8")
    settings = load(settings.path)
    first = Kept()
    cycle(settings, MONDAY, first).run(mode=RunMode.WEEKLY)
    assert any("大气环境股" in s for s in first.subjects())
    # Three weeks on, still overdue (progress updated, so nothing else is new): within the
    # 30 days, so not mailed again.
    rows = [row(1, "扬尘管控不到位", "大气环境股", "2025年6月1日", progress=0.7, note="新的进展")]
    write(tmp_path / "台账.xlsx", {"整改台账": ledger(rows)})
    later = Kept()
    cycle(settings, date(2025, 7, 7), later).run(mode=RunMode.WEEKLY)
    assert not any("大气环境股" in s for s in later.subjects())
