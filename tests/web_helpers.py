"""The status page as its users meet it: `taizhang serve` in a subprocess on a free port of
127.0.0.1, asked with plain HTTP or a real Chromium."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sheets" / "整改任务台账.xlsx"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD_ENV = "TAIZHANG_TEST_WEB_PASSWORD"  # never the real variable: a developer may have it set


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(folder: Path, ledger: Path | None = None, *, web: str = "", port: int | None = None) -> Path:
    """A config in `folder` reading `ledger` (a copy of the sample by default), state kept there."""
    target = folder / "台账.xlsx"
    if not target.exists():
        shutil.copy(ledger or SAMPLE, target)
    config = folder / "config.toml"
    config.write_text(
        f"""[office]
name = "益阳市生态环境局沅江分局"
[ledger]
path = "台账.xlsx"
[plan]
start = 2025-01-17
[store]
path = "state.sqlite3"
[mail]
transport = "outbox"
office = ["office@example.gov.cn"]
[sections]
"大气环境股" = "dq@example.gov.cn"
[schedule]
weekly = "0 9 * * mon"
daily = "0 9 * * *"
[web]
port = {port or free_port()}
password_env = "{PASSWORD_ENV}"
{web}
""",
        encoding="utf-8",
    )
    return config


def port_of(config: Path) -> int:
    for line in config.read_text(encoding="utf-8").splitlines():
        if line.startswith("port = "):
            return int(line.split("=")[1])
    raise AssertionError("no [web] port in the config")


def taizhang(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler", *args],
        capture_output=True, text=True, encoding="utf-8", check=False, cwd=cwd,
        env={**os.environ, **(env or {})}, timeout=120,
    )  # fmt: skip


@contextmanager
def serving(config: Path, today: str = "2025-06-20", env: dict[str, str] | None = None) -> Iterator[str]:
    """`taizhang serve --today` in a subprocess; yields the base URL once it answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "serve", "--config", str(config), "--today", today],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port_of(config)}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited with {proc.returncode}: {proc.stderr.read()}")  # type: ignore[union-attr]
            try:
                status, _, _ = get(base + "/favicon.ico", password=(env or {}).get(PASSWORD_ENV))
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("serve did not answer in time")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def get(
    url: str, *, method: str = "GET", password: str | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    if password is not None:
        token = base64.b64encode(f"任意:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def summary_mail(outbox: Path) -> EmailMessage:
    for path in sorted(outbox.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if str(message["Subject"]).startswith("【整改周报】"):
            assert isinstance(message, EmailMessage)
            return message
    raise AssertionError("no office summary in the outbox")


def summary_figures(message: EmailMessage) -> tuple[str, dict[str, list[str]]]:
    """The headline and, per section, total/done/red/yellow/blue/completion rate, as the
    summary's plain-text part writes them (its columns are named in the heading line)."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text: Any = body.get_content()
    lines = text.splitlines()
    headline = next(line for line in lines if line.startswith("截至"))
    heading = next(i for i, line in enumerate(lines) if line.startswith("各牵头单位情况（"))
    columns = lines[heading].split("（", 1)[1].rstrip("）：").split("/")
    wanted = [columns.index(name) for name in ("任务", "完成", "红", "黄", "蓝", "完成率")]
    figures = {}
    for line in lines[heading + 1 :]:
        if not line.startswith("  "):
            break
        name, _, values = line.strip().rpartition("：")
        cells = values.split("/")
        figures[name] = [cells[i] for i in wanted]
    return headline, figures
