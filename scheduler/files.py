"""Writing the files taizhang leaves for people: reports, 通报 drafts, outbox messages."""

from __future__ import annotations

import contextlib
from pathlib import Path


def write_whole(path: Path, content: bytes) -> None:
    """Write a file so that nobody ever opens half of it: into "<name>.part" beside it, then
    renamed over it. Raises OSError, with the .part removed, when the folder or an old copy
    refuses (on Windows, a file open in Excel, Word or WPS cannot be replaced)."""
    partial = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(content)
        partial.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise
