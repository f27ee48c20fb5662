"""Email addresses as offices write them: one per cell, or several separated by ;，、 or spaces."""

from __future__ import annotations

import re

_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_SEPARATORS = re.compile(r"[;；,，、\s]+")


def is_address(text: str) -> bool:
    return bool(_ADDRESS.match(text))


def split_addresses(cell: str) -> list[str]:
    return [part for part in _SEPARATORS.split(cell.strip()) if part]
