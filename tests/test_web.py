"""The status page over plain HTTP: a real server on a free port of 127.0.0.1, run in this
process (`Page.open`, as the service runs it), on real ledgers and a real SQLite store."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from builders import ledger, row, write
from test_credentials import MemoryKeyring
from web_helpers import PASSWORD_ENV, get, taizhang, write_config

from scheduler import config
from scheduler.commands import SetPasswordCommand
from scheduler.credentials import WEB_KEYRING_SERVICE, WEB_KEYRING_USER, web_password
from scheduler.errors import ConfigError, PageError, UsageError
from scheduler.store import JobResult, Store
from scheduler.web.auth import Gate, Throttle
from scheduler.web.board import Board
from scheduler.web.server import Page

TODAY = date(2025, 6, 20)


@pytest.fixture
def page(tmp_path: Path) -> Iterator[tuple[Page, str]]:
    path = write_config(tmp_path)
    opened = Page.open(config.load(path), path, TODAY, read_first=True)
    yield opened, opened.board.settings.web.url.rstrip("/")
    opened.close()


# --- settings ---------------------------------------------------------------------------------


def test_the_page_listens_on_this_machine_only_by_default(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[ledger]\npath = "a.xlsx"\n[plan]\nstart = 2025-01-17\n', encoding="utf-8")
    web = config.load(cfg).web
    assert (web.enabled, web.host, web.port, web.refresh_minutes) == (True, "127.0.0.1", 8765, 10)
    assert web.password_env == "TAIZHANG_WEB_PASSWORD" and web.loopback


def test_the_shipped_config_turns_the_page_on(root: Path) -> None:
    assert config.load(root / "config.toml").web.enabled


@pytest.mark.parametrize(
    ("snippet", "key"),
    [
        ('host = "example.com"', "web.host"),
        ("port = 0", "web.port"),
        ('port = "8765"', "web.port"),
        ("refresh_minutes = 0", "web.refresh_minutes"),
        ('enabled = "yes"', "web.enabled"),
        ('password_env = "my password"', "web.password_env"),
        ('colour = "blue"', "web.colour"),
    ],
)
def test_a_bad_web_setting_names_the_key(tmp_path: Path, snippet: str, key: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[ledger]\npath = "a.xlsx"\n[plan]\nstart = 2025-01-17\n[web]\n{snippet}\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        config.load(cfg)
    assert caught.value.key == key
    assert "应为" in caught.value.message or "没有这个设置项" in caught.value.message


def test_a_password_in_the_config_is_refused_and_not_echoed(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[ledger]\npath = "a.xlsx"\n[plan]\nstart = 2025-01-17\n[web]\npassword = "s3cret-pass"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        config.load(cfg)
    assert caught.value.key == "web.password" and "s3cret-pass" not in caught.value.message
    assert "set-password --web" in caught.value.message


def test_a_lan_page_without_a_password_refuses_to_start_naming_the_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, web='host = "0.0.0.0"')
    done = taizhang("serve", "--config", str(path), "--today", "2025-06-20", env={PASSWORD_ENV: ""})
    assert done.returncode == 2
    assert "web.host" in done.stderr and PASSWORD_ENV in done.stderr and "Traceback" not in done.stderr


def test_a_short_password_is_refused_without_showing_it(tmp_path: Path) -> None:
    path = write_config(tmp_path, web='host = "0.0.0.0"')
    done = taizhang("serve", "--config", str(path), env={PASSWORD_ENV: "abc123"})
    assert done.returncode == 2 and "至少要 8 个字符" in done.stderr and "abc123" not in done.stderr


def test_a_taken_port_exits_2_in_chinese(tmp_path: Path, page: tuple[Page, str]) -> None:
    opened, _ = page
    taken = opened.board.settings.web.port
    other = tmp_path / "other"
    other.mkdir()
    path = write_config(other, port=taken)
    done = taizhang("serve", "--config", str(path))
    assert done.returncode == 2 and "端口已被占用" in done.stderr and "web" not in done.stdout


# --- the password -------------------------------------------------------------------------------


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_the_viewer_password_comes_from_the_environment_then_the_keyring(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    assert web_password(PASSWORD_ENV) is None
    memory_keyring.set_password(WEB_KEYRING_SERVICE, WEB_KEYRING_USER, "from-keyring")
    assert web_password(PASSWORD_ENV) == "from-keyring"
    monkeypatch.setenv(PASSWORD_ENV, "from-environment")
    assert web_password(PASSWORD_ENV) == "from-environment"


def test_set_password_web_keeps_the_viewer_password_in_the_keyring(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    command = SetPasswordCommand(config.load(write_config(tmp_path)), TODAY)
    assert command.run_web(read_password=lambda prompt: "会议室看板2025") == 0
    assert memory_keyring.get_password(WEB_KEYRING_SERVICE, WEB_KEYRING_USER) == "会议室看板2025"
    with pytest.raises(UsageError, match="至少要 8 个字符"):
        command.run_web(read_password=lambda prompt: "short")


def test_the_gate_reads_basic_auth_and_ignores_the_user_name() -> None:
    import base64

    gate = Gate("正确的密码123")

    def header(text: str) -> str:
        return "Basic " + base64.b64encode(text.encode()).decode()

    assert gate.allows(header("谁都行:正确的密码123")) and gate.allows(header(":正确的密码123"))
    for wrong in (header("x:错误的密码"), header("正确的密码123"), "Basic ***", "Bearer abc", "", None):
        assert not gate.allows(wrong)


def test_an_address_that_keeps_guessing_is_shut_out_for_longer_each_time() -> None:
    throttle = Throttle(cap=60, forget=900, size=2)
    ip = "10.0.0.7"
    for t in range(Throttle.FREE):  # a few typos cost nothing
        assert not throttle.shut(ip, now=t) and throttle.failed(ip, now=t) == t + 1
    throttle.failed(ip, now=10)  # the sixth: shut out for 1 s, then 2 s, 4 s …
    assert throttle.shut(ip, now=10.5) and not throttle.shut(ip, now=11.1)
    throttle.failed(ip, now=12)
    assert throttle.shut(ip, now=13.9) and not throttle.shut(ip, now=14.1)
    assert not throttle.shut("10.0.0.8", now=13)  # another address is not affected
    for t in range(20, 3000):  # thousands of guesses: the wait is capped, and nothing overflows
        throttle.failed(ip, now=20 + t / 1000)
    assert throttle.shut(ip, now=40) and not throttle.shut(ip, now=100)
    throttle.succeeded(ip)
    assert not throttle.shut(ip, now=50)
    assert throttle.failed(ip, now=5000) == 1  # forgotten after a quiet spell
    throttle.failed("10.0.0.9", now=5001)
    throttle.failed("10.0.0.10", now=5002)
    assert len(throttle._failures) == 2  # bounded memory


def test_a_shut_out_address_is_refused_at_once_even_with_the_right_password(tmp_path: Path) -> None:
    with lan_page(tmp_path) as base:
        for n in range(Throttle.FREE + 1):  # a forged client address changes nothing
            forged = {"X-Forwarded-For": f"10.9.8.{n}"}
            assert get(base + "/", password="不对的密码", headers=forged)[0] == 401
        # Shut out now: the right password gets the same answer as a wrong one, so a guesser
        # learns nothing from it, however fast or in parallel it asks.
        assert get(base + "/", password=LAN_PASSWORD)[0] == 401


@contextmanager
def lan_page(tmp_path: Path) -> Iterator[str]:
    """The page on 0.0.0.0 with LAN_PASSWORD, reached at 127.0.0.1: its base address."""
    path = write_config(tmp_path, web='host = "0.0.0.0"')
    os.environ[PASSWORD_ENV] = LAN_PASSWORD
    try:
        opened = Page.open(config.load(path), path, TODAY, read_first=True)
    finally:
        del os.environ[PASSWORD_ENV]
    try:
        yield f"http://127.0.0.1:{opened.board.settings.web.port}"
    finally:
        opened.close()


LAN_PASSWORD = "看板密码-2025"


def test_the_page_asks_for_the_password_and_answers_a_wrong_one_with_401(tmp_path: Path) -> None:
    with lan_page(tmp_path) as base:
        status, headers, _ = get(base + "/")
        assert status == 401 and headers["www-authenticate"].startswith("Basic")
        assert get(base + "/", password="不对的密码")[0] == 401
        assert get(base + "/healthz", password="不对的密码")[0] == 401
        assert get(base + "/", password=LAN_PASSWORD)[0] == 200
    log = tmp_path / "logs" / "taizhang.log"
    assert LAN_PASSWORD not in (log.read_text(encoding="utf-8") if log.exists() else "")


# --- what every response carries ----------------------------------------------------------------


def test_every_response_carries_the_security_headers(page: tuple[Page, str]) -> None:
    _, base = page
    for path, method in [
        ("/", "GET"),
        ("/static/web.css", "GET"),
        ("/nowhere", "GET"),
        ("/", "POST"),
        ("/", "HEAD"),
    ]:
        status, headers, _ = get(base + path, method=method)
        assert status in (200, 404, 405)
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert "server" not in headers


def test_only_get_and_head_are_answered(page: tuple[Page, str]) -> None:
    _, base = page
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        status, headers, body = get(base + "/healthz", method=method)
        assert (status, headers["allow"]) == (405, "GET, HEAD")
        assert "只能查看" in body.decode()
    status, headers, body = get(base + "/", method="HEAD")
    assert status == 200 and body == b"" and headers["content-type"].startswith("text/html")


def test_static_paths_cannot_leave_the_static_folder(page: tuple[Page, str]) -> None:
    _, base = page
    assert get(base + "/static/web.css")[0] == 200
    for path in (
        "/static/../config.py",
        "/static/..%2F..%2Fconfig.py",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%5C..%5Cconfig.py",
        "/static//etc/passwd",
        "/static/web.css/../../store.py",
    ):
        status, _, body = get(base + path)
        assert status == 404 and b"import" not in body, path


def test_a_page_for_this_machine_refuses_other_host_names(page: tuple[Page, str]) -> None:
    _, base = page
    assert get(base + "/", headers={"Host": "board.attacker.example"})[0] == 400
    assert get(base + "/", headers={"Host": "localhost:8765"})[0] == 200


def test_the_pages_escape_ledger_text(tmp_path: Path) -> None:
    book = write(
        tmp_path / "hostile.xlsx",
        {"整改台账": ledger([row(1, "<script>alert(1)</script>", deadline="2025年5月1日")])},
    )
    path = write_config(tmp_path, book)
    opened = Page.open(config.load(path), path, TODAY, read_first=True)
    try:
        body = get(opened.board.settings.web.url + "section/%E5%A4%A7%E6%B0%94%E7%8E%AF%E5%A2%83%E8%82%A1")[
            2
        ].decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>" not in body
    finally:
        opened.close()


# --- the figures --------------------------------------------------------------------------------


def test_the_json_is_the_weekly_view_the_page_shows(page: tuple[Page, str]) -> None:
    _, base = page
    status, headers, body = get(base + "/api/today.json")
    assert status == 200 and headers["content-type"].startswith("application/json")
    data = json.loads(body)
    assert data["today"] == "2025-06-20"
    assert data["total"] == {
        "section": "合计",
        "total": 19,
        "done": 8,
        "open": 11,
        "red": 2,
        "yellow": 4,
        "blue": 0,
        "stale": None,
        "escalated": 1,
        "completion_rate": 0.4211,
    }  # fmt: skip  (stale: not measured before a week-old snapshot)
    assert data["headline"].startswith("截至2025年6月20日，台账共 19 项整改任务")
    assert [w["light"] for w in data["warned"]] == ["red", "red", "yellow", "yellow", "yellow", "yellow"]
    assert data["problems"][0]["cell"] == "I23" and "/" not in data["problems"][0]["file"]
    page_text = re.sub(r"<[^>]+>", "", get(base + "/")[2].decode())
    assert data["headline"] in page_text
    # Times read as everywhere else the office looks: 2025年6月20日 09:00, never 2025-06-20.
    assert re.search(r"台账读取\s*\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", page_text)
    assert not re.search(r"\d{4}-\d\d-\d\d", page_text)


def test_an_unknown_section_is_a_chinese_404(page: tuple[Page, str]) -> None:
    _, base = page
    status, _, body = get(base + "/section/%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84%E8%82%A1")
    assert status == 404 and "找不到这个页面" in body.decode()


def test_trend_and_problems_pages_render(page: tuple[Page, str]) -> None:
    _, base = page
    trend = get(base + "/trend")[2].decode()
    assert "<svg" in trend and "polyline" in trend and "2025年6月20日" in trend
    problems = get(base + "/problems")[2].decode()
    assert "I23" in problems and "19. 上级警示片披露的相关问题" in problems


# --- the cache ----------------------------------------------------------------------------------


def test_the_board_reads_again_only_when_the_ledger_changed(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    board = Board(config.load(path), fixed_today=TODAY, apart=False)
    assert board.check()
    first = board.state
    assert not board.check() and board.state is first  # nothing changed: no read
    book = tmp_path / "台账.xlsx"
    write(book, {"整改台账": ledger([row(1, "唯一的任务", deadline="2025年12月31日")])})
    assert board.check()
    assert board.state is not None and board.state.view.total.total == 1


def test_an_unreadable_ledger_keeps_the_last_good_view_and_says_why(
    page: tuple[Page, str], tmp_path: Path
) -> None:
    opened, base = page
    (tmp_path / "台账.xlsx").write_bytes(b"PK\x03\x04 half-saved")
    assert not opened.board.check()
    body = get(base + "/")[2].decode()
    assert "台账暂时无法读取" in body and "台账共 <b>19</b> 项" in body
    assert "台账暂时无法读取" in json.loads(get(base + "/api/today.json")[2])["banners"][0]


def test_banners_tell_of_a_skipped_run_and_failing_mail(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    now = datetime.now(UTC)
    with Store.open(tmp_path / "state.sqlite3") as store:
        run = store.start_run("weekly", now, now)
        store.finish_run(run, JobResult.SKIPPED, "台账文件正被 WPS 保存", now)
    board = Board(config.load(path), fixed_today=TODAY, apart=False)
    assert board.check() and board.state is not None
    assert any("每周运行已跳过：台账文件正被 WPS 保存" in b for b in board.state.banners)


def test_healthz_follows_the_latest_weekly_run(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    opened = Page.open(config.load(path), path, TODAY, read_first=True)
    url = opened.board.settings.web.url + "healthz"
    try:
        assert get(url)[0] == 503  # never ran
        now = datetime.now(UTC)
        with Store.open(tmp_path / "state.sqlite3") as store:
            old = store.start_run("weekly", now - timedelta(days=9), now - timedelta(days=9))
            store.finish_run(old, JobResult.OK, "读取台账 19 项", now - timedelta(days=9))
        opened.board.fixed_today = None  # the real day: that run is nine days old
        status, _, body = get(url)
        assert status == 503 and "8 天" in json.loads(body)["reason"]
        with Store.open(tmp_path / "state.sqlite3") as store:
            manual = store.start_run("manual-weekly", now, now)
            store.finish_run(manual, JobResult.OK, "读取台账 19 项，生成邮件 7 封", now)
        status, _, body = get(url)
        assert status == 200 and json.loads(body)["job"] == "manual-weekly"
        with Store.open(tmp_path / "state.sqlite3") as store:
            daily = store.start_run("daily", now, now)
            store.finish_run(daily, JobResult.FAILED, "出错", now + timedelta(seconds=1))
        assert get(url)[0] == 200  # the daily job is not the weekly cycle
    finally:
        opened.close()


def test_serve_refuses_a_ledger_it_cannot_read(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    (tmp_path / "台账.xlsx").unlink()
    with pytest.raises(PageError, match="看板没有可显示的数据"):
        Page.open(config.load(path), path, TODAY, read_first=True)
    shutil.rmtree(tmp_path / "logs", ignore_errors=True)


def test_a_trailing_slash_is_not_redirected_to_whatever_host_the_request_named(
    page: tuple[Page, str],
) -> None:
    _, base = page
    status, headers, _ = get(base + "/trend/", headers={"Host": "127.0.0.1"})
    assert status == 404 and "location" not in headers
