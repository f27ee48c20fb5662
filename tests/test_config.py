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
        ('\n[alerts]\ndue_soon_days = "7"\n', "alerts.due_soon_days", '"7"'),
        ("\n[alerts]\ndue_soon_days = true\n", "alerts.due_soon_days", "true"),
        ("\n[alerts]\nbehind_tolerance = 1.5\n", "alerts.behind_tolerance", "1.5"),
        ('\n[office]\ntimezone = "Beijing"\n', "office.timezone", '"Beijing"'),
        ('\n[office]\nname = ""\n', "office.name", '""'),
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


SMTP = """
[mail]
transport = "smtp"
office = ["office@example.gov.cn"]
[mail.smtp]
host = "smtp.qq.com"
user = "office@example.gov.cn"
"""


def test_the_mail_settings_have_working_defaults(tmp_path: Path) -> None:
    settings = config.load(write(tmp_path, GOOD))
    assert settings.mail.transport == "outbox"
    assert settings.mail.outbox_dir == tmp_path.resolve() / "logs" / "outbox"
    assert settings.alerts.repeat_days == 7
    assert settings.store.path == tmp_path.resolve() / "logs" / "taizhang.sqlite3"


def test_smtp_settings_default_the_port_from_the_security(tmp_path: Path) -> None:
    smtp = config.load(write(tmp_path, GOOD + SMTP)).mail.smtp
    assert smtp is not None and (smtp.port, smtp.security, smtp.timeout) == (465, "ssl", 30.0)
    smtp = config.load(write(tmp_path, GOOD + SMTP + 'security = "starttls"\n')).mail.smtp
    assert smtp is not None and smtp.port == 587


def test_values_are_shown_as_they_are_written_in_toml(tmp_path: Path) -> None:
    e = error(tmp_path, GOOD.replace("2025-01-17", "2025-01-17T09:00:00"))
    assert "当前值：2025-01-17 09:00:00" in e.message
    e = error(tmp_path, GOOD + "\n[calendar]\nholidays = ['2027-01-01']\n")
    assert '当前值：["2027-01-01"]' in e.message


def test_a_password_in_the_config_is_refused_and_not_echoed(tmp_path: Path) -> None:
    e = error(tmp_path, GOOD + SMTP + 'password = "secret-code"\n')
    assert e.key == "mail.smtp.password"
    assert "secret-code" not in e.message
    assert "TAIZHANG_SMTP_PASSWORD" in e.message


def test_an_smtp_user_must_be_a_full_address(tmp_path: Path) -> None:
    # yagmail would turn "office" into "office@gmail.com".
    e = error(tmp_path, GOOD + SMTP.replace('user = "office@example.gov.cn"', 'user = "office"'))
    assert e.key == "mail.smtp.user" and "完整的邮箱地址" in e.message


def test_smtp_transport_needs_its_server(tmp_path: Path) -> None:
    e = error(tmp_path, GOOD + '\n[mail]\ntransport = "smtp"\n')
    assert e.key == "mail.smtp"
    e = error(tmp_path, GOOD + SMTP.replace('host = "smtp.qq.com"\n', ""))
    assert e.key == "mail.smtp.host"


@pytest.mark.parametrize(
    ("snippet", "key"),
    [
        ('\n[mail]\ntransport = "email"\n', "mail.transport"),
        ('\n[mail]\noffice = ["not-an-address"]\n', "mail.office"),
        ('\n[mail]\nsender = "办公室"\n', "mail.sender"),
        ('\n[sections]\n"大气环境股" = "dq.example.gov.cn"\n', "sections.大气环境股"),
        ('\n[leaders]\n"李红梅" = []\n', "leaders.李红梅"),
        ("\n[mail]\ncopy_support = 1\n", "mail.copy_support"),
    ],
)
def test_mail_values_are_checked(tmp_path: Path, snippet: str, key: str) -> None:
    assert error(tmp_path, GOOD + snippet).key == key


def test_address_books_accept_one_address_or_a_list(tmp_path: Path) -> None:
    text = GOOD + '\n[sections]\n"大气环境股" = "dq@example.gov.cn"\n"水环境股" = ["a@x.cn", "b@x.cn"]\n'
    assert config.load(write(tmp_path, text)).sections == {
        "大气环境股": ("dq@example.gov.cn",),
        "水环境股": ("a@x.cn", "b@x.cn"),
    }


@pytest.mark.parametrize("value", ["0 25 * * mon", "0 9 * * */0", "0 9 1 * mon", "every monday"])
def test_a_schedule_apscheduler_would_refuse_is_refused_at_load(tmp_path: Path, value: str) -> None:
    e = error(tmp_path, GOOD + f'\n[schedule]\nweekly = "{value}"\n')
    assert e.key == "schedule.weekly" and "0 9 * * mon" in e.message


def test_an_empty_smtp_table_names_the_missing_host(tmp_path: Path) -> None:
    e = error(tmp_path, GOOD + '\n[mail]\ntransport = "smtp"\n[mail.smtp]\n')
    assert e.key == "mail.smtp.host"


def test_a_config_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert config.load(path).plan.start == date(2025, 1, 17)
