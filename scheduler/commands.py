"""The commands behind the CLI. Each wires the pipeline steps together and returns an exit code."""

from __future__ import annotations

import getpass
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from scheduler import pipeline
from scheduler.config import Settings
from scheduler.core.assess import Assessment
from scheduler.core.history import History
from scheduler.core.labels import chinese_date, chinese_moment
from scheduler.core.model import RunMode
from scheduler.credentials import (
    WEB_KEYRING_SERVICE,
    WEB_KEYRING_USER,
    keyring_available,
    store_in_keyring,
)
from scheduler.errors import MISSING, ConfigError, TaizhangError, UsageError
from scheduler.logs import log
from scheduler.service.locks import cycle_guard, service_lock
from scheduler.store import JobResult, JobRun, Store, opened_existing

if TYPE_CHECKING:
    from scheduler.views.mail import Draft


@dataclass
class Command:
    settings: Settings
    today: date
    ledger_path: Path | None = None

    def read(self) -> tuple[Assessment, History]:
        """Read the ledger and what the store remembers (never creating the store), assess."""
        ledger = pipeline.read(self.settings, self.ledger_path)
        with opened_existing(self.settings.store.path) as store:
            known = pipeline.history(store, self.settings, self.today)
        return pipeline.assess(self.settings, ledger, self.today, known), known


@dataclass
class CheckCommand(Command):
    """`taizhang check`: read the ledger, assess it, print tasks, warnings and problems."""

    def run(self, fmt: str) -> int:
        with pipeline.collector_paused():
            return self._run(fmt)

    def _run(self, fmt: str) -> int:
        assessment, _ = self.read()
        if fmt == "json":
            from scheduler.views import jsonout

            sys.stdout.flush()
            jsonout.write_check_json(sys.stdout.buffer, assessment)
        else:
            from scheduler.views import terminal

            terminal.check_table(_console(), assessment)
        return 0


@dataclass
class SnapshotCommand(Command):
    """`taizhang snapshot`: store the state of every task on the day."""

    def run(self) -> int:
        ledger = pipeline.read(self.settings, self.ledger_path)
        with Store.open(self.settings.store.path) as store:
            known = pipeline.history(store, self.settings, self.today)
            snapshot = pipeline.assess(self.settings, ledger, self.today, known).snapshot()
            pipeline.save_snapshot(store, snapshot, datetime.now(UTC))
        _say(f"已保存{chinese_date(snapshot.day)}的快照：{len(snapshot.tasks)} 项任务。")
        return 0


@dataclass
class WeekCommand(Command):
    """`taizhang week`: figures by section and the changes since last week."""

    def run(self, fmt: str) -> int:
        assessment, known = self.read()
        view = pipeline.view(self.settings, assessment, known)
        if fmt == "json":
            from scheduler.views import jsonout

            sys.stdout.write(jsonout.week_json(view) + "\n")
        else:
            from scheduler.views import terminal

            terminal.week_table(_console(), view)
        return 0


@dataclass
class ReportCommand(Command):
    """`taizhang report`: the weekly progress report workbook, now."""

    def run(self, out: Path | None) -> int:
        assessment, known = self.read()
        content = pipeline.report_bytes(pipeline.view(self.settings, assessment, known))
        path = pipeline.save_report(self.settings, content, self.today, out)
        log.info("已生成进展周报：%s", path)
        _say(f"已生成进展周报：{path}")
        return 0


@dataclass
class TongbaoCommand(Command):
    """`taizhang tongbao`: the 整改进展情况通报 draft (.docx), now."""

    def run(self, out: Path | None) -> int:
        from scheduler.views import tongbao

        assessment, known = self.read()
        view = pipeline.view(self.settings, assessment, known)
        ledger = assessment.ledger
        content, document = tongbao.build(self.settings, view, ledger.tasks, assessment.alerts)
        path = out or tongbao.tongbao_path(self.settings.report_dir, self.today)
        tongbao.write_tongbao(document, path)
        log.info("已生成通报草稿：%s", path)
        _say(f"已生成通报草稿：{path}")
        _say(content.figures.sentence(content.today))
        if content.problems:
            _say(f"数据问题（{len(content.problems)}处，请在台账中修正）：")
            for p in content.problems:
                _say(f"  {p.sheet} {p.cell} {p.column}：{p.message}")
        return 0


