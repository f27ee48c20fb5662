"""Process locks on files: one service per state database, one cycle at a time.

An OS file lock is released by the OS when its process dies, so a crash never leaves a
stale lock behind (unlike a PID file).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import IO


class FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self, timeout: float = 0.0, stop: threading.Event | None = None) -> bool:
        """Take the lock, waiting up to `timeout` seconds (less if `stop` is set meanwhile).
        False when another process has it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115  (held until release)
        deadline = time.monotonic() + timeout
        while True:
            if _try_lock(handle):
                handle.seek(0)
                handle.truncate()
                handle.write(str(os.getpid()))
                handle.flush()
                self._file = handle
                return True
            if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                handle.close()
                return False
            time.sleep(0.2)

    def release(self) -> None:
        if self._file is not None:
            _unlock(self._file)
            self._file.close()
            self._file = None

    def holder(self) -> str:
        """The PID written by whoever holds the lock ("" when unknown)."""
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def __enter__(self) -> FileLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def service_lock(store_path: Path) -> FileLock:
    return FileLock(store_path.with_name(store_path.name + ".service.lock"))


def cycle_lock(store_path: Path) -> FileLock:
    return FileLock(store_path.with_name(store_path.name + ".cycle.lock"))
