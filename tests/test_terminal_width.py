"""What the commands print fits an 80-column terminal: nothing is cut, nothing runs over."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

pytestmark = pytest.mark.slow


def run(sample_config: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "scheduler", *args, "--config", str(sample_config), "--today", "2025-06-20"],
        capture_output=True, text=True, encoding="utf-8", check=False,
        env={**os.environ, "COLUMNS": "80", "NO_COLOR": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("command", [["check"], ["week"], ["--help"], ["check", "--help"], ["run", "--help"]])
def test_the_output_fits_80_columns_without_cutting_anything(sample_config: Path, command: list[str]) -> None:
    if command[0] == "--help" or "--help" in command:
        done = subprocess.run(
            [sys.executable, "-m", "scheduler", *command], capture_output=True, text=True, encoding="utf-8",
            env={**os.environ, "COLUMNS": "80"}, check=False,
        )  # fmt: skip
        out = done.stdout
    else:
        out = run(sample_config, *command)
    assert "\x1b" not in out
    for line in out.splitlines():
        assert cell_len(line) <= 80, f"wider than 80 columns: {line!r}"
        assert "…" not in line, f"cut: {line!r}"
    if command == ["check"]:
        # Every warning reads whole, section names too.
        assert "黄色：进度80%，低于序时进度94%" in out and "红色：已逾期20天，列入督办" in out
        assert "土壤生态环境股" in out
    if command == ["week"]:
        assert "土壤生态环境股" in out and "42%" in out


def test_help_punctuation_is_chinese_throughout() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scheduler", "--help"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert "用法：" in done.stdout and "选项：" in done.stdout and "命令：" in done.stdout
    assert "选项:" not in done.stdout and "\n  命令\n" not in done.stdout
