"""The status page inside the background service, run in a subprocess as the office runs it."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest
from test_service import log_text, runs, services, start, stop, wait_for, write_config
from web_helpers import PASSWORD_ENV, free_port, get

pytestmark = pytest.mark.slow
__all__ = ["services"]  # the fixture, shared with test_service.py


def answers(url: str) -> bool:
    try:
        return get(url)[0] == 200
    except OSError:
        return False


def test_the_service_serves_the_page_refreshes_it_after_a_cycle_and_stops_in_time(
    tmp_path: Path, services: list[subprocess.Popen[str]]
) -> None:
    port = free_port()
    config = write_config(tmp_path, extra=f"[web]\nport = {port}\n")
    proc = start(config, services)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: any(result == "ok" for _, result, _ in runs(config)))
    # The page read again after the cycle (its own check is ten minutes away): it names the run.
    wait_for(lambda: "保存本周快照，读取台账 19 项" in get(base + "/")[2].decode())
    assert "台账共 <b>19</b> 项整改任务" in get(base + "/")[2].decode()
    health = json.loads(get(base + "/healthz")[2])
    assert health["job"] == "weekly" and health["result"] == "ok"
    code, took = stop(proc)
    assert code == 0 and took < 10
    assert "看板已启动：http://127.0.0.1:" in log_text(config) and "服务已停止" in log_text(config)
    with pytest.raises(OSError):
        get(base + "/healthz")


def test_a_service_open_to_the_lan_without_a_password_refuses_to_start(
    tmp_path: Path, services: list[subprocess.Popen[str]]
) -> None:
    extra = f'[web]\nhost = "0.0.0.0"\nport = {free_port()}\npassword_env = "{PASSWORD_ENV}"\n'
    config = write_config(tmp_path, weekly="0 9 * * mon", extra=extra)
    proc = start(config, services, env={PASSWORD_ENV: ""})
    assert proc.wait(timeout=30) == 2
    assert "web.host" in proc.stderr.read()  # type: ignore[union-attr]


def test_a_taken_port_costs_the_page_not_the_service(
    tmp_path: Path, services: list[subprocess.Popen[str]]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        config = write_config(tmp_path, extra=f"[web]\nport = {port}\n")
        proc = start(config, services)
        wait_for(lambda: any(result == "ok" for _, result, _ in runs(config)))
        assert "端口已被占用" in log_text(config) and "服务照常运行，但不提供看板" in log_text(config)
        assert stop(proc)[0] == 0


def test_a_disabled_page_is_not_served(tmp_path: Path, services: list[subprocess.Popen[str]]) -> None:
    port = free_port()
    config = write_config(tmp_path, weekly="0 9 * * mon", extra=f"[web]\nenabled = false\nport = {port}\n")
    proc = start(config, services)
    wait_for(lambda: "服务已启动" in log_text(config))
    assert not answers(f"http://127.0.0.1:{port}/healthz") and "看板已启动" not in log_text(config)
    assert stop(proc)[0] == 0
