"""One shared viewer password, HTTP Basic auth (the user name is ignored).

The password comes from the environment or the keyring (see `scheduler.credentials`),
never from config.toml, and is never logged. It is compared in constant time, and an address
that keeps guessing is shut out for a growing while (see Throttle).
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
    if password and len(password.strip()) < MIN_LENGTH:
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
    """Wrong passwords per client address. The first FREE mistakes cost nothing (a typo); each
    one after that shuts the address out for a wait that doubles, 1 s, 2 s, 4 s … up to `cap`.
    While an address is shut out, every attempt from it is refused at once, the right password
    included, without being checked: the answer's timing tells nothing, and guesses sent in
    parallel gain nothing. At most `size` addresses are remembered (the oldest go first), and an
    address is forgotten `forget` seconds after its last mistake."""

    FREE = 5

    def __init__(self, cap: float = 60.0, forget: float = 900, size: int = 4096) -> None:
        self.cap, self.forget, self.size = cap, forget, size
        self._failures: OrderedDict[str, tuple[int, float, float]] = OrderedDict()  # count, last, until

    def shut(self, client: str, now: float | None = None) -> bool:
        """Is this address waiting out its mistakes?"""
        now = time.monotonic() if now is None else now
        found = self._failures.get(client)
        return found is not None and now < found[2]

    def failed(self, client: str, now: float | None = None) -> int:
        """Count a wrong attempt; returns how many in a row."""
        now = time.monotonic() if now is None else now
        count, last, _ = self._failures.pop(client, (0, now, now))
        count = 1 if now - last > self.forget else count + 1
        over = count - self.FREE
        wait = min(self.cap, 2.0 ** min(over - 1, 16)) if over > 0 else 0.0  # bounded: no overflow
        self._failures[client] = (count, now, now + wait)
        while len(self._failures) > self.size:
            self._failures.popitem(last=False)
        return count

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)