EXIT_PENDING = 3  # some mail could not be sent yet; it stays in the outbox and is retried


@dataclass
class RunCommand(Command):
    """`taizhang run --once`: the full cycle (or the daily one), now."""

    def run(self, *, dry_run: bool, daily: bool = False) -> int:
        from scheduler.cycle import Cycle, describe, summary_line
        from scheduler.mail.transports import make_transport

        _require_office(self.settings)
        mode = RunMode.DAILY if daily else RunMode.WEEKLY
        if dry_run:
            _print_drafts(Cycle(self.settings, self.today).run(mode=mode, dry_run=True).drafts)
            return 0
        with cycle_guard(self.settings.store.path):
            transport = make_transport(self.settings.mail)  # a missing password stops us before any write
            with _recorded(self.settings, f"manual-{mode.value}", self.today) as record:
                result = Cycle(self.settings, self.today, transport_factory=lambda s: transport).run(
                    mode=mode
                )
                record.append(summary_line(result))
        for line in describe(result, str(self.settings.mail.outbox_dir)):
            log.info("手动运行：%s", line.strip())
            _say(line)
        return EXIT_PENDING if result.delivery.retrying else 0


@dataclass
class ServiceCommand(Command):
    """`taizhang run`: the background service."""

    config_path: Path = Path("config.toml")

    def run(self) -> int:
        _require_office(self.settings)
        from scheduler.service.runner import Service

        return Service(self.config_path, self.settings).run()


@dataclass
class ServeCommand(Command):
    """`taizhang serve`: the status page alone, in the foreground, until Ctrl-C or SIGTERM."""

    config_path: Path = Path("config.toml")
    fixed_today: date | None = None

    def run(self, stop: threading.Event | None = None) -> int:
        from scheduler import logs
        from scheduler.web.server import Page

        logs.console(self.settings.office.tz)
        stop = stop or _stop_on_signals()
        page = Page.open(self.settings, self.config_path, self.fixed_today, read_first=True)
        try:
            _say(f"整改看板：{self.settings.web.url}（按 Ctrl-C 停止）")
            sys.stdout.flush()
            stop.wait()
        finally:
            page.close()
        _say("看板已停止。")
        return 0


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for name in ("SIGTERM", "SIGINT", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda signum, frame: stop.set())
    return stop


@dataclass
class StatusCommand(Command):
    """`taizhang status`: is the service running, what did each job do last, what is next."""

    def run(self) -> int:
        from scheduler.service.runner import JOB_NAMES, next_runs, weekly_runs_on

        lock = service_lock(self.settings.store.path)
        if lock.acquire():
            lock.release()
            _say("服务：未在运行。")
        else:
            _say(f"服务：正在运行（进程 {lock.holder() or '未知'}）。")
        tz = self.settings.office.tz
        with opened_existing(self.settings.store.path) as store:
            for job, moment in next_runs(self.settings, datetime.now(tz)).items():  # job: a RunMode
                last = store.last_run(job) if store else None
                done = "从未运行" if last is None else _run_line(last, tz)
                upcoming = chinese_moment(moment) if moment else "无"
                if job is RunMode.DAILY and moment and weekly_runs_on(self.settings, moment.date()):
                    upcoming += "（当天有每周运行，并入其中）"
                _say(f"{JOB_NAMES[job]}：上次 {done}；下次 {upcoming}")
            for job in RunMode:
                last = store.last_run(f"manual-{job.value}") if store else None
                if last is not None:
                    _say(f"手动{JOB_NAMES[job]}：上次 {_run_line(last, tz)}")
            pending = store.messages("pending") + store.messages("sending") if store else []
        _say(f"待发邮件：{len(pending)} 封")
        for message in pending:
            _say(f"  {message.subject}（已尝试 {message.attempts} 次：{message.error or '尚未发送'}）")
        return 0


