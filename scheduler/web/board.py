"""The status page's cached weekly view, and the one thread that refreshes it.

Requests never read the ledger: they render the last good `BoardState`. A refresher thread
looks every `[web] refresh_minutes` whether anything the view depends on changed (a ledger
file's or the store's modification time and size, the office day, a scheduled run that has
come due) and only then reads again, the way `taizhang week` does: read-only, sending
nothing. The service pokes it after each cycle. A ledger that cannot be read leaves the last
good view in place, with the reason for a banner.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from scheduler import pipeline
from scheduler.config import Settings
from scheduler.core import clock
from scheduler.core.labels import chinese_moment
from scheduler.core.view import WeeklyView
from scheduler.errors import PageError, TaizhangError
from scheduler.logs import log
from scheduler.service.workdays import missing_year_notes
from scheduler.store import JobResult, JobRun, OutboxMessage, Store, opened_existing

FileStamp = tuple[float, int] | None
JOB_WORDS = {
    "weekly": "每周运行",
    "daily": "每日运行",
    "manual-weekly": "手动运行",
    "manual-daily": "手动运行（每日流程）",
}
WEEKLY_JOBS = ("weekly", "manual-weekly")


@dataclass(frozen=True)
class Stamp:
    """What the view was computed from; a different stamp means the view may be stale."""

    today: date
    ledgers: tuple[FileStamp, ...]
    store: FileStamp


@dataclass(frozen=True)
class BoardState:
    """One good read: the weekly view and what the page shows around it."""

    view: WeeklyView  # its `tasks` are every task: a section page lists those without warnings too
    read_at: datetime  # aware, UTC
    stamp: Stamp
    ledger_files: tuple[tuple[str, datetime | None], ...]  # name, last modified (UTC)
    last_weekly: JobRun | None
    next_runs: tuple[tuple[str, datetime], ...]  # job words, when (office time)
    banners: tuple[str, ...]  # skipped runs, calendar gaps, failing mail


@dataclass
class Board:
    """The cache. `state` is the last good read (None before the first); `error` says why
    the latest read failed ("" when it did not)."""

    settings: Settings
    fixed_today: date | None = None  # `taizhang serve --today`
    state: BoardState | None = None
    error: str = ""
    error_at: datetime | None = None
    version: int = 0  # bumped whenever what the page shows changes
    apart: bool = True  # read in a child process (see scheduler.web.reader); False: in this one
    stopping: threading.Event = field(default_factory=threading.Event, repr=False)  # ends a read
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def today(self) -> date:
        return self.fixed_today or clock.today(self.settings.office.tz)

    def now(self) -> datetime:
        """Office time; on the fixed day of `serve --today`, that day at the current time."""
        now = datetime.now(self.settings.office.tz)
        return now if self.fixed_today is None else datetime.combine(self.fixed_today, now.timetz())

    def check(self, *, force: bool = False) -> bool:
        """Read again when something changed (or when forced). True when the view was rebuilt.
        Never raises for a ledger or store problem: the reason goes to `error`."""
        with self._lock:  # one read at a time: the refresher and a poke never overlap
            stamp = current_stamp(self.settings, self.today())
            if not force and self.state is not None and not self._stale(stamp) and not self.error:
                return False
            try:
                if self.apart:
                    state = build_apart(self.settings, stamp, self.now(), self.stopping)
                else:
                    state = build(self.settings, stamp, self.now())
            except TaizhangError as e:
                if not self.stopping.is_set():
                    self._failed(e.message)
                return False
            except Exception as e:  # never let the page's thread die: log it, keep the old view
                log.exception("看板读取台账出错")
                self._failed(f"程序内部错误（{type(e).__name__}），详情见日志")
                return False
            self.state, self.error, self.error_at = state, "", None
            self.version += 1
            return True

    def _stale(self, stamp: Stamp) -> bool:
        assert self.state is not None
        now = self.now()
        return stamp != self.state.stamp or any(moment <= now for _, moment in self.state.next_runs)

    def _failed(self, message: str) -> None:
        if message != self.error:
            log.warning("看板未能更新，继续显示上次读取的数据：%s", message)
            self.version += 1
        self.error, self.error_at = message, datetime.now(UTC)


def current_stamp(settings: Settings, today: date) -> Stamp:
    return Stamp(today, tuple(file_stamp(p) for p in settings.ledger.paths), file_stamp(settings.store.path))


def file_stamp(path: Path) -> FileStamp:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime, info.st_size)


def build(settings: Settings, stamp: Stamp, now: datetime) -> BoardState:
    """pipeline.read → history (read-only store) → assess → view, as `taizhang week` does."""
    today = stamp.today
    ledger = pipeline.read(settings)
    with opened_existing(settings.store.path) as store:
        known = pipeline.history(store, settings, today)
        runs = _latest_runs(store)
        last_weekly = store.last_finished_run(*WEEKLY_JOBS) if store else None
    assessment = pipeline.assess(settings, ledger, today, known)
    view = pipeline.view(settings, assessment, known)
    return BoardState(
        view=view,
        read_at=datetime.now(UTC),
        stamp=stamp,
        ledger_files=tuple(
            (p.name, _modified(s)) for p, s in zip(settings.ledger.paths, stamp.ledgers, strict=True)
        ),
        last_weekly=last_weekly,
        next_runs=_next_runs(settings, now),
        banners=tuple(_banners(settings, today, runs, known.failures)),
    )


def build_apart(settings: Settings, stamp: Stamp, now: datetime, stop: threading.Event) -> BoardState:
    """`build` in a child process; its memory goes with it. Ended at once when `stop` is set."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "scheduler.web.reader"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # no console window on Windows
    )
    payload: bytes | None = pickle.dumps((settings, stamp, now))
    try:
        while True:
            try:
                out, _ = proc.communicate(payload, timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                payload = None  # sent already; keep reading
                if stop.is_set():
                    raise PageError("服务正在停止") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0 or not out:
        raise PageError(f"读取台账的进程意外退出（退出码 {proc.returncode}）")
    kind, value = pickle.loads(out)
    if kind == "ok":
        assert isinstance(value, BoardState)
        return value
    if kind == "error":
        raise PageError(str(value))
    log.error("看板读取台账出错：%s", value)
    raise PageError("程序内部错误，详情见日志")


def _modified(stamp: FileStamp) -> datetime | None:
    return datetime.fromtimestamp(stamp[0], UTC) if stamp else None


def _latest_runs(store: Store | None) -> list[JobRun]:
    if store is None:
        return []
    found = [store.last_run(job) for job in JOB_WORDS]
    return sorted((run for run in found if run is not None), key=lambda run: run.started_at)


def _next_runs(settings: Settings, now: datetime) -> tuple[tuple[str, datetime], ...]:
    from scheduler.service.runner import JOB_NAMES, next_runs  # APScheduler: only once a page is read

    found = next_runs(settings, now)
    return tuple((JOB_NAMES[job], moment) for job, moment in found.items() if moment is not None)


def _banners(
    settings: Settings, today: date, runs: Sequence[JobRun], failures: Sequence[OutboxMessage]
) -> list[str]:
    """What the office should know before it trusts the figures."""
    banners = []
    latest = runs[-1] if runs else None
    if latest is not None and latest.result in (JobResult.SKIPPED, JobResult.FAILED):
        when = latest.started_at.astimezone(settings.office.tz)
        outcome = "已跳过" if latest.result is JobResult.SKIPPED else "失败"
        banners.append(
            f"{chinese_moment(when)} 的{JOB_WORDS[latest.job]}{outcome}：{latest.message or '原因见日志'}。"
        )
    if settings.schedule.skip_holidays:
        calendar = settings.calendar
        banners += missing_year_notes(today, (*calendar.holidays, *calendar.workdays))
    if failures:
        subjects = "；".join(f"《{m.subject}》（{m.error or '部分收件人被拒收'}）" for m in failures[:5])
        more = f"等 {len(failures)} 封" if len(failures) > 5 else f"{len(failures)} 封"
        banners.append(f"有{more}邮件投递失败：{subjects}。请核对收件人的邮箱地址。")
    return banners


class Refresher:
    """The board's thread: the first read at once, then a look every `refresh_minutes`,
    and a read whenever `poke` is called (the service, after each cycle)."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="taizhang-web-refresh", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 1.0) -> None:
        """A read in a child process is ended; one in this process (`apart` False) cannot be,
        and the daemon thread is left to it."""
        self._stopping.set()
        self.board.stopping.set()  # a read in a child process ends at once
        self._wake.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        self.board.check(force=self.board.state is None)
        while not self._stopping.is_set():
            poked = self._wake.wait(self.board.settings.web.refresh_minutes * 60)
            self._wake.clear()
            if self._stopping.is_set():
                return
            self.board.check(force=poked)
