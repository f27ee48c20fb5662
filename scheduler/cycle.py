"""One cycle, as `taizhang run --once` and the scheduled jobs run it: read → compute → write.

1. Read: the ledger, and one `History` bundle from the store (and, for a store just made,
   whether an earlier one was lost).
2. Compute, without I/O: the assessment, this week's snapshot, one draft per section.
3. Write: notes for the office, the snapshot, the section messages to the outbox; send;
   record.
4. Weekly, once a week: the office summary and the report, drafted from the weekly view and
   from what step 3's delivery returned (so that it names this run's bounces), then
   written, sent and recorded like the rest.

Daily: only red and blue warnings never sent before (newly overdue, newly due soon), so that
nothing urgent waits a week; no snapshot and no summary.

A dry run reads and computes; it neither writes nor sends anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from scheduler import pipeline
from scheduler.config import Settings
from scheduler.core.assess import Assessment
from scheduler.core.history import EVER, History
from scheduler.core.labels import chinese_date
from scheduler.core.model import AlertCode, Ledger, RunMode, Snapshot
from scheduler.core.view import Failure, Unrouted, WeeklyView
from scheduler.errors import ReportError, TaizhangError
from scheduler.logs import log
from scheduler.mail.compose import Plan, Routing, plan_sections, summary_due
from scheduler.mail.deliver import Delivery, deliver
from scheduler.mail.drafts import section_draft, summary_draft, test_drafts
from scheduler.mail.message import new_message_id, to_bytes
from scheduler.mail.transports import Transport, make_transport
from scheduler.service.locks import cycle_guard
from scheduler.service.workdays import missing_year_notes
from scheduler.store import JobResult, JobRun, OfficeNote, OutboxMessage, Queued, Store, opened_existing
from scheduler.views.mail import Draft, DraftKind
from scheduler.views.report import report_path

Clock = Callable[[], datetime]
DAILY_CODES = frozenset({AlertCode.OVERDUE, AlertCode.DUE_SOON})


@dataclass
class CycleResult:
    today: date
    mode: RunMode = RunMode.WEEKLY
    drafts: list[Draft] = field(default_factory=list)
    snapshot_taken: bool = False
    delivery: Delivery = field(default_factory=Delivery)
    transport: str = ""
    tasks: int = 0
    report: str = ""  # the weekly report's file name, when one was written


@dataclass(frozen=True)
class Work:
    """What one cycle computed from the ledger and the history, before anything is written."""

    assessment: Assessment
    history: History
    mode: RunMode
    snapshot: Snapshot | None  # this week's, when the week has none yet
    sections: list[Draft]
    notes: list[str]  # for the office: a draft that could not be made, history that was lost
    summary_due: bool


@dataclass
class Cycle:
    settings: Settings
    today: date
    clock: Clock = lambda: datetime.now(UTC)
    transport_factory: Callable[[Settings], Transport] = lambda s: make_transport(s.mail)
    stop: threading.Event | None = None  # set by the service to wind down between messages

    def run(
        self, *, mode: RunMode = RunMode.WEEKLY, dry_run: bool = False, ledger: Ledger | None = None
    ) -> CycleResult:
        ledger = ledger or pipeline.read(self.settings)
        if dry_run:
            with opened_existing(self.settings.store.path) as store:
                history = pipeline.history(store, self.settings, self.today, mode)
            return self._dry(self.compute(ledger, history, mode, lost=""))
        transport = self.transport_factory(self.settings)  # a missing password stops us here
        with Store.open(self.settings.store.path) as store:
            history = pipeline.history(store, self.settings, self.today, mode)
            lost = earlier_runs(self.settings) if history.new_store else ""
            return self._write(store, transport, self.compute(ledger, history, mode, lost))

    # --- compute: pure ------------------------------------------------------------------------

    def compute(self, ledger: Ledger, history: History, mode: RunMode, lost: str) -> Work:
        assessment = pipeline.assess(self.settings, ledger, self.today, history)
        notes = [self._lost_history(lost)] if lost else []
        weekly = mode is RunMode.WEEKLY
        return Work(
            assessment=assessment,
            history=history,
            mode=mode,
            snapshot=assessment.snapshot() if weekly and self._new_week(history) else None,
            sections=self._section_drafts(assessment, history, mode, notes),
            notes=notes,
            summary_due=weekly
            and summary_due(history.sent_after(self.today - timedelta(days=7)), self.today),
        )

    def _section_drafts(
        self, assessment: Assessment, history: History, mode: RunMode, notes: list[str]
    ) -> list[Draft]:
        """One draft per section. One section's draft failing must not cost the others theirs:
        it is logged and noted for the office, and its warnings, never queued, go next run."""
        plan = self._plan(assessment, history, mode)
        tasks, alerts = assessment.ledger.tasks, assessment.alerts
        drafts = []
        for mail in plan.sections:
            try:
                drafts.append(section_draft(self.settings, mail, tasks, alerts, self.today))
            except Exception:
                log.exception("%s的预警邮件无法生成，已跳过，下次运行时重试", mail.section)
                notes.append(
                    f"{mail.section}的预警邮件未能生成（程序内部错误，详情见日志），下次运行时重试。"
                )
        return drafts

    def _plan(self, assessment: Assessment, history: History, mode: RunMode) -> Plan:
        """Weekly: every warning not sent to that section within repeat_days. Daily: only red
        and blue warnings that section was never sent."""
        daily = mode is RunMode.DAILY
        window = EVER if daily else timedelta(days=self.settings.alerts.repeat_days)
        ledger = assessment.ledger
        recent = history.sent_after(self.today - window)
        routing = self._routing(ledger.contacts)
        return plan_sections(
            ledger.tasks,
            assessment.alerts,
            assessment.identities,
            routing,
            recent,
            self.today,
            window.days,
            sendable=(lambda a: a.code in DAILY_CODES) if daily else (lambda a: True),
        )

    def weekly_view(
        self, work: Work, notes: Sequence[OfficeNote] = (), failures: Sequence[OutboxMessage] = ()
    ) -> WeeklyView:
        """The week for the office: figures, changes, and everything it should hear about."""
        assessment, history = work.assessment, work.history
        tz = self.settings.office.tz
        told = [
            f"{chinese_date(run.scheduled_for.astimezone(tz).date())}的{_run_words(run)}"
            for run in history.runs
        ]
        told += [note.text for note in (*history.notes, *notes)]
        if self.settings.schedule.skip_holidays:
            calendar = self.settings.calendar
            told += missing_year_notes(self.today, (*calendar.holidays, *calendar.workdays))
        # Sections without an address are listed whether or not this run re-sent their warnings.
        ledger = assessment.ledger
        every = plan_sections(
            ledger.tasks,
            assessment.alerts,
            assessment.identities,
            self._routing(ledger.contacts),
            [],
            self.today,
        )
        unrouted = [Unrouted(m.section, tuple(e.task for e in m.entries)) for m in every.unrouted]
        return pipeline.view(
            self.settings,
            assessment,
            history,
            notes=told,
            failures=[_failure(m) for m in failures],
            unrouted=unrouted,
        )

    def _dry(self, work: Work) -> CycleResult:
        """What a run would send today: no more, no less."""
        drafts = list(work.sections)
        if work.summary_due:
            view = self.weekly_view(work, failures=work.history.failures)
            drafts.append(summary_draft(self.settings, view, self._report_attachment(view)))
        return CycleResult(self.today, work.mode, drafts, tasks=len(work.assessment.ledger.tasks))

    def _routing(self, contacts: dict[str, tuple[str, ...]]) -> Routing:
        s = self.settings
        return Routing.merge(contacts, s.sections, s.leaders, s.mail.office, s.mail.copy_support)

    def _new_week(self, history: History) -> bool:
        monday = self.today - timedelta(days=self.today.weekday())
        return not any(monday <= day <= monday + timedelta(days=6) for day in history.snapshot_days)

    def _lost_history(self, evidence: str) -> str:
        path = self.settings.store.path
        log.warning("数据库 %s 不存在，但%s：历史记录从今天重新开始", path, evidence)
        return (
            f"数据库 {path} 不存在（可能被删除或移动），但{evidence}。历史记录从{chinese_date(self.today)}"
            "重新开始：本周的预警会重新发送一次，“本周无进展”和本周变化要到下周才有数据。"
            "如有备份，请停止服务后把数据库文件恢复到原处。"
        )

    def _report_attachment(self, view: WeeklyView) -> tuple[tuple[str, bytes], ...]:
        return ((report_path(self.settings.report_dir, self.today).name, pipeline.report_bytes(view)),)

    # --- write ----------------------------------------------------------------------------------

    def _write(self, store: Store, transport: Transport, work: Work) -> CycleResult:
        result = CycleResult(
            self.today,
            work.mode,
            transport=transport.name,
            tasks=len(work.assessment.ledger.tasks),
        )
        store.settle_reports()  # summaries accepted since the last run
        notes = [store.add_note(self.today, text, self.clock()) for text in work.notes]
        if work.snapshot is not None:
            pipeline.save_snapshot(store, work.snapshot, self.clock())
            result.snapshot_taken = True
        notes += self.send(store, transport, work.sections, result)
        if work.summary_due:
            self._send_summary(store, transport, work, result, notes)
        return result

    def _send_summary(
        self, store: Store, transport: Transport, work: Work, result: CycleResult, notes: list[OfficeNote]
    ) -> None:
        """The summary comes after the warnings went out, so that it can name what bounced."""
        d = result.delivery
        failures = _unique(
            [*work.history.failures, *(m for m, _ in d.failed), *(m for m in d.sent if m.refused)]
        )
        view = self.weekly_view(work, notes, failures)
        tongbao = self._tongbao(work, view)
        if isinstance(tongbao, str):  # the draft failed: the summary tells the office why
            notes.append(store.add_note(self.today, tongbao, self.clock()))
            view, tongbao = self.weekly_view(work, notes, failures), ()
        attachments = self._report_attachment(view)
        result.report = self._save_report(attachments[0][1])
        attachments += tongbao
        carries = (
            *(("outbox", m.message_id) for m in failures),
            *(("run", str(r.id)) for r in work.history.runs),
            *(("note", str(n.id)) for n in (*work.history.notes, *notes)),
        )
        summary = summary_draft(self.settings, view, attachments)
        self.send(store, transport, [summary], result, only_these=True, carries=carries)
        store.settle_reports()

    def _tongbao(self, work: Work, view: WeeklyView) -> tuple[tuple[str, bytes], ...] | str:
        """With [tongbao] enabled, the 通报 draft: saved beside the report and attached to the
        summary. A template that cannot be used costs the draft, not the summary: the reason
        is returned for the office. A draft that cannot be saved is still attached."""
        if not self.settings.tongbao.enabled:
            return ()
        from scheduler.views import tongbao  # docxtpl is slow to import; most runs never need it

        path = tongbao.tongbao_path(self.settings.report_dir, self.today)
        assessment = work.assessment
        try:
            _, content = tongbao.build(self.settings, view, assessment.ledger.tasks, assessment.alerts)
        except TaizhangError as e:
            log.error("%s", e.message)
            return f"本周的通报草稿未能生成：{e.message}"
        try:
            tongbao.write_tongbao(content, path)
            log.info("已生成通报草稿：%s", path)
        except TaizhangError as e:
            log.error("%s", e.message)
        return ((path.name, content),)

    def _save_report(self, content: bytes) -> str:
        try:
            path = pipeline.save_report(self.settings, content, self.today)
        except ReportError as e:  # still attached to the mail: the office gets it either way
            log.error("%s", e.message)
            return ""
        log.info("已生成进展周报：%s", path)
        return path.name

    def send(
        self,
        store: Store,
        transport: Transport,
        drafts: Sequence[Draft],
        result: CycleResult,
        *,
        only_these: bool = False,
        carries: Sequence[tuple[str, str]] = (),
    ) -> list[OfficeNote]:
        """Write the drafts to the outbox, then deliver what is due (or only these drafts).
        A draft that cannot be turned into a message is logged, noted and left out: the
        others go. Returns the notes made."""
        now = self.clock()
        queued, notes = [], []
        for draft in drafts:
            try:
                queued.append(self._queued(draft, now, tuple(carries)))
            except Exception:
                log.exception("邮件《%s》无法生成，已跳过，下次运行时重试", draft.subject)
                text = f"邮件《{draft.subject}》未能生成（程序内部错误，详情见日志），下次运行时重试。"
                notes.append(store.add_note(self.today, text, now))
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
        return notes

    def _queued(self, draft: Draft, now: datetime, carries: tuple[tuple[str, str], ...] = ()) -> Queued:
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
            kind=draft.kind.value,
            audience=str(draft.audience),
            subject=draft.subject,
            recipients=tuple(dict.fromkeys((*draft.to, *draft.cc))),
            payload=to_bytes(draft, sender, message_id, when, max_kb=mail.max_message_kb, kept=kept),
            items=draft.items,
            carries=carries if draft.kind is DraftKind.SUMMARY else (),
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
    outcome = "未完成" if run.result == JobResult.SKIPPED else "失败"
    return f"{kind}{outcome}：{run.message}"


def _failure(message: OutboxMessage) -> Failure:
    addresses = tuple(message.refused) or message.recipients
    error = message.error or "；".join(message.refused.values())
    return Failure(subject=message.subject, addresses=addresses, error=error)


def _unique(messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
    return list({m.message_id: m for m in messages}.values())


def summary_line(result: CycleResult) -> str:
    """What a cycle did, in one line the office reads (the service logs it)."""
    d = result.delivery
    verb = "生成" if result.transport == "outbox" else "发送"
    line = f"读取台账 {result.tasks} 项，{verb}邮件 {len(d.sent)} 封"
    if any(m.kind == DraftKind.SUMMARY for m in d.sent):
        line += "（含办公室周报）"
    if result.snapshot_taken:
        line = f"保存本周快照，{line}"
    if d.retrying:
        line += f"，{len(d.retrying)} 封暂未发出（将重试）"
    if d.failed:
        line += f"，{len(d.failed)} 封投递失败"
    return line


def describe(result: CycleResult, outbox_dir: str = "") -> list[str]:
    """The summary line for the day, then each message."""
    d = result.delivery
    head = f"{chinese_date(result.today)}：{summary_line(result)}。"
    if result.transport == "outbox" and outbox_dir:
        head += f"邮件存入 {outbox_dir}（mail.transport 为 outbox，没有真正发出；要发送请改为 smtp）。"
    verb = "已生成" if result.transport == "outbox" else "已发送"
    lines = [head]
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
    with cycle_guard(settings.store.path), Store.open(settings.store.path) as store:
        # Only the test messages: what waits in the outbox keeps to its own schedule.
        cycle.send(store, transport, test_drafts(settings, today, to), result, only_these=True)
    return result.delivery
