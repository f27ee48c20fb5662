"""The background service, run in a subprocess as the office would run it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from smtp_server import PASSWORD, SmtpServer, mail_table, make_server

from scheduler.store import JobResult, Store

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sheets" / "整改任务台账.xlsx"
FAST = "*/2 * * * * *"  # every two seconds: a seconds field, for tests


def free_port() -> int:
    """The status page is on (as shipped); each service gets a port of its own."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(tmp_path: Path, weekly: str = FAST, mail: str = "", extra: str = "") -> Path:
    ledger = tmp_path / "台账.xlsx"
    if not ledger.exists():
        shutil.copy(SAMPLE, ledger)
    mail = mail or '[mail]\ntransport = "outbox"\noffice = ["office@example.gov.cn"]\n'
    web = "" if "[web]" in extra else f"[web]\nport = {free_port()}\n"
    config = tmp_path / "config.toml"
    config.write_text(
        f"""[ledger]
path = "台账.xlsx"
[plan]
start = 2025-01-17
[store]
path = "state.sqlite3"
[schedule]
weekly = "{weekly}"
daily = "off"
skip_holidays = false
read_retries = 1
read_retry_seconds = 0
reload_check_seconds = 1
{mail}
{extra}
{web}
""",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def services() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:  # never leave a service running after a test
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def start(
    config: Path, services: list[subprocess.Popen[str]], env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "run", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    services.append(proc)
    return proc


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("the service did not get there in time")


def stop(proc: subprocess.Popen[str]) -> tuple[int, float]:
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=20)
    return code, time.monotonic() - began


def runs(config: Path) -> list[tuple[str, str | None, str | None]]:
    path = config.parent / "state.sqlite3"
    if not path.exists():
        return []
    try:
        conn = sqlite3.connect(path, timeout=5)
        return conn.execute("SELECT job, result, message FROM job_run ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # the service has not made its tables yet
        return []


def outbox(config: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(config.parent / "state.sqlite3", timeout=5)
    return conn.execute("SELECT subject, status FROM outbox ORDER BY id").fetchall()


def log_text(config: Path) -> str:
    path = config.parent / "logs" / "taizhang.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_the_service_fires_its_job_and_stops_cleanly(tmp_path: Path, services: list) -> None:  # type: ignore[type-arg]
    config = write_config(tmp_path)
    proc = start(config, services)
    wait_for(lambda: any(result == "ok" for _, result, _ in runs(config)))
    assert list((tmp_path / "logs" / "outbox").glob("*.eml"))
    code, took = stop(proc)
    assert code == 0 and took < 10
    log = log_text(config)
    assert "信息 服务已启动" in log
    assert "信息 每周运行：保存本周快照，读取台账 19 项，生成邮件 8 封（含办公室周报）" in log
    assert "服务已停止" in log


def test_a_second_instance_is_refused(tmp_path: Path, services: list) -> None:  # type: ignore[type-arg]
    config = write_config(tmp_path, weekly="0 9 * * mon")
    first = start(config, services)
    wait_for(lambda: "服务已启动" in log_text(config))
    second = start(config, services)
    assert second.wait(timeout=20) == 2
    assert "已有一个 taizhang 服务在运行" in second.stderr.read()  # type: ignore[union-attr]
    assert first.poll() is None
    assert stop(first)[0] == 0


def test_after_downtime_the_missed_weekly_run_happens_once(tmp_path: Path, services: list) -> None:  # type: ignore[type-arg]
    config = write_config(tmp_path, weekly="0 9 * * mon")
    now = datetime.now(UTC)
    with Store.open(tmp_path / "state.sqlite3") as store:
        store.set_state("service_started_at", (now - timedelta(days=40)).isoformat())
        old = store.start_run("weekly", now - timedelta(days=30), now - timedelta(days=30))
        store.finish_run(old, JobResult.OK, "读取台账 19 项", now - timedelta(days=30))
    proc = start(config, services)
    wait_for(lambda: len(runs(config)) == 2 and runs(config)[-1][1] is not None)
    time.sleep(3)  # and nothing more: four missed Mondays are caught up by one run
    assert [result for _, result, _ in runs(config)] == ["ok", "ok"]
    assert "现在补做一次" in log_text(config)
    assert stop(proc)[0] == 0


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_an_unreadable_ledger_skips_the_cycle_and_the_office_is_told(
    tmp_path: Path,
    services: list,
    damage: str,  # type: ignore[type-arg]
) -> None:
    config = write_config(tmp_path)
    ledger = tmp_path / "台账.xlsx"
    whole = ledger.read_bytes()
    if damage == "missing":
        ledger.unlink()
    else:
        ledger.write_bytes(whole[: len(whole) // 2])  # half-copied onto the share
    proc = start(config, services)
    wait_for(lambda: any(result == "skipped" for _, result, _ in runs(config)))
    assert not (tmp_path / "logs" / "outbox").exists()  # nothing computed from a broken file
    assert proc.poll() is None  # and the service lives on
    ledger.write_bytes(whole)
    wait_for(lambda: any(result == "ok" for _, result, _ in runs(config)))
    assert stop(proc)[0] == 0
    summary = next((tmp_path / "logs" / "outbox").glob("*整改周报*.eml")).read_bytes()
    from email import message_from_bytes, policy

    text = message_from_bytes(summary, policy=policy.default).get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert "定时运行未完成" in text
    assert "跳过" in log_text(config)


def test_a_bad_config_reload_keeps_the_old_config(tmp_path: Path, services: list) -> None:  # type: ignore[type-arg]
    config = write_config(tmp_path, weekly="0 9 * * mon")
    proc = start(config, services)
    wait_for(lambda: "服务已启动" in log_text(config))
    good = config.read_text(encoding="utf-8")
    time.sleep(1.1)  # a new modification time
    config.write_text(good.replace('weekly = "0 9 * * mon"', 'weekly = "every monday"'), encoding="utf-8")
    wait_for(lambda: "新的配置无效，继续使用原来的配置" in log_text(config))
    assert "schedule.weekly" in log_text(config)
    assert proc.poll() is None
    config.write_text(good.replace('weekly = "0 9 * * mon"', f'weekly = "{FAST}"'), encoding="utf-8")
    wait_for(lambda: "已重新加载配置" in log_text(config))
    wait_for(lambda: any(result == "ok" for _, result, _ in runs(config)))  # the new schedule is in force
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: log_text(config).count("已重新加载配置") >= 2)
    assert stop(proc)[0] == 0


def _mid_send(
    tmp_path: Path, services: list[subprocess.Popen[str]], server: SmtpServer
) -> tuple[Path, subprocess.Popen[str]]:
    """A service in the middle of a weekly run: a missed Monday runs at start-up, and the
    server takes a second a message, long enough to stop or kill it after the first."""
    server.mailbox.mode = "slow"
    config = write_config(tmp_path, weekly="0 9 * * mon", mail=mail_table(server, timeout=10))
    with Store.open(tmp_path / "state.sqlite3") as store:
        store.set_state("service_started_at", (datetime.now(UTC) - timedelta(days=30)).isoformat())
    proc = start(config, services, env={"TEST_PW": PASSWORD})
    wait_for(lambda: len(server.mailbox.received) >= 1)
    return config, proc


def test_sigterm_during_a_cycle_finishes_cleanly_and_loses_nothing(
    tmp_path: Path,
    services: list,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    server: SmtpServer = make_server(tmp_path)
    server.start()
    try:
        config, proc = _mid_send(tmp_path, services, server)
        code, took = stop(proc)
        assert code == 0 and took < 10
        statuses = [status for _, status in outbox(config)]
        assert "sending" not in statuses  # every message is either sent or still pending
        assert statuses.count("sent") == len(server.mailbox.received) >= 1
        assert "pending" in statuses  # stopped before the end: the rest waits, nothing lost
        # The next run sends the rest, each exactly once.
        server.mailbox.mode = "accept"
        env = {**os.environ, "TEST_PW": PASSWORD}
        done = subprocess.run(
            [sys.executable, "-m", "scheduler", "run", "--once", "--config", str(config)],
            env=env, capture_output=True, text=True, encoding="utf-8", check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        ids = server.mailbox.message_ids()
        assert len(ids) == len(set(ids))
        assert {status for _, status in outbox(config)} == {"sent"}
    finally:
        server.stop()


def test_a_run_killed_mid_send_is_resumed_at_restart_and_sends_nothing_twice(
    tmp_path: Path,
    services: list,  # type: ignore[type-arg]
) -> None:
    server: SmtpServer = make_server(tmp_path)
    server.start()
    try:
        config, proc = _mid_send(tmp_path, services, server)
        proc.kill()  # kill -9: no clean stop, the run stays unfinished
        proc.wait(timeout=10)
        assert [result for _, result, _ in runs(config)] == [None]
        sent_before = len(server.mailbox.received)
        server.mailbox.mode = "accept"
        again = start(config, services, env={"TEST_PW": PASSWORD})
        wait_for(lambda: len(runs(config)) == 2 and runs(config)[-1][1] == "ok")
        assert runs(config)[0][1] == "failed" and "中途被终止" in str(runs(config)[0][2])
        assert {status for _, status in outbox(config)} == {"sent"}
        ids = server.mailbox.message_ids()
        assert len(ids) > sent_before
        # Each message once (the one cut off mid-DATA may come twice under one Message-ID).
        assert len(set(ids)) == len(outbox(config))
        assert stop(again)[0] == 0
    finally:
        server.stop()


def test_a_bad_cell_while_the_service_runs_leaves_it_running_and_mails_the_others(
    tmp_path: Path,
    services: list,  # type: ignore[type-arg]
) -> None:
    from builders import ledger, row, write
    from hostile import excel_escape, rewrite_sheet

    book = write(
        tmp_path / "台账.xlsx",
        {
            "整改台账": ledger(
                [
                    row(1, "扬尘管控不到位", "LEAD", "2025年6月1日"),
                    row(2, "黑臭水体整治滞后", "水环境股", "2025年6月1日"),
                ]
            )
        },
    )
    # A Word line break and an escape sequence pasted into one section's cell.
    rewrite_sheet(book, lambda xml: xml.replace("LEAD", excel_escape("大气环境股\x0b\x1b[31m")))
    extra = '[sections]\n"大气环境股" = "dq@example.gov.cn"\n"水环境股" = "shj@example.gov.cn"\n'
    config = write_config(tmp_path, extra=extra)
    proc = start(config, services)
    wait_for(lambda: any(result == "ok" for _, result, _ in runs(config)))
    assert proc.poll() is None  # the service lives on
    subjects = " ".join(s for s, _ in outbox(config))
    assert "水环境股" in subjects and "大气环境股" in subjects and "整改周报" in subjects
    assert stop(proc)[0] == 0
