"""One section's failure is that section's alone; what went wrong always reaches the office."""

from __future__ import annotations

import sqlite3
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from builders import ledger, row, write
from smtp_server import PASSWORD, Mailbox, mail_table, make_server

from scheduler import cli, cycle
from scheduler.config import load
from scheduler.cycle import Cycle
from scheduler.mail.transports import Envelope, OutboxTransport, Transport

TODAY = "2025-06-20"


def write_config(tmp_path: Path, mail: str = "") -> Path:
    write(
        tmp_path / "台账.xlsx",
        {
            "整改台账": ledger(
                [
                    row(1, "重污染天气管控不到位", "大气环境股", "2025年6月1日"),
                    row(2, "排污口整治进展慢", "水环境股", "2025年6月18日"),
                    row(3, "土壤详查滞后", "土壤生态环境股", "2025年6月10日"),
                ]
            )
        },
    )
    mail = (
        mail
        or '[mail]\ntransport = "outbox"\noffice = ["office@example.gov.cn"]\nretry_backoff_seconds = 0\n'
    )
    path = tmp_path / "config.toml"
    path.write_text(
        f"""[ledger]
path = "台账.xlsx"
[plan]
start = 2025-01-17
[store]
path = "state.sqlite3"
[sections]
"大气环境股" = "dq@example.gov.cn"
"水环境股" = "shj@example.gov.cn"
"土壤生态环境股" = "tr@example.gov.cn"
{mail}
""",
        encoding="utf-8",
    )
    return path


def run_once(config: Path, today: str = TODAY) -> int:
    return cli.main(["run", "--once", "--config", str(config), "--today", today])


def eml(config: Path, needle: str) -> list[EmailMessage]:
    found = []
    for path in sorted((config.parent / "logs" / "outbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if needle in str(message["Subject"]):
            found.append(message)
    return found


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


def statuses(config: Path) -> dict[str, str]:
    conn = sqlite3.connect(config.parent / "state.sqlite3")
    return {s.split("：")[0]: st for s, st in conn.execute("SELECT subject, status FROM outbox ORDER BY id")}


def test_a_section_whose_mail_cannot_be_composed_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path)
    real = cycle.section_draft

    def broken_for_one(settings: Any, mail: Any, *args: Any) -> Any:
        if mail.section == "水环境股":
            raise RuntimeError("a bug that only this section's text triggers")
        return real(settings, mail, *args)

    monkeypatch.setattr(cycle, "section_draft", broken_for_one)
    assert run_once(config) == 0
    assert eml(config, "大气环境股") and eml(config, "土壤生态环境股")
    assert not eml(config, "水环境股")
    (summary,) = eml(config, "整改周报")
    assert "水环境股的预警邮件未能生成" in text_of(summary)
    assert "水环境股的预警邮件无法生成" in (tmp_path / "logs" / "taizhang.log").read_text(encoding="utf-8")

    monkeypatch.setattr(cycle, "section_draft", real)  # fixed: the next run sends what was missed
    assert run_once(config) == 0
    assert len(eml(config, "水环境股")) == 1
    assert len(eml(config, "大气环境股")) == 1  # and nothing twice


class FailsForOne:
    """The real outbox transport, except that one section's message hits a bug."""

    name = "outbox"

    def __init__(self, real: Transport, section: str) -> None:
        self.real, self.section, self.calls = real, section, 0

    def send(self, envelope: Envelope) -> dict[str, str]:
        if self.section in envelope.label:
            self.calls += 1
            raise KeyError("unexpected")
        return self.real.send(envelope)

    def close(self) -> None:
        self.real.close()


def test_a_bug_while_sending_one_message_leaves_it_pending_and_sends_the_rest(tmp_path: Path) -> None:
    settings = load(write_config(tmp_path))
    flaky = FailsForOne(OutboxTransport(settings.mail), "水环境股")
    result = Cycle(settings, date(2025, 6, 20), transport_factory=lambda s: flaky).run()
    assert flaky.calls == 1
    assert [m.subject.split("：")[0] for m, _ in result.delivery.retrying] == ["【整改预警】水环境股"]
    assert statuses(settings.path)["【整改预警】水环境股"] == "pending"
    assert statuses(settings.path)["【整改周报】2025年6月20日"] == "sent"
    assert run_once(settings.path) == 0  # the real transport again: the pending one goes, once
    assert len(eml(settings.path, "水环境股")) == 1


def test_a_cycle_that_failed_as_a_whole_is_told_in_the_next_summary(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    book = tmp_path / "台账.xlsx"
    kept = book.read_bytes()
    book.unlink()
    assert run_once(config, "2025-06-19") == 2
    book.write_bytes(kept)
    assert run_once(config) == 0
    (summary,) = eml(config, "整改周报")
    assert "2025年6月19日的手动运行失败" in text_of(summary) and "文件不存在" in text_of(summary)


class BouncesSummaryOnce(Mailbox):
    """Refuses the office summary for good the first time (554), accepts everything else."""

    refused: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        if "整改周报" in str(message["Subject"]) and not self.refused:
            self.refused += 1
            return "554 5.7.1 Message rejected as spam"
        return await super().handle_DATA(server, session, envelope)


def test_a_bounced_summary_does_not_swallow_the_bounce_reports_it_carried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server(tmp_path)
    mailbox = BouncesSummaryOnce(bad_addresses={"tr@example.gov.cn"})
    server.mailbox = mailbox
    assert server.controller is not None
    server.controller.handler = mailbox
    server.start()
    monkeypatch.setenv("TEST_PW", PASSWORD)
    try:
        mail = mail_table(server, timeout=5)
        config = write_config(tmp_path, mail)
        assert run_once(config, "2025-06-20") == 0  # 土壤 bounces (550), then the summary (554)
        assert statuses(config)["【整改预警】土壤生态环境股"] == "failed"
        assert statuses(config)["【整改周报】2025年6月20日"] == "failed"
        assert run_once(config, "2025-06-23") == 0  # next week's summary carries both
        summary = next(r.message for r in mailbox.received if "整改周报" in str(r.message["Subject"]))
        text = text_of(summary)
        assert "tr@example.gov.cn" in text and "550" in text
        assert "【整改周报】2025年6月20日" in text and "554" in text
        assert run_once(config, "2025-06-30") == 0  # reported once it was accepted: not again
        later = [r.message for r in mailbox.received if "2025年6月30日" in str(r.message["Subject"])]
        assert later and "【整改周报】2025年6月20日" not in text_of(later[-1])
    finally:
        server.stop()


def test_a_lost_store_is_said_out_loud_in_the_log_and_the_summary(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert run_once(config) == 0
    (first,) = eml(config, "整改周报")
    assert "历史记录从" not in text_of(first)  # a first run ever is not a restart
    (tmp_path / "state.sqlite3").unlink()
    assert run_once(config, "2025-06-23") == 0
    (later,) = eml(config, "2025年6月23日")[-1:]
    text = text_of(eml(config, "【整改周报】2025年6月23日")[0])
    assert "state.sqlite3 不存在" in text and "历史记录从2025年6月23日重新开始" in text
    assert later is not None
    assert "历史记录从今天重新开始" in (tmp_path / "logs" / "taizhang.log").read_text(encoding="utf-8")


def test_a_lost_store_is_noticed_from_the_log_when_mail_went_by_smtp(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "taizhang.log.1").write_text(
        "2025-06-16 09:00:01 信息 每周运行：读取台账 3 项，发送邮件 4 封（含办公室周报）\n", encoding="utf-8"
    )
    assert run_once(config) == 0
    assert "日志" in text_of(eml(config, "整改周报")[0])
