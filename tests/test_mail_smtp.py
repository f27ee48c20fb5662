"""`taizhang run --once` against a real SMTP server on 127.0.0.1 (aiosmtpd, STARTTLS + AUTH).

Every fault leaves nothing lost and nothing repeated: each message the outbox holds reaches
the server exactly once (a crash between send and record is the one case that sends again,
with the same Message-ID, which mail clients show once)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import ledger, row, write
from smtp_server import HANG, PASSWORD, USER, SmtpServer, make_server

from scheduler.cli import main

TODAY = "2025-06-20"
PASSWORD_ENV = "TEST_TAIZHANG_SMTP_PASSWORD"


def write_config(
    tmp_path: Path, port: int, ca_file: Path, security: str = "starttls", extra: str = ""
) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[ledger]
path = "台账.xlsx"
[plan]
start = 2025-01-17
[store]
path = "state.sqlite3"
[mail]
transport = "smtp"
sender = "沅江分局整改办 <{USER}>"
office = ["office@example.gov.cn"]
retry_backoff_seconds = 0
[mail.smtp]
host = "127.0.0.1"
port = {port}
security = "{security}"
user = "{USER}"
password_env = "{PASSWORD_ENV}"
timeout = 5
ca_file = "{ca_file.as_posix()}"
[sections]
"大气环境股" = "dq@example.gov.cn"
"水环境股" = ["shj@example.gov.cn", "shj2@example.gov.cn"]
[leaders]
"李红梅" = "lhm@example.gov.cn"
{extra}
""",
        encoding="utf-8",
    )
    write(
        tmp_path / "台账.xlsx",
        {
            "整改台账": ledger(
                [
                    row(
                        1, "重污染天气管控不到位", "大气环境股", "2025年6月1日", progress=0.5
                    ),  # red, escalated
                    row(2, "禁燃区划定<未完成>", "大气环境股", "2025年6月25日", progress=0.95),  # blue
                    row(3, "排污口整治进展慢", "水环境股", "2025年6月18日", progress=0.8),  # red
                ]
            )
        },
    )
    return config


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SmtpServer]:
    srv = make_server(tmp_path)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def config(tmp_path: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return write_config(tmp_path, server.port, server.ca_file)


def run_once(config: Path, *extra: str) -> int:
    return main(["run", "--once", "--config", str(config), "--today", TODAY, *extra])


def outbox(config: Path) -> list[tuple[str, str, int]]:
    conn = sqlite3.connect(config.parent / "state.sqlite3")
    return conn.execute("SELECT message_id, status, attempts FROM outbox ORDER BY id").fetchall()


def subjects(server: SmtpServer) -> list[str]:
    return [str(r.message["Subject"]) for r in server.mailbox.received]


def assert_each_sent_exactly_once(config: Path, server: SmtpServer) -> None:
    rows = outbox(config)
    assert [status for _, status, _ in rows] == ["sent"] * len(rows)
    assert sorted(server.mailbox.message_ids()) == sorted(mid for mid, _, _ in rows)


def test_it_sends_one_email_per_section_and_a_summary(config: Path, server: SmtpServer) -> None:
    assert run_once(config) == 0
    assert subjects(server) == [
        "【整改预警·督办】大气环境股：红色1项、蓝色1项（2025年6月20日）",
        "【整改预警】水环境股：红色1项（2025年6月20日）",
        "【整改周报】2025年6月20日：共3项，已完成0项，红色2项、黄色0项、蓝色1项",
    ]
    assert set(server.mailbox.logins) == {USER}  # the full address, as QQ and 163 want it
    first = server.mailbox.received[0]
    # Escalated: the leader and the office get a copy.
    assert first.rcpt_tos == ["dq@example.gov.cn", "lhm@example.gov.cn", "office@example.gov.cn"]
    assert server.mailbox.received[1].rcpt_tos == ["shj@example.gov.cn", "shj2@example.gov.cn"]
    msg = first.message
    assert msg["From"].addresses[0].display_name == "沅江分局整改办"
    assert msg["Cc"] == "lhm@example.gov.cn, office@example.gov.cn"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert msg["Reply-To"] == "office@example.gov.cn"  # answers reach the office, who keeps the ledger
    for body in (html, text):
        assert "重污染天气管控不到位" in body and "已逾期19天" in body and "督办" in body
        assert "请于6月25日前报送整改进展" in body and "或直接回复本邮件" in body
    assert "禁燃区划定&lt;未完成&gt;" in html and "<未完成>" not in html  # ledger text is escaped
    assert "<br>" not in text
    (attachment,) = msg.iter_attachments()
    assert attachment.get_filename() == "大气环境股整改任务_20250620.xlsx"
    assert attachment.get_content_type().endswith("spreadsheetml.sheet")
    assert_each_sent_exactly_once(config, server)


def test_it_sends_over_implicit_tls_on_465_style_servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    srv = make_server(tmp_path, "ssl")
    srv.start()
    try:
        monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
        config = write_config(tmp_path, srv.port, srv.ca_file, security="ssl")
        assert run_once(config) == 0
        assert len(srv.mailbox.received) == 3
    finally:
        srv.stop()


def test_it_sends_through_a_local_relay_without_login(tmp_path: Path) -> None:
    srv = make_server(tmp_path, "none")
    srv.start()
    try:
        config = write_config(tmp_path, srv.port, srv.ca_file, security="none")
        text = config.read_text(encoding="utf-8").replace(f'user = "{USER}"\n', "")
        config.write_text(text, encoding="utf-8")
        assert run_once(config) == 0  # no password needed, and none asked for
        assert len(srv.mailbox.received) == 3 and srv.mailbox.logins == []
    finally:
        srv.stop()


def test_running_twice_on_the_same_day_sends_nothing_new(config: Path, server: SmtpServer, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run_once(config) == 0
    assert run_once(config) == 0
    assert len(server.mailbox.received) == 3
    assert "没有需要发送的新预警" in capsys.readouterr().out


def test_a_dry_run_neither_sends_nor_records(config: Path, server: SmtpServer, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run_once(config, "--dry-run") == 0
    assert server.mailbox.received == []
    assert not (config.parent / "state.sqlite3").exists()
    out = capsys.readouterr().out
    assert "试运行：共 3 封邮件" in out and "主题：【整改预警·督办】大气环境股" in out


def test_a_down_server_leaves_mail_pending_and_the_next_run_sends_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    srv = make_server(tmp_path)  # not started: nothing listens on its port
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    config = write_config(tmp_path, srv.port, srv.ca_file)
    assert run_once(config) == 3
    assert "暂未发出（将自动重试）" in capsys.readouterr().out
    assert [status for _, status, _ in outbox(config)] == ["pending"] * 3
    srv.start()
    try:
        assert run_once(config) == 0
        assert_each_sent_exactly_once(config, srv)
        assert [attempts for _, _, attempts in outbox(config)] == [2, 2, 2]
    finally:
        srv.stop()


@pytest.mark.parametrize("fault", ["drop", "421"])
def test_a_dropped_connection_or_a_421_reply_is_retried_on_the_next_run(
    config: Path, server: SmtpServer, fault: str
) -> None:
    server.mailbox.mode = fault
    assert run_once(config) == 3
    assert server.mailbox.received == []
    assert {status for _, status, _ in outbox(config)} == {"pending"}
    server.mailbox.mode = "accept"
    assert run_once(config) == 0
    assert_each_sent_exactly_once(config, server)


def test_retries_wait_for_their_backoff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    srv = make_server(tmp_path)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    config = write_config(tmp_path, srv.port, srv.ca_file)
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "retry_backoff_seconds = 0", "retry_backoff_seconds = 3600"
        ),
        encoding="utf-8",
    )
    assert run_once(config) == 3
    srv.start()
    try:
        assert run_once(config) == 0  # nothing is due yet: the first retry waits an hour
        assert srv.mailbox.received == []
        assert {status for _, status, _ in outbox(config)} == {"pending"}
    finally:
        srv.stop()


def test_a_550_for_a_bad_address_is_recorded_and_reported_to_the_office(
    config: Path, server: SmtpServer, capsys
) -> None:  # type: ignore[no-untyped-def]
    server.mailbox.bad_addresses = {"dq@example.gov.cn", "shj2@example.gov.cn"}
    assert run_once(config) == 0
    statuses = {subject.split("：")[0]: status for subject, status in _subjects_and_status(config)}
    assert statuses["【整改预警·督办】大气环境股"] == "sent"  # the leader's and the office's copies went
    assert statuses["【整改预警】水环境股"] == "sent"  # to shj@, not to shj2@
    summary = server.mailbox.received[-1].message
    assert str(summary["Subject"]).startswith("【整改周报】")
    html = summary.get_body(("html",)).get_content()
    assert "投递失败的邮件" in html and "dq@example.gov.cn" in html and "shj2@example.gov.cn" in html
    assert "550" in html
    # Reported once: a second run neither retries the failures nor reports them again.
    assert run_once(config) == 0
    assert len(server.mailbox.received) == 3


def test_a_message_refused_for_all_its_recipients_fails_and_is_not_retried(
    config: Path, server: SmtpServer
) -> None:
    server.mailbox.bad_addresses = {"shj@example.gov.cn", "shj2@example.gov.cn"}
    assert run_once(config) == 0
    statuses = dict(_subjects_and_status(config))
    assert statuses["【整改预警】水环境股：红色1项（2025年6月20日）"] == "failed"
    assert run_once(config) == 0
    assert [s for s in subjects(server) if "水环境股" in s] == []


def _subjects_and_status(config: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(config.parent / "state.sqlite3")
    return conn.execute("SELECT subject, status FROM outbox ORDER BY id").fetchall()


CRASH_AFTER_SEND = """
import os, sys
from scheduler.store import Store
def killed(*args, **kwargs):
    os._exit(9)  # the process dies after the server accepted, before the outbox says so
Store.mark_sent = killed
from scheduler.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_a_crash_between_send_and_record_resends_with_the_same_message_id(
    config: Path, server: SmtpServer
) -> None:
    args = ["run", "--once", "--config", str(config), "--today", TODAY]
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH_AFTER_SEND, *args], capture_output=True, check=False
    )
    assert crashed.returncode == 9
    assert len(server.mailbox.received) == 1
    assert [status for _, status, _ in outbox(config)] == ["sending", "pending"]
    first_id = server.mailbox.message_ids()[0]

    assert run_once(config) == 0
    ids = server.mailbox.message_ids()
    assert ids.count(first_id) == 2  # sent again, under the same Message-ID: shown once
    assert len(set(ids)) == len(outbox(config)) == 3  # two section mails and the summary
    assert {status for _, status, _ in outbox(config)} == {"sent"}


def test_a_wrong_password_keeps_mail_pending_and_says_so(
    config: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    assert run_once(config) == 3
    assert "拒绝登录" in capsys.readouterr().out
    assert server.mailbox.received == []


def test_a_missing_password_exits_2_before_anything_is_written(
    config: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(PASSWORD_ENV)
    monkeypatch.setattr("scheduler.credentials._from_keyring", lambda user: None)  # no keyring here
    assert run_once(config) == 2
    err = capsys.readouterr().err
    assert PASSWORD_ENV in err and USER in err
    assert not (config.parent / "state.sqlite3").exists()


def test_the_password_never_reaches_the_outbox_the_store_or_the_output(
    config: Path, server: SmtpServer, capsys
) -> None:  # type: ignore[no-untyped-def]
    assert run_once(config) == 0
    out = capsys.readouterr()
    stored = (config.parent / "state.sqlite3").read_bytes()
    assert PASSWORD.encode() not in stored
    assert PASSWORD not in out.out + out.err
    assert all(PASSWORD.encode() not in r.data for r in server.mailbox.received)


def test_send_test_sends_one_message_of_each_colour(config: Path, server: SmtpServer) -> None:
    assert main(["send-test", "--config", str(config), "--to", "me@example.gov.cn"]) == 0
    got = subjects(server)
    assert [s.split("】")[0] for s in got] == ["【测试·红色预警", "【测试·黄色预警", "【测试·蓝色预警"]
    assert all(r.rcpt_tos == ["me@example.gov.cn"] for r in server.mailbox.received)


def test_send_test_sends_only_its_own_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    srv = make_server(tmp_path)  # down for the weekly run: its messages wait in the outbox
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    config = write_config(tmp_path, srv.port, srv.ca_file)
    assert run_once(config) == 3
    srv.start()
    try:
        assert main(["send-test", "--config", str(config), "--to", "me@example.gov.cn"]) == 0
        assert [r.rcpt_tos for r in srv.mailbox.received] == [["me@example.gov.cn"]] * 3
        assert [status for _, status, _ in outbox(config)][:3] == ["pending"] * 3  # left to their retry
    finally:
        srv.stop()


TOO_LARGE = "552 5.3.4 Message size exceeds fixed maximum message size"


@pytest.mark.parametrize(
    ("stage", "reply"),
    [
        ("MAIL", TOO_LARGE),  # a SIZE over the server's limit, refused before anything is sent
        ("RCPT", "552 5.2.2 Mailbox full"),  # for every recipient
        ("DATA", TOO_LARGE),
        ("MAIL", "550 5.7.1 Sender rejected by policy"),
        ("DATA", "554 5.7.1 Message rejected as spam"),
    ],
)
def test_a_5xx_at_any_stage_fails_the_message_and_is_reported(
    config: Path, server: SmtpServer, stage: str, reply: str, capsys
) -> None:  # type: ignore[no-untyped-def]
    server.mailbox.faults = [(stage, reply)]  # the first message: 大气环境股's warning
    assert run_once(config) == 0
    assert "投递失败：【整改预警·督办】大气环境股" in capsys.readouterr().out
    statuses = [status for _, status in _subjects_and_status(config)]
    assert statuses == ["failed", "sent", "sent"]
    summary = server.mailbox.received[-1].message
    html = summary.get_body(("html",)).get_content()
    text = summary.get_body(("plain",)).get_content()
    for body in (html, text):
        assert "投递失败的邮件" in body and "大气环境股" in body and reply.split()[0] in body
    # Not retried: a second run sends nothing and the message stays failed.
    assert run_once(config) == 0
    assert len(server.mailbox.received) == 2
    assert [status for _, status in _subjects_and_status(config)] == statuses


def test_a_4xx_at_mail_from_is_retried_and_sent_once(config: Path, server: SmtpServer) -> None:
    server.mailbox.faults = [("MAIL", "451 4.3.0 Temporary lookup failure")]
    assert run_once(config) == 3
    assert [status for _, status in _subjects_and_status(config)] == ["pending", "sent", "sent"]
    assert run_once(config) == 0
    assert_each_sent_exactly_once(config, server)


def test_a_refused_login_keeps_mail_pending_until_the_password_is_fixed(
    config: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "wrong")  # the server answers 535 at AUTH
    assert run_once(config) == 3
    assert {status for _, status, _ in outbox(config)} == {"pending"}
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    assert run_once(config) == 0
    assert_each_sent_exactly_once(config, server)


def test_a_server_that_stops_answering_is_a_timeout_and_is_retried(
    tmp_path: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    config = write_config(tmp_path, server.port, server.ca_file)
    config.write_text(config.read_text(encoding="utf-8").replace("timeout = 5", "timeout = 1"), "utf-8")
    server.mailbox.faults = [("DATA", HANG)]  # no reply after the message: our timeout ends it
    assert run_once(config) == 3
    out = capsys.readouterr().out
    assert "暂未发出（将自动重试）：【整改预警·督办】大气环境股" in out
    assert "连接超时" in out and "连接中断" not in out
    assert run_once(config) == 0
    assert_each_sent_exactly_once(config, server)


def test_a_dropped_connection_is_still_reported_as_interrupted(
    config: Path, server: SmtpServer, capsys
) -> None:  # type: ignore[no-untyped-def]
    server.mailbox.mode = "drop"
    assert run_once(config) == 3
    out = capsys.readouterr().out
    assert "连接中断" in out and "连接超时" not in out
