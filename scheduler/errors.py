"""One exception class per kind of failure; each builds its Chinese message in __init__.

Every one of them is a `TaizhangError`, which the command line turns into one line
on stderr and exit code 2. Anything else escaping is a bug, not bad input.
"""

from __future__ import annotations

import errno
from datetime import date, datetime
from pathlib import Path


class TaizhangError(Exception):
    """Base class: a failure the user can fix, with a message that tells how."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(TaizhangError):
    """config.toml is missing, unreadable or holds a value that is not allowed."""

    def __init__(self, path: Path, key: str, value: object, allowed: str) -> None:
        self.path = path
        self.key = key
        self.value = value
        self.allowed = allowed
        where = f"配置文件 {path}"
        if key:
            where += f" 中的 {key}"
        shown = "" if value is _MISSING else f"（当前值：{_show(value)}）"
        super().__init__(f"{where} 有误{shown}：{allowed}")


class LedgerError(TaizhangError):
    """The ledger file cannot be read at all: missing, locked, corrupt or not Excel.

    `retryable` is False when reading the same file again cannot help (a file far larger
    than [ledger] max_unpacked_mb allows), so a service need not wait and try again."""

    def __init__(self, path: Path, reason: str, sheet: str | None = None, *, retryable: bool = True) -> None:
        self.path = path
        self.sheet = sheet
        self.retryable = retryable
        where = f"台账文件 {path}"
        if sheet is not None:
            where += f" 的工作表“{sheet}”"
        super().__init__(f"{where} 无法读取：{reason}")


class StoreError(TaizhangError):
    """The SQLite store cannot be opened or written."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"数据库 {path} 无法使用：{reason}")


class CredentialsError(TaizhangError):
    """The SMTP password is in neither the environment nor the keyring."""


class ReportError(TaizhangError):
    """The weekly report workbook cannot be saved."""


class TongbaoTemplateError(TaizhangError):
    """The 通报 template is missing, is not a .docx document, or has a field written wrongly."""

    def __init__(self, path: Path | str, reason: str, *, key: str = "") -> None:
        self.path = path
        where = f"通报模板 {path}"
        if key:
            where += f"（配置项 {key}）"
        super().__init__(f"{where} 无法使用：{reason}")


class TongbaoSaveError(TaizhangError):
    """The 通报 draft cannot be saved."""


class UsageError(TaizhangError):
    """A command-line argument is not allowed."""


class PageError(TaizhangError):
    """The status page cannot start: its port is taken, or there is nothing to show yet."""


class Busy(TaizhangError):
    """Another taizhang process is running a cycle on the same state."""


class AlreadyRunning(TaizhangError):
    """Another service holds the lock on the same state."""


class CrontabError(ValueError):
    """The text is not a crontab expression we understand; the message says why, in Chinese."""


class TransportError(Exception):
    """Sending failed. `permanent` says that retrying the same message cannot help."""

    def __init__(self, message: str, *, permanent: bool, refused: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.refused = refused or {}


_OS_REASONS = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EEXIST: "已有同名的文件",
    errno.ENOTDIR: "路径中有一段是文件而不是文件夹",
    errno.EISDIR: "这是一个文件夹",
    errno.ENOSPC: "磁盘已满",
    errno.EROFS: "磁盘是只读的",
    errno.EBUSY: "文件正被占用",
}


def os_reason(error: OSError) -> str:
    """An operating-system error in words the office reads."""
    return _OS_REASONS.get(error.errno or -1, error.strerror or str(error))


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
MISSING: object = _MISSING
"""Marks a ConfigError about a key that is absent, so no value is shown."""


def _show(value: object) -> str:
    """A value as it was written in config.toml."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_show(v)}" for k, v in value.items()) + "}"
    return str(value)
