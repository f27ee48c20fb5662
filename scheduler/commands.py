"""The commands behind the CLI. Each wires the pipeline steps together and returns an exit code."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from scheduler import pipeline
from scheduler.config import Settings
from scheduler.credentials import store_in_keyring
from scheduler.cycle import Cycle, describe, send_test
from scheduler.errors import MISSING, ConfigError, UsageError
from scheduler.mail.layout import Draft
from scheduler.store import Store


@dataclass
class Command:
    settings: Settings
    today: date
    ledger_path: Path | None = None

    @contextmanager
    def history(self) -> Iterator[Store | None]:
        """The store, if snapshots were ever taken; reading commands never create it."""
        store = Store.open_existing(self.settings.store.path)
        try:
            yield store
        finally:
            if store is not None:
                store.close()

    def assessment(self, store: Store | None) -> pipeline.Assessment:
        ledger = pipeline.read(self.settings, self.ledger_path)
        return pipeline.assess(self.settings, ledger, self.today, store)


@dataclass
class CheckCommand(Command):
    """`taizhang check`: read the ledger, assess it, print tasks, warnings and problems."""

    def run(self, fmt: str) -> int:
        with self.history() as store:
            assessment = self.assessment(store)
        from scheduler import render

        if fmt == "json":
            render.write_check_json(sys.stdout, assessment)
        else:
            render.check_table(_console(), assessment)
        return 0


@dataclass
class SnapshotCommand(Command):
    """`taizhang snapshot`: store the state of every task on the day."""

    def run(self) -> int:
        with Store.open(self.settings.store.path) as store:
            snapshot = pipeline.save_snapshot(store, self.assessment(store), self.settings)
        from scheduler.labels import chinese_date

        _say(f"已保存{chinese_date(snapshot.day)}的快照：{len(snapshot.tasks)} 项任务。")
        return 0


@dataclass
class WeekCommand(Command):
    """`taizhang week`: figures by section and the changes since last week."""

    def run(self, fmt: str) -> int:
        with self.history() as store:
            week = pipeline.week(self.settings, self.assessment(store), store)
        from scheduler import render

        if fmt == "json":
            sys.stdout.write(render.week_json(week) + "\n")
        else:
            render.week_table(_console(), week)
        return 0


EXIT_PENDING = 3  # some mail could not be sent yet; it stays in the outbox and is retried


@dataclass
class RunCommand(Command):
    """`taizhang run --once`: the full cycle, now."""

    def run(self, *, dry_run: bool) -> int:
        _require_office(self.settings)
        result = Cycle(self.settings, self.today).run(dry_run=dry_run)
        if dry_run:
            _print_drafts(result.drafts)
            return 0
        for line in describe(result, str(self.settings.mail.outbox_dir)):
            _say(line)
        return EXIT_PENDING if result.delivery.retrying else 0


@dataclass
class SendTestCommand(Command):
    """`taizhang send-test --to ADDR`: one sample message of each colour."""

    def run(self, to: str) -> int:
        delivery = send_test(self.settings, self.today, to)
        for message in delivery.sent:
            _say(f"已发送：{message.subject} → {to}")
        for message, why in [*delivery.retrying, *delivery.failed]:
            _say(f"发送失败：{message.subject}：{why}")
        return 0 if not (delivery.retrying or delivery.failed) else EXIT_PENDING


@dataclass
class SetPasswordCommand(Command):
    """`taizhang set-password`: keep the SMTP password in the system keyring, not in a file."""

    def run(self, read_password: Callable[[str], str] = getpass.getpass) -> int:
        smtp = self.settings.mail.smtp
        if smtp is None or not smtp.user:
            raise ConfigError(
                self.settings.path,
                "mail.smtp.user",
                MISSING,
                "请先在 [mail.smtp] 中填写 user（完整的邮箱地址）",
            )
        password = read_password(f"请输入 {smtp.user} 的密码（授权码），输入时不显示：")
        if not password:
            raise UsageError("没有输入密码，未保存")
        try:
            store_in_keyring(smtp.user, password)
        except Exception as e:  # keyring raises many kinds, all meaning "no usable keyring here"
            raise UsageError(
                f"本机没有可用的系统钥匙串（{type(e).__name__}），请改用环境变量 {smtp.password_env}"
            ) from None
        _say(f"已把 {smtp.user} 的密码存入系统钥匙串。")
        return 0


def _require_office(settings: Settings) -> None:
    if not settings.mail.office:
        raise ConfigError(
            settings.path,
            "mail.office",
            MISSING,
            "发送预警和周报需要办公室的邮箱，例如 office = [“office@example.gov.cn”]",
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

    # Piped into a file, rich would assume 80 columns and fold Chinese text badly.
    return Console(width=None if sys.stdout.isatty() else 140, highlight=False)
