"""Settings that would fail half-way through a run are refused when config.toml loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_config import GOOD, SMTP, error

from scheduler import cli


def test_a_log_path_that_is_a_folder_is_refused_at_load(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    e = error(tmp_path, GOOD + '\n[log]\npath = "logs"\n')
    assert e.key == "log.path" and "文件夹" in e.message and '"logs"' in e.message


def test_a_log_path_under_a_file_is_refused_at_load(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    e = error(tmp_path, GOOD + '\n[log]\npath = "notes.txt/logs/taizhang.log"\n')
    assert e.key == "log.path" and "notes.txt" in e.message and "不是文件夹" in e.message


def test_a_state_folder_that_cannot_be_created_is_refused_at_load(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("a file, not a folder", encoding="utf-8")
    e = error(tmp_path, GOOD + '\n[store]\npath = "state/taizhang.sqlite3"\n')
    assert e.key == "store.path" and "无法创建" in e.message


@pytest.mark.parametrize(
    ("table", "key"),
    [("[mail]\noutbox_dir", "mail.outbox_dir"), ("[report]\ndir", "report.dir")],
)
def test_an_output_folder_that_is_a_file_is_refused_at_load(tmp_path: Path, table: str, key: str) -> None:
    (tmp_path / "out").write_text("x", encoding="utf-8")
    assert error(tmp_path, GOOD + f'\n{table} = "out"\n').key == key


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root may write anywhere")  # fmt: skip
def test_a_read_only_state_folder_is_refused_at_load(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    e = error(tmp_path, GOOD + '\n[store]\npath = "locked/taizhang.sqlite3"\n')
    assert e.key == "store.path" and "写入权限" in e.message


@pytest.mark.parametrize("value", ["0 9 30 2 *", "0 9 31 4 *", "0 9 31 2,4,6,9,11 *"])
def test_a_schedule_that_can_never_fire_is_refused(tmp_path: Path, value: str) -> None:
    e = error(tmp_path, GOOD + f'\n[schedule]\nweekly = "{value}"\n')
    assert e.key == "schedule.weekly" and "永远不会到来" in e.message


def test_a_schedule_that_fires_only_in_leap_years_is_accepted(tmp_path: Path) -> None:
    from scheduler import config

    path = tmp_path / "config.toml"
    path.write_text(GOOD + '\n[schedule]\nweekly = "0 9 29 2 *"\n', encoding="utf-8")
    assert config.load(path).schedule.weekly == "0 9 29 2 *"


@pytest.mark.parametrize(
    "sender", ["办公室 <office@example.gov.cn>\\r\\nBcc: x@evil.example", "a@b.cn\\nX: y"]
)
def test_a_sender_with_a_line_break_is_refused(tmp_path: Path, sender: str) -> None:
    assert error(tmp_path, GOOD + f'\n[mail]\nsender = "{sender}"\n').key == "mail.sender"


def test_a_password_typed_into_user_is_never_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD + SMTP.replace('user = "office@example.gov.cn"', 'user = "Xk9#secret-code"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "mail.smtp.user" in err and "完整的邮箱地址" in err
    assert "secret-code" not in err


def test_a_password_typed_into_password_env_is_never_echoed(tmp_path: Path) -> None:
    e = error(tmp_path, GOOD + SMTP + 'password_env = "abcdefghijklmnop"\n')
    assert e.key == "mail.smtp.password_env" and "环境变量的名称" in e.message
    assert "abcdefghijklmnop" not in e.message


def test_the_bad_settings_exit_2_through_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "logs").mkdir()
    path = tmp_path / "config.toml"
    path.write_text(GOOD + '\n[log]\npath = "logs"\n', encoding="utf-8")
    assert cli.main(["run", "--once", "--config", str(path)]) == 2
    assert "log.path" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("password = TopSecretWeb99", "TopSecretWeb99"),  # unquoted: a syntax error
        ('user = "a@b.cn"\nuser = "authcode-xyz"', "authcode-xyz"),  # a duplicate key
        ("token = abc123def", "abc123def"),
    ],
)
def test_a_toml_syntax_error_never_shows_a_value_that_may_be_a_password(
    tmp_path: Path, line: str, secret: str
) -> None:
    e = error(tmp_path, GOOD + '\n[mail.smtp]\nhost = "smtp.qq.com"\n' + line + "\n")
    assert "写法有误" in e.message and secret not in e.message
