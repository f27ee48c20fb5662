"""Benchmark: `taizhang check --format json` on a 50,000-row, 14-column ledger.

Target (one-weekly-view issue): under 2 × the time python-calamine alone takes to load the
workbook's values, measured side by side in one run, with peak memory under 300 MB.

    python bench/bench_check.py [--rows 50000] [--runs 3] [--regen]

The workbook is generated once into bench/out/ (ignored by git) and reused.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import python_calamine as pc
from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
TOP = ["序号", "反馈问题", "具体问题", "整改措施", "责任领导", "责任单位", None, "责任人", "开始时间",
       "完成时限", "整改情况", None, None, "备注"]  # fmt: skip
SUB = [None, None, None, None, None, "牵头单位", "配合单位", None, None, None, "整改状态", "完成进度",
       "整改进展", None]  # fmt: skip
SECTIONS = ["大气环境股", "水环境股", "土壤生态环境股", "自然生态股", "执法大队", "监测站", "行政审批股",
            "综合股", "办公室", "计划财务股"]  # fmt: skip
SUPPORT = ["", "市水利局", "市农业农村局、各镇（街道、中心）", "市住房和城乡建设局", "市林业局、市公安局"]
STATUS = ["正在推进", "已完成", "未完成", "已销号", "持续推进", ""]
GROUP = 10  # rows per merged category


def deadline(rng: random.Random) -> object:
    day = date(2025, 1, 1) + timedelta(days=rng.randrange(730))
    forms = [
        day,
        f"{day.year}年{day.month}月{day.day}日前",
        f"{day.year}年{day.month}月底前",
        f"{day.year}/{day.month}/{day.day}",
        "长期坚持",
        "立行立改",
        f"{day.year}年底",
        "三季度",
    ]
    return rng.choice(forms)


def generate(path: Path, rows: int) -> None:
    rng = random.Random(20250620)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "整改台账"
    ws.append(["沅江分局专项巡察整改任务台账（基准测试）"])
    ws.append(["填报单位：整改办    填报时间：2025年6月20日"])
    ws.append(TOP)
    ws.append(SUB)
    for ref in ("A1:N1", "A2:N2", "F3:G3", "K3:M3"):
        ws.merge_cells(ref)
    for col in "ABCDEHIJN":
        ws.merge_cells(f"{col}3:{col}4")
    for n in range(1, rows + 1):
        progress = rng.choice([rng.random(), rng.randrange(0, 101), f"{rng.randrange(0, 101)}%", None])
        category = f"反馈问题第{(n - 1) // GROUP + 1}类：落实生态环境保护责任有差距"
        ws.append([
            n,
            category if (n - 1) % GROUP == 0 else None,
            f"第{n}项问题：某某断面水质不能稳定达标，排污口整治进展慢，需要加快推进",
            f"制定整改方案，明确责任分工，第{n}项措施按月调度，确保按期完成整改并长效巩固",
            rng.choice(["李红梅", "王建国", "张志刚", "刘芳"]),
            rng.choice(SECTIONS),
            rng.choice(SUPPORT),
            rng.choice(["周敏", "陈立", "刘洋", "黄静"]),
            date(2025, 1, 17) + timedelta(days=rng.randrange(60)),
            deadline(rng),
            rng.choice(STATUS),
            progress,
            f"本周完成第{rng.randrange(1, 9)}阶段工作，已召开推进会，相关资料正在整理",
            rng.choice(["", "", "重点督办"]),
        ])  # fmt: skip
    first = 5
    for start in range(first, first + rows, GROUP):
        end = min(start + GROUP - 1, first + rows - 1)
        if end > start:
            ws.merge_cells(f"B{start}:B{end}")
    OUT.mkdir(exist_ok=True)
    wb.save(path)


def calamine_load(path: Path) -> float:
    started = time.perf_counter()
    book = pc.CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return time.perf_counter() - started


def taizhang_check(path: Path) -> tuple[float, float, int]:
    """Wall time, peak RSS in MB and output size of one `taizhang check --format json` run."""
    config = HERE.parent / "config.toml"
    command = [sys.executable, "-m", "scheduler", "check", "--config", str(config), "--ledger", str(path),
               "--today", "2025-06-20", "--format", "json"]  # fmt: skip
    # As installed: Python keeps compiled modules (.pyc). This machine sets
    # PYTHONDONTWRITEBYTECODE, which would time compiling our sources on every run.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink, subprocess.Popen(command, stdout=subprocess.PIPE, env=env) as proc:
        assert proc.stdout is not None
        size = 0
        while chunk := proc.stdout.read(1 << 20):
            size += len(chunk)
            sink.write(chunk)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"taizhang check failed with exit code {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--regen", action="store_true")
    args = parser.parse_args()
    path = OUT / f"ledger_{args.rows}.xlsx"
    if args.regen or not path.exists():
        print(f"generating {path} …")
        generate(path, args.rows)
    print(f"workbook: {path.name}, {args.rows} rows × 14 columns, {path.stat().st_size / 1e6:.1f} MB")

    taizhang_check(path)  # a first run writes the .pyc files, as the first run after install does
    calamine: list[float] = []
    runs: list[tuple[float, float, int]] = []
    for _ in range(args.runs):  # side by side, so that a busy moment hits both
        calamine.append(calamine_load(path))
        runs.append(taizhang_check(path))
    base = statistics.median(calamine)
    wall = statistics.median(r[0] for r in runs)
    peak = max(r[1] for r in runs)
    ratio = wall / base
    print(f"python-calamine load (median of {args.runs}): {base:.2f} s")
    print(f"taizhang check --format json (median of {args.runs}, whole process): {wall:.2f} s")
    print(f"ratio: {ratio:.2f} × (target < 2)")
    print(f"peak memory: {peak:.0f} MB (target < 300)")
    print(f"json output: {runs[0][2] / 1e6:.1f} MB")
    ok = ratio < 2 and peak < 300
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
