"""Benchmark: one weekly cycle (`taizhang run --once`, outbox transport) on generated ledgers
of 1,000, 5,000 and 10,000 rows with 20 lead sections.

Targets (one-weekly-view issue): 1,000 rows under 2 s, 10,000 rows under 15 s (the slower of
the first week and the next, which compares with the first), and a cost
that grows linearly with the rows: the 10,000-row run within 12 × the 1,000-row run (10 ×
for the rows, with room for a noisy machine). The baseline, measured side by side in the
same run, is `taizhang check --format json` on the same file: reading and assessing alone.

    python bench/bench_cycle.py [--rows 1000 5000 10000] [--runs 3] [--regen]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_check

HERE = Path(__file__).resolve().parent
SECTIONS = [f"{name}{n}" for n in (1, 2) for name in bench_check.SECTIONS]  # 20 sections
CONFIG = """[office]
name = "基准测试办公室"
[ledger]
path = "{ledger}"
[plan]
start = 2025-01-17
[store]
path = "state.sqlite3"
[mail]
transport = "outbox"
office = ["office@example.gov.cn"]
[sections]
{sections}
"""


def ledger(rows: int, regen: bool) -> Path:
    path = bench_check.OUT / f"cycle_{rows}.xlsx"
    if regen or not path.exists():
        bench_check.SECTIONS[:] = SECTIONS
        print(f"generating {path} …")
        bench_check.generate(path, rows)
    return path


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()}")
    return elapsed


def one_run(path: Path) -> tuple[float, float, float]:
    """Seconds for a first weekly cycle in a fresh folder, for the next week's (history,
    identities, changes), and for `check` on the same file."""
    folder = Path(tempfile.mkdtemp(prefix="taizhang-bench-"))
    try:
        sections = "\n".join(f'"{s}" = "s{i}@example.gov.cn"' for i, s in enumerate(SECTIONS))
        config = folder / "config.toml"
        config.write_text(CONFIG.format(ledger=path.as_posix(), sections=sections), encoding="utf-8")
        base = [sys.executable, "-m", "scheduler"]
        check = timed(
            [*base, "check", "--config", str(config), "--today", "2025-06-20", "--format", "json"], folder
        )
        cycle = timed([*base, "run", "--once", "--config", str(config), "--today", "2025-06-20"], folder)
        second = timed([*base, "run", "--once", "--config", str(config), "--today", "2025-06-27"], folder)
        return cycle, second, check
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--regen", action="store_true")
    args = parser.parse_args()
    medians: dict[int, float] = {}
    for rows in args.rows:
        path = ledger(rows, args.regen)
        results = [one_run(path) for _ in range(args.runs)]
        cycle = statistics.median(r[0] for r in results)
        second = statistics.median(r[1] for r in results)
        check = statistics.median(r[2] for r in results)
        medians[rows] = max(cycle, second)
        per_k = cycle / rows * 1000
        print(f"{rows:>6} rows: week 1 {cycle:6.2f} s, week 2 {second:6.2f} s, check {check:5.2f} s, "
              f"cycle/check {cycle / check:4.1f} ×, per 1,000 rows {per_k:5.2f} s")  # fmt: skip
    ok = True
    if 1000 in medians:
        ok &= medians[1000] < 2
        print(f"1,000 rows: {medians[1000]:.2f} s (target < 2 s)")
    if 10000 in medians:
        ok &= medians[10000] < 15
        print(f"10,000 rows: {medians[10000]:.2f} s (target < 15 s)")
    if 1000 in medians and 10000 in medians:
        growth = medians[10000] / medians[1000]
        ok &= growth < 12
        print(f"growth 1k → 10k: {growth:.1f} × for 10 × the rows (target < 12 ×: linear)")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled modules are kept
    sys.exit(main())