@dataclass
class ServiceFileCommand(Command):
    """`taizhang service-file`: a systemd unit for this install."""

    config_path: Path = Path("config.toml")

    def run(self) -> int:
        _say(systemd_unit(self.config_path.resolve(), Path(sys.executable), getpass.getuser()))
        return 0


def systemd_unit(config_path: Path, python: Path, user: str) -> str:
    return f"""[Unit]
Description=taizhang 台账预警服务
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User={user}
WorkingDirectory={config_path.parent}
ExecStart={python} -m scheduler run --config {config_path}
# 邮箱密码（授权码）和看板密码放在只有管理员能读的文件里，每行一个，如：
# TAIZHANG_SMTP_PASSWORD=xxxx
# TAIZHANG_WEB_PASSWORD=yyyy（看板允许局域网访问时才需要）
EnvironmentFile=-/etc/taizhang.env
Restart=on-failure
RestartSec=30
KillSignal=SIGTERM
TimeoutStopSec=20

[Install]
WantedBy=multi-user.target"""


def _run_line(run: JobRun, tz: ZoneInfo) -> str:
    when = chinese_moment(run.started_at.astimezone(tz))
    result = {JobResult.OK: "成功", JobResult.SKIPPED: "跳过", JobResult.FAILED: "失败", None: "未完成"}[
        run.result
    ]
    return f"{when} {result}" + (f"（{run.message}）" if run.message else "")


@dataclass
class SendTestCommand(Command):
    """`taizhang send-test --to ADDR`: one sample message of each colour."""

    def run(self, to: str) -> int:
        from scheduler.cycle import send_test

        delivery = send_test(self.settings, self.today, to)
        outbox = self.settings.mail.transport == "outbox"
        verb = "已生成" if outbox else "已发送"
        for message in delivery.sent:
            _say(f"{verb}：{message.subject} → {to}")
        if outbox:
            folder = self.settings.mail.outbox_dir
            _say(f"mail.transport 为 outbox：邮件存入 {folder}，没有真正发出；要发送请改为 smtp。")
        for message, why in [*delivery.retrying, *delivery.failed]:
            _say(f"发送失败：{message.subject}：{why}")
        return 0 if not (delivery.retrying or delivery.failed) else EXIT_PENDING


@dataclass
class SetPasswordCommand(Command):
    """`taizhang set-password`: keep the SMTP password in the system keyring, not in a file."""

    def run(self, read_password: Callable[[str], str] | None = None) -> int:
        smtp = self.settings.mail.smtp
        if smtp is None or not smtp.user:
            raise ConfigError(
                self.settings.path,
                "mail.smtp.user",
                MISSING,
                "请先在 [mail.smtp] 中填写 user（完整的邮箱地址）",
            )
        if not keyring_available():
            raise UsageError(f"本机没有可用的系统钥匙串，请改用环境变量 {smtp.password_env} 保存密码")
        prompt = f"请输入 {smtp.user} 的密码（授权码），输入时不显示："
        password = _ask_secret(read_password, "taizhang set-password", prompt)
        if not password:
            raise UsageError("没有输入密码，未保存")
        try:
            store_in_keyring(smtp.user, password)
        except Exception:  # keyring raises many kinds, all meaning "no usable keyring here"
            raise UsageError(f"无法存入系统钥匙串，请改用环境变量 {smtp.password_env} 保存密码") from None
        _say(f"已把 {smtp.user} 的密码存入系统钥匙串。")
        return 0

    def run_web(self, read_password: Callable[[str], str] | None = None) -> int:
        """`taizhang set-password --web`: the status page's one shared viewer password."""
        from scheduler.web.auth import MIN_LENGTH

        env = self.settings.web.password_env
        if not keyring_available():
            raise UsageError(f"本机没有可用的系统钥匙串，请改用环境变量 {env} 保存看板密码")
        prompt = f"请输入整改看板的查看密码（至少 {MIN_LENGTH} 个字符），输入时不显示："
        password = _ask_secret(read_password, "taizhang set-password --web", prompt)
        if len(password) < MIN_LENGTH:
            raise UsageError(f"看板密码至少要 {MIN_LENGTH} 个字符，未保存")
        try:
            store_in_keyring(WEB_KEYRING_USER, password, WEB_KEYRING_SERVICE)
        except Exception:  # keyring raises many kinds, all meaning "no usable keyring here"
            raise UsageError(f"无法存入系统钥匙串，请改用环境变量 {env} 保存看板密码") from None
        _say("已把看板密码存入系统钥匙串。同事打开看板时输入这个密码，用户名随意。")
        return 0


