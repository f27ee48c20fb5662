"""One cycle of the service, as `taizhang run --once` and the scheduled jobs run it.

Weekly (the full cycle):
1. read the ledger and assess it;
2. take this week's snapshot, if the week has none;
3. write one email per section to the outbox, send, record;
4. write the office summary (once a day), send, record.

Daily: only red and blue warnings never sent before (newly overdue, newly due soon), so that
nothing urgent waits a week; no snapshot and no summary.

A dry run composes the messages and returns them; it neither sends nor records anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from scheduler import pipeline
from scheduler.config import Settings
from scheduler.errors import ReportError, UsageError
from scheduler.labels import chinese_date
from scheduler.locks import cycle_lock
from scheduler.logs import log
from scheduler.mail import layout
from scheduler.mail.compose import Failure, Plan, Routing, plan_sections, summary_due
from scheduler.mail.deliver import Delivery, deliver
from scheduler.mail.drafts import section_draft, summary_draft, test_drafts
from scheduler.mail.message import new_message_id, to_bytes
from scheduler.mail.transports import Transport, make_transport
from scheduler.model import AlertCode, Ledger
from scheduler.report import report_path
from scheduler.report import to_bytes as report_bytes
from scheduler.report import write_report as save_report_file
from scheduler.store import HISTORY_CHECKED, JobRun, OfficeNote, OutboxMessage, Queued, Store
from scheduler.workdays import years_without_data

Clock = Callable[[], datetime]
WEEKLY = "weekly"
DAILY = "daily"
DAILY_CODES = frozenset({AlertCode.OVERDUE, AlertCode.DUE_SOON})
EVER = timedelta(days=3650)  # "never sent before", for the daily job


@dataclass
class CycleResult:
    today: date
    mode: str = WEEKLY
    drafts: list[layout.Draft] = field(default_factory=list)
    snapshot_taken: bool = False
    delivery: Delivery = field(default_factory=Delivery)
    transport: str = ""
    tasks: int = 0
    report: str = ""  # the weekly report's file name, when one was written


@dataclass
class Cycle:
    settings: Settings
    today: date
    clock: Clock = lambda: datetime.now(UTC)
    transport_factory: Callable[[Settings], Transport] = lambda s: make_transport(s.mail)
    stop: threading.Event | None = None  # set by the service to wind down between messages

    def run(self, *, mode: str = WEEKLY, dry_run: bool = False, ledger: Ledger | None = None) -> CycleResult:
        ledger = ledger or pipeline.read(self.settings)
        if dry_run:
            with _closing(Store.open_existing(self.settings.store.path)) as store:
                assessment = pipeline.assess(self.settings, ledger, self.today, store)
                drafts = self._section_drafts(assessment, store, mode)
                if mode == WEEKLY:
                    failures = store.unreported_failures() if store else []
                    runs = store.unreported_runs() if store else []
                    notes = store.unreported_notes() if store else []
                    drafts.append(self._summary(assessment, store, failures, runs, notes, write_report=False))
                return CycleResult(self.today, mode, drafts, tasks=len(ledger.tasks))
        transport = self.transport_factory(self.settings)  # a missing password stops us here
        with Store.open(self.settings.store.path) as store:
            self._check_history(store)
            return self._run(ledger, store, transport, mode)

    def _check_history(self, store: Store) -> None:
        """A new store where taizhang ran before means the old one was lost: every warning
        will go out again as if new, and nothing compares with last week. Say so, once."""
        if not store.is_new():
            return
        evidence = earlier_runs(self.settings)
        store.set_state(HISTORY_CHECKED, self.today.isoformat())
        if not evidence:
            return
        path = self.settings.store.path
        log.warning("数据库 %s 不存在，但%s：历史记录从今天重新开始", path, evidence)
        text = (
            f"数据库 {path} 不存在（可能被删除或移动），但{evidence}。历史记录从{chinese_date(self.today)}"
            "重新开始：本周的预警会重新发送一次，“本周无进展”和本周变化要到下周才有数据。"
            "如有备份，请停止服务后把数据库文件恢复到原处。"
        )
        store.add_note(self.today, text, self.clock())

    def _run(self, ledger: Ledger, store: Store, transport: Transport, mode: str) -> CycleResult:
        store.settle_reports()  # summaries accepted since the last run
        assessment = pipeline.assess(self.settings, ledger, self.today, store)
        drafts = self._section_drafts(assessment, store, mode, self._note_for(store))
        result = CycleResult(self.today, mode, transport=transport.name, tasks=len(ledger.tasks))
        if mode == WEEKLY:
            result.snapshot_taken = self._snapshot_if_new_week(store, assessment)
        self.send(store, transport, drafts, result)
        # The summary comes after the warnings went out, so that it can name what bounced.
        if mode == WEEKLY and summary_due(store.recent_items(self.today - timedelta(days=7)), self.today):
            failures, runs, notes = (
                store.unreported_failures(),
                store.unreported_runs(),
                store.unreported_notes(),
            )
            summary = self._summary(assessment, store, failures, runs, notes, write_report=True)
            result.report = summary.attachments[0][0] if summary.attachments else ""
            carries = (
                *(("outbox", m.message_id) for m in failures),
                *(("run", str(r.id)) for r in runs),
                *(("note", str(n.id)) for n in notes),
            )
            self.send(store, transport, [summary], result, only_these=True, carries=carries)
            store.settle_reports()
        return result

    def _note_for(self, store: Store) -> Callable[[str], None]:
        """Keep a note for the office's next summary, so that a failure is never only logged."""
        return lambda text: store.add_note(self.today, text, self.clock())

    def send(
        self,
        store: Store,
        transport: Transport,
        drafts: Sequence[layout.Draft],
        result: CycleResult,
        *,
        only_these: bool = False,
        carries: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Write the drafts to the outbox, then deliver what is due (or only these drafts).
        A draft that cannot be turned into a message is logged and left out: the others go."""
        now = self.clock()
        queued = []
        for draft in drafts:
            try:
                queued.append(self._queued(draft, now, tuple(carries)))
            except Exception:
                log.exception("邮件《%s》无法生成，已跳过，下次运行时重试", draft.subject)
                store.add_note(
                    self.today,
                    f"邮件《{draft.subject}》未能生成（程序内部错误，详情见日志），下次运行时重试。",
                    now,
                )
                continue
            result.drafts.append(draft)
        store.queue(queued, now)
        only = {q.message_id for q in queued} if only_these else None
        mail = self.settings.mail
        done = deliver(
            store, transport, mail.sender_address, now, mail.retry_backoff_seconds, only, self.stop
        )
        result.delivery.sent.extend(done.sent)
        result.delivery.retrying.extend(done.retrying)
        result.delivery.failed.extend(done.failed)

    def _section_drafts(
        self,
        assessment: pipeline.Assessment,
        store: Store | None,
        mode: str,
        note: Callable[[str], None] | None = None,
    ) -> list[layout.Draft]:
        """One draft per section. One section's draft failing must not cost the others theirs:
        it is logged and noted for the office, and its warnings, never queued, go next run."""
        plan = self._plan(assessment, store, mode)
        tasks, alerts = assessment.ledger.tasks, assessment.alerts
        drafts = []
        for mail in plan.sections:
            try:
                drafts.append(section_draft(self.settings, mail, tasks, alerts, self.today))
            except Exception:
                log.exception("%s的预警邮件无法生成，已跳过，下次运行时重试", mail.section)
                if note is not None:
                    note(f"{mail.section}的预警邮件未能生成（程序内部错误，详情见日志），下次运行时重试。")
        return drafts

    def _plan(self, assessment: pipeline.Assessment, store: Store | None, mode: str) -> Plan:
        """Weekly: every warning not sent to that section within repeat_days. Daily: only red
        and blue warnings that section was never sent."""
        window = EVER if mode == DAILY else timedelta(days=self.settings.alerts.repeat_days)
        recent = store.recent_items(self.today - window) if store else []
        alerts = assessment.alerts
        if mode == DAILY:
            alerts = {k: [a for a in v if a.code in DAILY_CODES] for k, v in alerts.items()}
        ledger = assessment.ledger
        routing = self._routing(ledger.contacts)
        return plan_sections(
            ledger.tasks, alerts, assessment.identities, routing, recent, self.today, window.days
        )

    def _summary(
        self,
        assessment: pipeline.Assessment,
        store: Store | None,
        failures: Sequence[OutboxMessage],
        runs: Sequence[JobRun],
        notes: Sequence[OfficeNote],
        *,
        write_report: bool,
    ) -> layout.Draft:
        """The office summary, with the weekly report attached (and kept on disk, unless
        this is a dry run)."""
        week = pipeline.week(self.settings, assessment, store)
        data = pipeline.report_data(self.settings, assessment, week, store)
        path = report_path(self.settings.report_dir, self.today)
        content = report_bytes(data)
        if write_report:
            try:
                save_report_file(content, path)
                log.info("已生成进展周报：%s", path)
            except ReportError as e:  # still attached to the mail: the office gets it either way
                log.error("%s", e.message)
        ledger = assessment.ledger
        # Sections without an address are listed whether or not this run re-sent their warnings.
        routing = self._routing(ledger.contacts)
        every = plan_sections(ledger.tasks, assessment.alerts, assessment.identities, routing, [], self.today)
        return summary_draft(
            self.settings,
            self.today,
            (week.sections, week.total),
            week.changes,
            every.unrouted,
            ledger.problems,
            [_failure(m) for m in failures],
            self._notes(runs, notes),
            attachments=((path.name, content),),
        )

    def _notes(self, runs: Sequence[JobRun], kept: Sequence[OfficeNote]) -> list[str]:
        """What the office should know about the service itself."""
        tz = self.settings.office.tz
        notes = [
            f"{chinese_date(run.scheduled_for.astimezone(tz).date())}的{_run_words(run)}" for run in runs
        ]
        notes += [note.text for note in kept]
        calendar = self.settings.calendar
        if self.settings.schedule.skip_holidays:
            years = (self.today.year, self.today.year + 1)
            for year in years_without_data(years, (*calendar.holidays, *calendar.workdays)):
                notes.append(
                    f"节假日数据尚未包含{year}年，{year}年暂按周末判断工作日。国务院公布{year}年放假安排后，"
                    "请在 config.toml 的 [calendar] 中填写节假日（holidays）和调休上班日（workdays）。"
                )
        return notes

    def _routing(self, contacts: dict[str, tuple[str, ...]]) -> Routing:
        s = self.settings
        return Routing.merge(contacts, s.sections, s.leaders, s.mail.office, s.mail.copy_support)

    def _snapshot_if_new_week(self, store: Store, assessment: pipeline.Assessment) -> bool:
        monday = self.today - timedelta(days=self.today.weekday())
        if any(monday <= day <= monday + timedelta(days=6) for day in store.snapshot_days()):
            return False
        pipeline.save_snapshot(store, assessment, self.settings)
        return True

    def _queued(
        self, draft: layout.Draft, now: datetime, carries: tuple[tuple[str, str], ...] = ()
    ) -> Queued:
        mail = self.settings.mail
        sender = mail.sender
        message_id = new_message_id(sender)
        # A weekly report too large to attach is still on disk: the summary says where.
        report = report_path(self.settings.report_dir, self.today)
        kept = {report.name: str(report)} if report.is_file() else {}
        when = now.astimezone(self.settings.office.tz)
        return Queued(
            message_id=message_id,
            day=self.today,
            kind=draft.kind,
            audience=draft.audience,
            subject=draft.subject,
            recipients=tuple(dict.fromkeys((*draft.to, *draft.cc))),
            payload=to_bytes(draft, sender, message_id, when, max_kb=mail.max_message_kb, kept=kept),
            items=draft.items,
            carries=carries if draft.kind == "summary" else (),
        )


def earlier_runs(settings: Settings) -> str:
    """What shows that taizhang has run here before ("" when nothing does): mail in the
    outbox folder, weekly reports, or a cycle's lines in the log."""
    if any(settings.mail.outbox_dir.glob("*.eml")):
        return f"邮件文件夹 {settings.mail.outbox_dir} 中有以前的邮件"
    if any(settings.report_dir.glob("整改进展周报_*.xlsx")):
        return f"周报文件夹 {settings.report_dir} 中有以前的周报"
    for log_file in sorted(settings.log_path.parent.glob(settings.log_path.name + "*")):
        try:
            text = log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "每周运行：" in text or "手动运行：" in text:
            return f"日志 {log_file} 中有以前运行的记录"
    return ""


def _run_words(run: JobRun) -> str:
    kind = "手动运行" if run.job.startswith("manual") else "定时运行"
    outcome = "未完成" if run.result == "skipped" else "失败"
    return f"{kind}{outcome}：{run.message}"


def _failure(message: OutboxMessage) -> Failure:
    addresses = tuple(message.refused) or message.recipients
    error = message.error or "；".join(message.refused.values())
    return Failure(subject=message.subject, addresses=addresses, error=error)


@contextmanager
def _closing(store: Store | None) -> Iterator[Store | None]:
    try:
        yield store
    finally:
        if store is not None:
            store.close()


def describe(result: CycleResult, outbox_dir: str = "") -> list[str]:
    """What a cycle did, in lines the office reads."""
    d = result.delivery
    when = chinese_date(result.today)
    if result.transport == "outbox":
        head = f"{when}：读取台账 {result.tasks} 项，生成邮件 {len(d.sent)} 封，存入 {outbox_dir}"
        head += "（mail.transport 为 outbox，没有真正发出；要发送请改为 smtp）。"
    else:
        head = f"{when}：读取台账 {result.tasks} 项，发送邮件 {len(d.sent)} 封。"
    lines = [head]
    if result.snapshot_taken:
        lines.insert(0, f"已保存{when}的快照（本周第一次运行）。")
    verb = "已生成" if result.transport == "outbox" else "已发送"
    lines += [f"  {verb}：{m.subject} → {'、'.join(m.recipients)}" for m in d.sent]
    lines += [f"  暂未发出（将自动重试）：{m.subject}：{why}" for m, why in d.retrying]
    lines += [f"  投递失败：{m.subject}：{why}" for m, why in d.failed]
    if not d.sent and not d.retrying and not d.failed:
        lines.append("  没有需要发送的新预警（本周已发送过的预警不会重复发送）。")
    return lines


def send_test(settings: Settings, today: date, to: str) -> Delivery:
    """One sample message of each colour to `to`, through the configured transport and the
    outbox like any other mail, so the whole mail setup is checked."""
    cycle = Cycle(settings, today)
    transport = cycle.transport_factory(settings)
    result = CycleResult(today)
    with cycle_lock(settings.store.path) as lock:
        if not lock.acquire(timeout=300):
            raise UsageError("另一个 taizhang 进程正在发送邮件，请稍后再试")
        with Store.open(settings.store.path) as store:
            # Only the test messages: what waits in the outbox keeps to its own schedule.
            cycle.send(store, transport, test_drafts(settings, today, to), result, only_these=True)
    return result.delivery
