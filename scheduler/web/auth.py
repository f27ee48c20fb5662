"""One shared viewer password, HTTP Basic auth (the user name is ignored).

The password comes from the environment or the keyring (see `scheduler.credentials`),
never from config.toml, and is never logged. It is compared in constant time, and each
wrong attempt from an address makes that address wait longer for its answer, up to a bound.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections import OrderedDict
from pathlib import Path

from scheduler.config import WebSettings
from scheduler.credentials import web_password
from scheduler.errors import ConfigError

MIN_LENGTH = 8


def viewer_password(web: WebSettings, config_path: Path) -> str | None:
    """The password the page asks for; None when it is open to this machine alone.
    A page other machines can reach never starts without one."""
    password = web_password(web.password_env)
    how = f"请设置环境变量 {web.password_env}，或运行 taizhang set-password --web"
    if not password and not web.loopback:
        raise ConfigError(
            config_path,
            "web.host",
            web.host,
            f'允许其他电脑访问看板时必须设置看板密码：{how}；只在本机查看请改为 "127.0.0.1"',
        )
    if password and len(password) < MIN_LENGTH:
        raise ConfigError(
            config_path,
            "web.password_env",
            web.password_env,
            f"看板密码太短，至少要 {MIN_LENGTH} 个字符：{how}",
        )
    return password or None


def _digest(text: bytes) -> bytes:
    # Equal lengths for compare_digest, so not even the password's length shows in timing.
    return hashlib.sha256(text).digest()


class Gate:
    """Checks an Authorization header against the password."""

    def __init__(self, password: str) -> None:
        self._digest = _digest(password.encode("utf-8"))

    def allows(self, header: str | None) -> bool:
        given = _basic_password(header)
        return given is not None and hmac.compare_digest(_digest(given), self._digest)


def _basic_password(header: str | None) -> bytes | None:
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    _, colon, password = decoded.partition(b":")
    return password if colon else None


class Throttle:
    """A growing delay per client address after wrong passwords: 0.5 s, 1 s, 2 s … at most
    `cap` seconds. An address is forgotten after `forget` seconds without a wrong attempt,
    or when more than `size` addresses are remembered (the oldest first)."""

    def __init__(self, base: float = 0.5, cap: float = 4.0, forget: float = 900, size: int = 4096) -> None:
        self.base, self.cap, self.forget, self.size = base, cap, forget, size
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def failed(self, client: str, now: float | None = None) -> tuple[int, float]:
        """Count a wrong attempt; returns (how many in a row, seconds to wait before answering)."""
        now = time.monotonic() if now is None else now
        count, last = self._failures.pop(client, (0, now))
        count = 1 if now - last > self.forget else count + 1
        self._failures[client] = (count, now)
        while len(self._failures) > self.size:
            self._failures.popitem(last=False)
        return count, min(self.cap, self.base * 2 ** (count - 1))

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)
