"""Process locks on files: one service per state database, one cycle at a time.

The `filelock` package takes an OS lock (flock on Unix, msvcrt on Windows), which the OS
releases when its process dies, so a crash never leaves a stale lock behind (unlike a PID
file). It has no way to give up early when the service is asked to stop, and it does not
say who holds a lock, so we poll in short steps and keep the holder's PID beside the lock.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.errors import Busy

if TYPE_CHECKING:
    import filelock

STEP_SECONDS = 0.2


class ProcessLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._pid_path = path.with_name(path.name + ".pid")
        self._lock: filelock.BaseFileLock | None = None

    def acquire(self, timeout: float = 0.0, stop: threading.Event | None = None) -> bool:
        """Take the lock, waiting up to `timeout` seconds (less if `stop` is set meanwhile).
        False when another process has it."""
        import filelock  # a sixtieth of a second to import: not for commands that take no lock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(self.path)
        deadline = time.monotonic() + timeout
        while True:
            try:
                lock.acquire(timeout=0 if timeout <= 0 else STEP_SECONDS)
            except filelock.Timeout:
                if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                    return False
                continue
            self._lock = lock
            with contextlib.suppress(OSError):
                self._pid_path.write_text(str(os.getpid()), encoding="utf-8")
            return True

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def holder(self) -> str:
        """The PID of whoever holds the lock ("" when unknown)."""
        try:
            return self._pid_path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def __enter__(self) -> ProcessLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def service_lock(store_path: Path) -> ProcessLock:
    return ProcessLock(store_path.with_name(store_path.name + ".service.lock"))


def cycle_lock(store_path: Path) -> ProcessLock:
    return ProcessLock(store_path.with_name(store_path.name + ".cycle.lock"))


BUSY = "另一个 taizhang 进程正在发送邮件，请稍后再试"


@contextmanager
def cycle_guard(
    store_path: Path, timeout: float = 300, stop: threading.Event | None = None
) -> Iterator[None]:
    """Hold the cycle lock for the block, so that one cycle sends at a time. Raises Busy."""
    with cycle_lock(store_path) as lock:
        if not lock.acquire(timeout=timeout, stop=stop):
            raise Busy(BUSY)
        yield
