"""The project's promises to a new user and to CI."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook


def quick_start(root: Path) -> list[str]:
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 快速开始", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the quick start has a sh code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_quick_start_is_exactly_two_commands(root: Path) -> None:
    install_and_run, install_and_test = quick_start(root)
    assert install_and_run.startswith("pip install -e . && taizhang ")
    assert "[test]" in install_and_test and "pytest" in install_and_test


def test_ci_runs_the_readme_test_command(root: Path) -> None:
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    test_command = quick_start(root)[1]
    commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.startswith("#")]
    assert commands[-1] == test_command


def test_the_quick_start_main_command_works_on_the_sample(root: Path, tmp_path: Path) -> None:
    # Run in a copy: the command writes its state and outbox under logs/.
    shutil.copy(root / "config.toml", tmp_path / "config.toml")
    shutil.copytree(root / "sheets", tmp_path / "sheets")
    run = quick_start(root)[0].split("&&", 1)[1].split()
    assert run[:3] == ["taizhang", "run", "--once"]
    done = subprocess.run(
        [sys.executable, "-m", "scheduler", *run[1:]],
        cwd=tmp_path, capture_output=True, text=True, encoding="utf-8", check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "读取台账 19 项，生成邮件 7 封" in done.stdout
    assert len(list((tmp_path / "logs" / "outbox").glob("*.eml"))) == 7


def test_the_sample_ledger_is_what_its_script_builds(root: Path, tmp_path: Path) -> None:
    sys.path.insert(0, str(root / "sheets"))
    try:
        import make_sample
    finally:
        sys.path.remove(str(root / "sheets"))
    rebuilt = make_sample.build(tmp_path / "sample.xlsx")
    shipped = root / "sheets" / "整改任务台账.xlsx"
    assert _values(rebuilt) == _values(shipped)


def _values(path: Path) -> dict[str, object]:
    wb = load_workbook(path)
    return {
        ws.title: (
            [list(r) for r in ws.iter_rows(values_only=True)],
            sorted(map(str, ws.merged_cells.ranges)),
        )
        for ws in wb.worksheets
    }


def test_logs_folder_is_kept_but_its_output_is_ignored(root: Path) -> None:
    assert (root / "logs" / ".gitkeep").exists()
    ignore = (root / ".gitignore").read_text(encoding="utf-8")
    assert "logs/*" in ignore and "!logs/.gitkeep" in ignore


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is installed with the test extras")
def test_the_code_passes_ruff(root: Path) -> None:
    done = subprocess.run(["ruff", "check", "."], cwd=root, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mypy") is None, reason="mypy is installed with the test extras")
def test_the_code_passes_mypy(root: Path) -> None:
    done = subprocess.run(["mypy"], cwd=root, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
