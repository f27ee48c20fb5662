from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def sample_config(tmp_path: Path) -> Path:
    """The shipped config.toml, reading the sample ledger but keeping its state in tmp_path,
    so tests never write into the repository."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    ledger = (ROOT / "sheets" / "整改任务台账.xlsx").as_posix()
    text = text.replace('path = "sheets/整改任务台账.xlsx"', f'path = "{ledger}"')
    text = text.replace(
        'path = "logs/taizhang.sqlite3"', f'path = "{(tmp_path / "state.sqlite3").as_posix()}"'
    )
    assert ledger in text and "state.sqlite3" in text
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path
