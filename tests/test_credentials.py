"""The SMTP password: environment first, then the system keyring; never a prompt, never a file."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from scheduler import config
from scheduler.commands import SetPasswordCommand
from scheduler.credentials import KEYRING_SERVICE, smtp_password
from scheduler.errors import UsageError


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps secrets in memory, as Windows Credential Manager
    would keep them on disk."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend  # type: ignore[misc]
    keyring.set_keyring(previous)


def test_the_environment_wins_over_the_keyring(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_keyring.set_password(KEYRING_SERVICE, "office@example.gov.cn", "from-keyring")
    monkeypatch.setenv("PW_TEST", "from-env")
    assert smtp_password("PW_TEST", "office@example.gov.cn") == "from-env"
    monkeypatch.delenv("PW_TEST")
    assert smtp_password("PW_TEST", "office@example.gov.cn") == "from-keyring"
    assert smtp_password("PW_TEST", "other@example.gov.cn") is None


def test_set_password_stores_the_password_in_the_keyring(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[ledger]\npath = "a.xlsx"\n[plan]\nstart = 2025-01-17\n[mail]\ntransport = "smtp"\n'
        '[mail.smtp]\nhost = "smtp.qq.com"\nuser = "office@example.gov.cn"\n',
        encoding="utf-8",
    )
    command = SetPasswordCommand(config.load(cfg), today=None)  # type: ignore[arg-type]
    assert command.run(read_password=lambda prompt: "authcode") == 0
    assert memory_keyring.secrets == {(KEYRING_SERVICE, "office@example.gov.cn"): "authcode"}
    assert "authcode" not in cfg.read_text(encoding="utf-8")
    with pytest.raises(UsageError):
        command.run(read_password=lambda prompt: "")