@contextmanager
def _recorded(settings: Settings, job: str, today: date) -> Iterator[list[str]]:
    """Record a manual run in the store like a scheduled one, so that a run that fails as a
    whole is told to the office in the next summary (and `status` can show it). It counts
    for the office day it computed (--today), at the time it ran."""
    now = datetime.now(UTC)
    tz = settings.office.tz
    with Store.open(settings.store.path) as store:
        run_id = store.start_run(job, datetime.combine(today, now.astimezone(tz).timetz()), now)
    outcome: list[str] = []
    try:
        yield outcome
    except TaizhangError as e:
        _finish(settings, run_id, JobResult.FAILED, e.message)
        raise
    except Exception as e:
        _finish(settings, run_id, JobResult.FAILED, f"程序内部错误（{type(e).__name__}），详情见日志")
        raise
    _finish(settings, run_id, JobResult.OK, "".join(outcome))


def _finish(settings: Settings, run_id: int, result: JobResult, message: str) -> None:
    with Store.open(settings.store.path) as store:
        store.finish_run(run_id, result, message, datetime.now(UTC))


def _ask_secret(read_password: Callable[[str], str] | None, command: str, prompt: str) -> str:
    """A password typed at the terminal, never echoed. With no terminal (a service, a pipe)
    there is nobody to ask: say where to run it instead of waiting forever."""
    if read_password is None:
        if not sys.stdin.isatty():
            raise UsageError(f"请在命令行窗口中直接运行 {command}，以便输入密码")
        read_password = getpass.getpass
    return read_password(prompt)


def _require_office(settings: Settings) -> None:
    if not settings.mail.office:
        raise ConfigError(
            settings.path,
            "mail.office",
            MISSING,
            '发送预警和周报需要办公室的邮箱，请在 [mail] 中写 office = ["office@example.gov.cn"]',
        )


def _print_drafts(drafts: list[Draft]) -> None:
    _say(f"（试运行：共 {len(drafts)} 封邮件，不发送、不记录）")
    for draft in drafts:
        _say("=" * 60)
        _say(f"收件人：{'、'.join(draft.to)}")
        if draft.cc:
            _say(f"抄送：{'、'.join(draft.cc)}")
        _say(f"主题：{draft.subject}")
        if draft.attachments:
            _say(f"附件：{'、'.join(name for name, _ in draft.attachments)}")
        _say("")
        _say(draft.text)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


def _console() -> Any:
    from rich.console import Console

    class QuietConsole(Console):
        def on_broken_pipe(self) -> None:
            # `taizhang check | head`: rich would exit with 1; the reader just stopped reading.
            raise BrokenPipeError

    # Piped (`| more`), the output is read on a terminal all the same: 80 columns, as rich
    # assumes, unless COLUMNS says otherwise.
    width = None
    return QuietConsole(width=width, highlight=False)
