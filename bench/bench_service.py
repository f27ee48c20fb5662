"""Benchmark: the resident memory of the idle background service (`taizhang run`).

Target: under 80 MB (one-weekly-view issue); with the status page on, under 100 MB (status
page issue). The service starts on the sample ledger in a temporary folder, with jobs that
do not fire during the measurement; its RSS is read from /proc after it settles.

    python bench/bench_service.py [--seconds 5] [--web]

Without --web the page is off ([web] enabled = false); with --web it is on, on a free port,
and is asked for once (so that its first read of the ledger is done) before measuring.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS: this benchmark needs Linux")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ask(url: str, seconds: float = 30) -> None:
    """Ask until the page answers 200 (its first read of the ledger done)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the page did not answer: {url}")


def idle_rss(extra: str, seconds: float, page: str | None = None) -> float:
    folder = Path(tempfile.mkdtemp(prefix="taizhang-idle-"))
    try:
        shutil.copy(ROOT / "sheets" / "整改任务台账.xlsx", folder / "台账.xlsx")
        (folder / "config.toml").write_text(
            '[ledger]\npath = "台账.xlsx"\n[plan]\nstart = 2025-01-17\n'
            '[mail]\noffice = ["office@example.gov.cn"]\n'
            '[schedule]\nweekly = "0 9 1 1 *"\ndaily = "off"\n' + extra,
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "scheduler", "run", "--config", str(folder / "config.toml")]
        proc = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            log = folder / "logs" / "taizhang.log"
            deadline = time.monotonic() + 30
            while "服务已启动" not in (log.read_text(encoding="utf-8") if log.exists() else ""):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the service did not start")
                time.sleep(0.2)
            if page:
                ask(page)
            time.sleep(seconds)  # let it settle: the first reload check, any start-up work
            return rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--web", action="store_true", help="with the status page on")
    args = parser.parse_args()
    if args.web:
        port = free_port()
        idle = idle_rss(f"[web]\nenabled = true\nport = {port}\n", args.seconds, f"http://127.0.0.1:{port}/")
        target = 100
        print(f"idle service with the status page: {idle:.0f} MB RSS (target < {target} MB)")
    else:
        idle = idle_rss("[web]\nenabled = false\n", args.seconds)
        target = 80
        print(f"idle service: {idle:.0f} MB RSS (target < {target} MB)")
    ok = idle < target
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
