"""Benchmark: the 整改进展情况通报 draft of a ledger with 200 tasks in 30 categories.

Target (tongbao issue): `taizhang tongbao` under 3 s, the whole process (Python's start,
reading the ledger, the weekly view, the template and the .docx). Also checks that the
numbering stays right: （一）…（三十） and 1 … 200. Prints the times and PASS or FAIL.

    python bench/bench_tongbao.py [--runs 5] [--tasks 200] [--categories 30]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from docx import Document
from openpyxl import Workbook

TARGET_SECONDS = 3.0
CONFIG = """[office]
name = "基准测试办公室"
[ledger]
path = "台账.xlsx"
[plan]
start = 2025-01-17
[store]
path = "state.sqlite3"
[tongbao]
show_status = true
"""
HEADER = ["序号", "反馈问题", "具体问题", "牵头单位", "完成时限", "整改状态", "完成进度", "整改进展"]


def ledger(path: Path, tasks: int, categories: int) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "整改台账"
    ws.append(HEADER)
    for n in range(1, tasks + 1):
        category = f"第{(n - 1) * categories // tasks + 1}类问题：生态环境保护责任落实不到位"
        done = n % 3 == 0
        ws.append(
            [
                n,
                category,
                f"问题{n}：某项整改任务推进缓慢，群众反映强烈",
                f"股室{n % 12 + 1}",
                "2025年12月31日" if n % 4 else "2025年5月31日",
                "已完成" if done else "正在推进",
                1 if done else 0.4,
                f"整改进展{n}：" + "已召开专题会议研究部署，制定整改方案并明确责任人和完成时限。" * 3,
            ]
        )
    wb.save(path)


def run_once(folder: Path) -> float:
    command = [sys.executable, "-m", "scheduler", "tongbao", "--config", "config.toml"]
    command += ["--today", "2025-06-20"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"taizhang tongbao failed: {done.stderr}")
    return elapsed


def numbering_ok(path: Path, tasks: int, categories: int) -> bool:
    lines = [p.text for p in Document(str(path)).paragraphs]
    headings = [t.split("反馈问题")[0] for t in lines if "反馈问题：" in t]
    items = [int(m.group(1)) for t in lines if (m := re.match(r"^(\d+)\.", t))]
    return len(headings) == categories and headings[-1] == "（三十）" and items == list(range(1, tasks + 1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--categories", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "config.toml").write_text(CONFIG, encoding="utf-8")
        ledger(folder / "台账.xlsx", args.tasks, args.categories)
        times = [run_once(folder) for _ in range(args.runs)]
        (draft,) = (folder / "sheets" / "reports").glob("*.docx")
        numbered = numbering_ok(draft, args.tasks, args.categories) if args.categories == 30 else True
        size_kb = draft.stat().st_size / 1024
    worst, median = max(times), statistics.median(times)
    print(f"taizhang tongbao, {args.tasks} tasks in {args.categories} categories, {args.runs} runs")
    print(f"  median {median:.2f} s, slowest {worst:.2f} s (target < {TARGET_SECONDS:.0f} s)")
    print(f"  draft {size_kb:.0f} KB")
    print(f"  numbering （一）…（三十）, 1 … {args.tasks}: {'right' if numbered else 'WRONG'}")
    passed = worst < TARGET_SECONDS and numbered
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
