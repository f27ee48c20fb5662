"""The background service: APScheduler wiring, workdays, catch-up, reload, clean stop.

Jobs (from [schedule], crontab strings in the office's timezone):
- weekly: the full cycle (snapshot, warnings, office summary);
- daily: only red and blue warnings never sent before.

Last-run times live in our SQLite store, not in APScheduler's memory: re-adding a job
recomputes its next run from now, which would lose a run missed while the machine was off.
At start-up each job catches up once, for the latest run it missed.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler

from scheduler import config, pipeline
from scheduler.core import clock
from scheduler.core.labels import chinese_moment
from scheduler.core.model import Ledger, RunMode
from scheduler.cycle import Cycle, summary_line
from scheduler.errors import AlreadyRunning, Busy, ConfigError, LedgerError, TaizhangError
from scheduler.logs import log
from scheduler.service.locks import cycle_guard, service_lock
from scheduler.service.timing import WorkdayTrigger, latest_due, make_trigger
from scheduler.service.workdays import WorkCalendar, missing_year_notes
from scheduler.store import JobResult, Store

if TYPE_CHECKING:
    from scheduler.web.server import Page

JOB_NAMES = {RunMode.WEEKLY: "每周运行", RunMode.DAILY: "每日运行"}
# Set once, for every job. APScheduler's default grace of 1 s silently drops a run that
# starts a little late (a busy or waking machine); coalesce folds a backlog into one run.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 12 * 3600}
STARTED_KEY = "service_started_at"
INTERRUPTED = "运行中途被终止（可能是断电或进程被强制结束），已在服务重新启动时重新运行"
STOP_GRACE_SECONDS = 8  # systemd and the office expect a stop within 10 seconds


def triggers(settings: config.Settings) -> dict[RunMode, WorkdayTrigger]:
    calendar = None
    if settings.schedule.skip_holidays:
        calendar = WorkCalendar(frozenset(settings.calendar.holidays), frozenset(settings.calendar.workdays))
    found = {}
    for job in RunMode:  # weekly first
        text = getattr(settings.schedule, job.value)
        if text != "off":
            found[job] = make_trigger(text, settings.office.tz, calendar)
    return found


class Service:
    def __init__(self, config_path: Path, settings: config.Settings) -> None:
        self.config_path = config_path
        self.settings = settings
        self.stop = threading.Event()
        self._idle = threading.Event()  # no job is running
        self._idle.set()
        self._config_stamp = _stamp(config_path)
        self.page: Page | None = None  # the status page, when [web] enabled = true
        self.scheduler = BlockingScheduler(
            timezone=settings.office.tz,
            job_defaults=JOB_DEFAULTS,
            # One worker: jobs run one after another, never two cycles sending at once.
            executors={"default": ThreadPoolExecutor(max_workers=1)},
        )

    def run(self) -> int:
        lock = service_lock(self.settings.store.path)
        if not lock.acquire():
            holder = lock.holder() or "未知"
            raise AlreadyRunning(
                f"已有一个 taizhang 服务在运行（进程 {holder}，数据库 {self.settings.store.path}），"
                "不会重复启动，以免邮件重复发送"
            )
        try:
            self._install_signals()
            self._open_page()
            self._schedule()
            self._catch_up()
            self.scheduler.add_job(
                self._check_config,
                "interval",
                seconds=self.settings.schedule.reload_check_seconds,
                id="reload",
            )
            log.info("服务已启动（配置文件 %s）。%s", self.config_path, self.next_runs_text())
            self._warn_about_calendar()
            self.scheduler.start()
            self._close_page()  # first: a second at most, then the job gets what is left
            self._wait_for_the_job_in_progress()
        finally:
            self._close_page()
            lock.release()
        log.info("服务已停止。")
        return 0

    def _wait_for_the_job_in_progress(self) -> None:
        """A job stops between messages once asked; one blocked on a slow mail server may
        not. Past the grace period we leave anyway: the outbox sends the rest next time."""
        if self._idle.wait(STOP_GRACE_SECONDS):
            return
        log.warning("当前任务未能在 %d 秒内结束，强制退出；未发完的邮件下次运行时补发。", STOP_GRACE_SECONDS)
        logging.shutdown()
        os._exit(0)

    # --- the status page ----------------------------------------------------------------------

    def _open_page(self) -> None:
        """Serve the page beside the scheduler. A page other machines can reach without a
        password stops the start (ConfigError). A port already taken only costs the page:
        the warnings and the summary matter more, so the service runs on without it."""
        if not self.settings.web.enabled:
            return
        from scheduler.errors import PageError
        from scheduler.web.server import Page

        try:
            self.page = Page.open(self.settings, self.config_path)
        except PageError as e:
            log.error("%s；服务照常运行，但不提供看板。", e.message)

    def _close_page(self) -> None:
        if self.page is not None:
            page, self.page = self.page, None
            page.close()

    # --- jobs ---------------------------------------------------------------------------------

    def _schedule(self) -> None:
        for job, trigger in triggers(self.settings).items():
            self.scheduler.add_job(
                self.run_job, trigger, args=(job, None), id=job.value, replace_existing=True
            )

    def _catch_up(self) -> None:
        """Run once for the latest scheduled time each job missed while nothing was running."""
        now = datetime.now(UTC)
        with Store.open(self.settings.store.path) as store:
            started = store.state(STARTED_KEY)
            if started is None:
                store.set_state(STARTED_KEY, now.isoformat())  # a first start misses nothing
                return
            caught_up: set[RunMode] = set()
            for job, trigger in triggers(self.settings).items():  # weekly first
                last = store.last_run(job)
                since = last.started_at if last else datetime.fromisoformat(started)
                missed = latest_due(trigger, since, now)
                if last is not None and last.finished_at is None:
                    # Cut short (power cut, kill -9): it never counted as done. Run it again;
                    # the outbox sends what it left pending and nothing twice.
                    store.finish_run(last.id, JobResult.FAILED, INTERRUPTED, now)
                    missed = missed or last.scheduled_for
                if missed is not None and not (job is RunMode.DAILY and RunMode.WEEKLY in caught_up):
                    caught_up.add(job)
                    log.info(
                        "%s在 %s 未能运行（机器未开机或服务未启动），现在补做一次。",
                        JOB_NAMES[job],
                        _local(missed, self),
                    )
                    self.scheduler.add_job(self.run_job, args=(job, missed), id=f"catch-up-{job}")

    def run_job(self, job: RunMode, missed: datetime | None = None) -> None:
        """One scheduled run. Never raises: a failure is logged and recorded, and the service
        goes on to the next run."""
        settings = self.settings
        now = datetime.now(UTC)
        self._idle.clear()
        try:
            with Store.open(settings.store.path) as store:
                run_id = store.start_run(job, missed or now, now)
        except TaizhangError as e:
            log.error("%s无法开始：%s", JOB_NAMES[job], e.message)
            self._idle.set()
            return
        try:
            result, message = self._guarded_cycle(job, settings)
        except Exception as e:  # the last line of defence: log it, tell the office, live on
            log.exception("%s出错：%s", JOB_NAMES[job], e)
            result, message = JobResult.FAILED, f"程序内部错误（{type(e).__name__}），详情见日志"
        try:
            with Store.open(settings.store.path) as store:
                store.finish_run(run_id, result, message, datetime.now(UTC))
        except TaizhangError as e:
            log.error("无法记录运行结果：%s", e.message)
        finally:
            self._idle.set()
        page = self.page  # read once: a stop may clear it meanwhile
        if page is not None:
            page.refresh()  # the page reads again in its own thread: new snapshot, new result

    def _guarded_cycle(self, job: RunMode, settings: config.Settings) -> tuple[JobResult, str]:
        today = clock.today(settings.office.tz)
        if job is RunMode.DAILY and weekly_runs_on(settings, today):
            # The weekly run sends everything that day in one email per section; a daily
            # run before it would split a section's warnings over two emails.
            return JobResult.OK, "今天有每周运行，每日运行并入其中"
        try:
            with cycle_guard(settings.store.path, timeout=600, stop=self.stop):
                ledger = self._read_ledger(settings)
                if ledger is None:
                    return JobResult.SKIPPED, "台账暂时无法读取，本次跳过"
                result = Cycle(settings, today, stop=self.stop).run(mode=job, ledger=ledger)
        except (LedgerError, Busy) as e:
            log.warning("%s跳过：%s", JOB_NAMES[job], e.message)
            return JobResult.SKIPPED, e.message
        except TaizhangError as e:
            log.error("%s失败：%s", JOB_NAMES[job], e.message)
            return JobResult.FAILED, e.message
        summary = summary_line(result)
        log.info("%s：%s", JOB_NAMES[job], summary)
        return JobResult.OK, summary

    def _read_ledger(self, settings: config.Settings) -> Ledger | None:
        """Read the ledger, trying again while it is open in WPS, mid-save or half-copied.
        Warnings are only ever computed from a whole file."""
        attempts = settings.schedule.read_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return pipeline.read(settings)
            except LedgerError as e:
                if attempt == attempts or not e.retryable:
                    raise  # the caller logs the skip, once
                log.info("读取台账失败，%g 秒后重试：%s", settings.schedule.read_retry_seconds, e.message)
                if self.stop.wait(settings.schedule.read_retry_seconds):
                    return None
        return None

    def _warn_about_calendar(self) -> None:
        if not self.settings.schedule.skip_holidays:
            return
        calendar = self.settings.calendar
        today = clock.today(self.settings.office.tz)
        for note in missing_year_notes(today, (*calendar.holidays, *calendar.workdays)):
            log.warning("%s", note)

    # --- config reload --------------------------------------------------------------------------

    def _check_config(self) -> None:
        stamp = _stamp(self.config_path)
        if stamp != self._config_stamp:
            self._config_stamp = stamp
            self.reload()

    def reload(self) -> None:
        """Load config.toml again. An invalid file is refused and the old settings stay."""
        try:
            fresh = config.load(self.config_path)
            triggers(fresh)  # every schedule must build before anything is swapped
        except (ConfigError, ValueError) as e:
            log.error("新的配置无效，继续使用原来的配置：%s", getattr(e, "message", e))
            return
        self.settings = fresh
        if self.page is not None:
            self.page.reconfigure(fresh)
        for job in RunMode:
            if self.scheduler.get_job(job.value):
                self.scheduler.remove_job(job.value)
        self._schedule()
        log.info("已重新加载配置。%s", self.next_runs_text())

    # --- signals --------------------------------------------------------------------------------

    def _install_signals(self) -> None:
        for name in ("SIGTERM", "SIGINT", "SIGBREAK"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), self._on_stop)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, lambda signum, frame: self.reload())

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        """Finish the job in progress (it stops between messages), then exit."""
        if self.stop.is_set():
            return
        log.info("收到停止信号，正在结束当前任务……")
        self.stop.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)  # run() then waits for the job, a little

    def next_runs_text(self) -> str:
        now = datetime.now(self.settings.office.tz)
        parts = []
        for job, trigger in triggers(self.settings).items():
            moment = trigger.get_next_fire_time(None, now)
            if moment is not None:
                parts.append(f"{JOB_NAMES[job]}下次：{chinese_moment(moment)}")
        return "；".join(parts) or "没有启用的定时任务"


def weekly_runs_on(settings: config.Settings, day: date) -> bool:
    """Does the weekly job fire on this office day (after moving off weekends and holidays)?"""
    trigger = triggers(settings).get(RunMode.WEEKLY)
    if trigger is None:
        return False
    # Start a fortnight back: a Monday run moved off a holiday lands days after its cron time.
    moment = trigger.get_next_fire_time(
        None, datetime.combine(day - timedelta(days=14), time(0), settings.office.tz)
    )
    while moment is not None and moment.astimezone(settings.office.tz).date() < day:
        moment = trigger.get_next_fire_time(moment, moment + timedelta(microseconds=1))
    return moment is not None and moment.astimezone(settings.office.tz).date() == day


def next_runs(settings: config.Settings, now: datetime) -> dict[RunMode, datetime | None]:
    return {job: trigger.get_next_fire_time(None, now) for job, trigger in triggers(settings).items()}


def _stamp(path: Path) -> tuple[float, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime, info.st_size)


def _local(moment: datetime, service: Service) -> str:
    return chinese_moment(moment.astimezone(service.settings.office.tz))
