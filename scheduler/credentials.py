"""The SMTP password and the status page's viewer password: from an environment variable,
or else the system keyring.

Never from config.toml, never into a log, and never an interactive prompt: the service runs
with nobody at the keyboard, and yagmail would otherwise ask on the terminal.
"""

from __future__ import annotations

import os

KEYRING_SERVICE = "taizhang"
# The page's one shared viewer password sits under its own service name, apart from the
# SMTP passwords (which are kept under the mailbox address).
WEB_KEYRING_SERVICE = "taizhang-web"
WEB_KEYRING_USER = "viewer"


def smtp_password(env_name: str, user: str) -> str | None:
    value = os.environ.get(env_name)
    if value:
        return value
    return _from_keyring(user)


def web_password(env_name: str) -> str | None:
    value = os.environ.get(env_name)
    if value:
        return value
    return _from_keyring(WEB_KEYRING_USER, WEB_KEYRING_SERVICE)


def keyring_available() -> bool:
    """Is there a real system keyring (Windows Credential Manager, macOS Keychain, Secret
    Service)? Headless Linux servers usually have none."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return False
    return not isinstance(keyring.get_keyring(), fail.Keyring)


def store_in_keyring(user: str, password: str, service: str = KEYRING_SERVICE) -> None:
    import keyring

    keyring.set_password(service, user, password)


def _from_keyring(user: str, service: str = KEYRING_SERVICE) -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        found = keyring.get_password(service, user)
    except (KeyringError, RuntimeError):  # no keyring backend on this machine
        return None
    return str(found) if found else None
