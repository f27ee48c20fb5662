from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from scheduler import config
from scheduler.errors import ConfigError

GOOD = """
[ledger]
path = "sheets/台账.xlsx"

[plan]
start = 2025-01-17
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        config.load(write(tmp_path, text))
    return caught.value


def test_the_shipped_config_loads_and_points_at_the_sample_ledger(root: Path) -> None:
    settings = config.load(root / "config.toml")
    assert settings.ledger.paths == (root / "sheets" / "整改任务台账.xlsx",)
    assert settings.ledger.paths[0].exists()
    assert settings.plan.start == date(2025, 1, 17)
    assert settings.office.timezone == "Asia/Shanghai"


def test_it_fills_in_defaults(tmp_path: Path) -> None:
    settings = config.load(write(tmp_path, GOOD))
    assert (settings.alerts.due_soon_days, settings.alerts.behind_tolerance) == (7, 0.10)
    assert settings.ledger.sheets == ()
    assert settings.ledger.columns == {}
    assert settings.office.timezone == "Asia/Shanghai"


def test_relative_paths_resolve_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = config.load(write(tmp_path, GOOD.replace('"sheets/台账.xlsx"', '["a.xlsx", "/abs/b.xls"]')))
    assert settings.ledger.paths == (tmp_path.resolve() / "a.xlsx", Path("/abs/b.xls"))


def test_custom_columns_accept_one_text_or_a_list(tmp_path: Path) -> None:
    text = GOOD + '\n[ledger.columns]\ntitle = "问题表述"\nlead = ["主办股室", "承办单位"]\n'
    # [ledger.columns] written after [plan] is still ledger's sub-table in TOML.
    settings = config.load(write(tmp_path, text))
    assert settings.ledger.columns == {"title": ("问题表述",), "lead": ("主办股室", "承办单位")}


def test_an_unknown_key_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    e = error(tmp_path, GOOD + "\n[alerts]\ndue_son_days = 3\n")
    assert e.key == "alerts.due_son_days"
    assert "due_soon_days" in e.message
    assert str(tmp_path / "config.toml") in e.message


def test_an_unknown_table_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    e = error(tmp_path, GOOD + "\n[alert]\ndue_soon_days = 3\n")
    assert e.key == "alert"
    assert "alerts" in e.message


def test_an_unknown_column_field_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    e = error(tmp_path, GOOD + '\n[ledger.columns]\ntitel = "问题表述"\n')
    assert e.key == "ledger.columns.titel"
    assert "title" in e.message


def test_a_misspelt_required_key_is_named_with_the_spelling_found(tmp_path: Path) -> None:
    e = error(tmp_path, GOOD.replace("start =", "strat ="))
    assert e.key == "plan.start"
    assert "strat" in e.message


@pytest.mark.parametrize(
    ("snippet", "key", "shown"),
    [
        ("\n[alerts]\ndue_soon_days = -1\n", "alerts.due_soon_days", "-1"),
        ('\n[alerts]\ndue_soon_days = "7"\n', "alerts.due_soon_days", "“7”"),
        ("\n[alerts]\ndue_soon_days = true\n", "alerts.due_soon_days", "true"),
        ("\n[alerts]\nbehind_tolerance = 1.5\n", "alerts.behind_tolerance", "1.5"),
        ('\n[office]\ntimezone = "Beijing"\n', "office.timezone", "“Beijing”"),
        ('\n[office]\nname = ""\n', "office.name", "“”"),
        ("\n[ledger.columns]\ntitle = 3\n", "ledger.columns.title", "3"),
    ],
)
def test_a_bad_value_names_the_key_the_value_and_what_is_allowed(
    tmp_path: Path, snippet: str, key: str, shown: str
) -> None:
    e = error(tmp_path, GOOD + snippet)
    assert e.key == key
    assert f"当前值：{shown}" in e.message
    assert "应为" in e.message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (GOOD.replace("2025-01-17", '"2025-01-17"'), "plan.start"),
        (GOOD.replace("2025-01-17", "2025-01-17T08:00:00"), "plan.start"),
        (GOOD.replace('"sheets/台账.xlsx"', "3"), "ledger.path"),
        (GOOD.replace('"sheets/台账.xlsx"', "[]"), "ledger.path"),
        (GOOD.replace('path = "sheets/台账.xlsx"', 'path = "a.xlsx"\nsheets = "整改台账"'), "ledger.sheets"),
        (GOOD.replace("[plan]\nstart = 2025-01-17", ""), "plan"),
        (GOOD.replace('path = "sheets/台账.xlsx"', ""), "ledger.path"),
        ("ledger = 3\n" + GOOD.replace("[ledger]\npath", "[x]\npath"), "ledger"),
    ],
)
def test_required_keys_and_their_types_are_checked(tmp_path: Path, text: str, key: str) -> None:
    assert error(tmp_path, text).key == key


def test_a_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    e = error(tmp_path, GOOD + "\n[alerts\n")
    assert "第8行" in e.message


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="找不到配置文件"):
        config.load(tmp_path / "nope.toml")


def test_a_config_not_in_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(GOOD.replace("台账", "台帐").encode("gbk"))
    with pytest.raises(ConfigError, match="UTF-8"):
        config.load(path)


def test_it_finds_the_config_from_the_option_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.ENV_PATH, raising=False)
    assert config.locate(None) == Path("config.toml")
    monkeypatch.setenv(config.ENV_PATH, "/etc/taizhang.toml")
    assert config.locate(None) == Path("/etc/taizhang.toml")
    assert config.locate("x.toml") == Path("x.toml")
