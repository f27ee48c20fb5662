"""Benchmark: how fast the status page answers, on a 1,000-row ledger.

Target (status page issue): the board (/) at p95 under 50 ms. `taizhang serve --today
2025-06-20` runs in a subprocess on a free port of 127.0.0.1; after a warm-up, a bounded
loop of requests (one keep-alive connection, one request at a time) times each answer.

    python bench/bench_web.py [--rows 1000] [--requests 500]

The workbook is generated once into bench/out/ (ignored by git) and reused.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from bench_check import OUT, SECTIONS, generate

TARGET_P95_MS = 50.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(folder: Path, ledger: Path, port: int) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f'[ledger]\npath = "{ledger.as_posix()}"\n[plan]\nstart = 2025-01-17\n'
        f'[store]\npath = "state.sqlite3"\n[mail]\noffice = ["office@example.gov.cn"]\n'
        f"[web]\nport = {port}\n",
        encoding="utf-8",
    )
    return config


def wait_until_up(port: int, proc: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"taizhang serve exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/favicon.ico")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("taizhang serve did not answer in time")


def timed(conn: http.client.HTTPConnection, path: str, count: int) -> list[float]:
    """Milliseconds per request, `count` requests one after another."""
    found = []
    for _ in range(count):
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        found.append((time.perf_counter() - started) * 1000)
        if response.status != 200 or not body:
            raise SystemExit(f"{path} answered {response.status}")
    return found


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    ledger = OUT / f"ledger_{args.rows}.xlsx"
    if not ledger.exists():
        print(f"generating {ledger} …")
        generate(ledger, args.rows)
    folder = Path(tempfile.mkdtemp(prefix="taizhang-web-"))
    port = free_port()
    config = write_config(folder, ledger, port)
    command = [sys.executable, "-m", "scheduler", "serve", "--config", str(config), "--today", "2025-06-20"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        started = time.perf_counter()
        wait_until_up(port, proc)
        print(f"ledger: {args.rows} rows; serve up in {time.perf_counter() - started:.1f} s")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        paths = {
            "/": args.requests,
            "/section/" + quote(SECTIONS[0]): args.requests // 5,
            "/trend": args.requests // 5,
            "/api/today.json": args.requests // 5,
        }
        results = {}
        for path, count in paths.items():
            first = timed(conn, path, 1)[0]  # renders the page; the answers after it are cached
            timed(conn, path, 10)  # warm-up
            results[path] = ms = timed(conn, path, count)
            name = path if len(path) < 24 else path[:21] + "…"
            print(
                f"{name:<24} first {first:6.2f} ms  n={count:<4} p50 {statistics.median(ms):6.2f} ms  "
                f"p95 {p95(ms):6.2f} ms"
            )
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)
    board = p95(results["/"])
    ok = board < TARGET_P95_MS
    print(f"board p95 {board:.2f} ms (target < {TARGET_P95_MS:.0f} ms)")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
