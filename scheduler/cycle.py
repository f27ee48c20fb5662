"""One full cycle, as `taizhang run --once` and the service run it:

1. read the ledger and assess it;
2. take this week's snapshot, if the week has none;
3. compose one email per section, write them to the outbox, send, record;
4. compose the office summary (once a day), write, send, record.

A dry run composes and returns the messages, and neither sends nor records anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from scheduler import pipeline
from scheduler.config import Settings
from scheduler.labels import LEVEL_NAMES, chinese_date
from scheduler.mail import layout
from scheduler.mail.attachment import section_workbook
from scheduler.mail.compose import (
    Failure,
    Plan,
    Routing,
    SectionMail,
    SummaryFacts,
    plan_sections,
    reply_by,
    summary_due,
    summary_item,
)
from scheduler.mail.deliver import Delivery, deliver
from scheduler.mail.message import new_message_id, to_bytes
from scheduler.mail.samples import sample_mails
from scheduler.mail.transports import Transport, make_transport
from scheduler.model import Ledger, Problem
from scheduler.store import OutboxMessage, Queued, Store

Clock = Callable[[], datetime]


@dataclass
class CycleResult:
    today: date
    drafts: list[layout.Draft] = field(default_factory=list)
    snapshot_taken: bool = False
    delivery: Delivery = field(default_factory=Delivery)
    transport: str = ""


@dataclass
class Cycle:
    settings: Settings
    today: date
    clock: Clock = lambda: datetime.now(UTC)
    transport_factory: Callable[[Settings], Transport] = lambda s: make_transport(s.mail)

    def run(self, *, dry_run: bool = False) -> CycleResult:
        ledger = pipeline.read(self.settings)
        if dry_run:
            with _maybe(Store.open_existing(self.settings.store.path)) as store:
                return CycleResult(self.today, self._compose(ledger, store, summary=True)[0])
        transport = self.transport_factory(self.settings)  # a missing password stops us here
        with Store.open(self.settings.store.path) as store:
            return self._run(ledger, store, transport)

    def _run(self, ledger: Ledger, store: Store, transport: Transport) -> CycleResult:
        drafts, assessment = self._compose(ledger, store, summary=False)
        result = CycleResult(self.today, transport=transport.name)
        result.snapshot_taken = self._snapshot_if_new_week(store, assessment)
        self._send(store, transport, drafts, result)
        # The summary comes after the warnings went out, so that it can name what bounced.
        if summary_due(store.recent_items(self.today - timedelta(days=1)), self.today):
            failures = store.unreported_failures()
            summary = self._summary(ledger, assessment, store, failures)
            self._send(store, transport, [summary], result, only_these=True)
            store.mark_reported([m.message_id for m in failures])
        return result

    def _compose(
        self, ledger: Ledger, store: Store | None, *, summary: bool
    ) -> tuple[list[layout.Draft], pipeline.Assessment]:
        """The section messages (and, for a dry run, the summary) this run would send."""
        assessment = pipeline.assess(self.settings, ledger, self.today, store)
        drafts = [self._section_draft(mail, assessment) for mail in self._plan(assessment, store).sections]
        if summary:
            failures = store.unreported_failures() if store else []
            drafts.append(self._summary(ledger, assessment, store, failures))
        return drafts, assessment

    def _plan(self, assessment: pipeline.Assessment, store: Store | None) -> Plan:
        since = self.today - timedelta(days=self.settings.alerts.repeat_days)
        recent = store.recent_items(since) if store else []
        routing = self._routing(assessment.ledger.contacts)
        ledger = assessment.ledger
        return plan_sections(
            ledger.tasks, assessment.alerts, assessment.identities, routing, recent, self.today
        )

    def _summary(
        self,
        ledger: Ledger,
        assessment: pipeline.Assessment,
        store: Store | None,
        failures: Sequence[OutboxMessage],
    ) -> layout.Draft:
        week = pipeline.week(self.settings, assessment, store)
        # Unrouted sections are listed whether or not this run re-sent them.
        routing = self._routing(ledger.contacts)
        unrouted = plan_sections(
            ledger.tasks, assessment.alerts, assessment.identities, routing, [], self.today
        )
        return self._summary_draft(week, unrouted, ledger.problems, failures)

    def _routing(self, contacts: dict[str, tuple[str, ...]]) -> Routing:
        s = self.settings
        return Routing.merge(contacts, s.sections, s.leaders, s.mail.office, s.mail.copy_support)

    def _snapshot_if_new_week(self, store: Store, assessment: pipeline.Assessment) -> bool:
        monday = self.today - timedelta(days=self.today.weekday())
        if any(monday <= day <= monday + timedelta(days=6) for day in store.snapshot_days()):
            return False
        pipeline.save_snapshot(store, assessment, self.settings)
        return True

    def _send(
        self,
        store: Store,
        transport: Transport,
        drafts: Sequence[layout.Draft],
        result: CycleResult,
        *,
        only_these: bool = False,
    ) -> None:
        """Write the drafts to the outbox, then deliver what is due (or only these drafts)."""
        now = self.clock()
        queued = [self._queued(d, now) for d in drafts]
        store.queue(queued, now)
        only = {q.message_id for q in queued} if only_these else None
        mail = self.settings.mail
        done = deliver(store, transport, mail.sender_address, now, mail.retry_backoff_seconds, only)
        result.delivery.sent.extend(done.sent)
        result.delivery.retrying.extend(done.retrying)
        result.delivery.failed.extend(done.failed)

    def _queued(self, draft: layout.Draft, now: datetime) -> Queued:
        sender = self.settings.mail.sender
        message_id = new_message_id(sender)
        when = now.astimezone(self.settings.office.tz)
        return Queued(
            message_id=message_id,
            day=self.today,
            kind=draft.kind,
            audience=draft.audience,
            subject=draft.subject,
            recipients=tuple(dict.fromkeys((*draft.to, *draft.cc))),
            payload=to_bytes(draft, sender, message_id, when),
            items=draft.items,
        )

    def _section_draft(self, mail: SectionMail, assessment: pipeline.Assessment) -> layout.Draft:
        s = self.settings
        reply = reply_by(self.today, s.mail.reply_days)
        tasks = [t for t in assessment.ledger.tasks if mail.section in t.lead]
        attachment = (
            f"{mail.section}整改任务_{self.today:%Y%m%d}.xlsx",
            section_workbook(mail.section, tasks or [e.task for e in mail.entries], assessment.alerts),
        )
        return layout.Draft(
            kind="section" if mail.routed else "unrouted",
            audience=mail.audience,
            to=mail.to or s.mail.office,
            cc=mail.cc,
            subject=layout.section_subject(mail, self.today),
            html=layout.section_html(mail, self.today, reply, s.office.name),
            text=layout.section_text(mail, self.today, reply, s.office.name),
            attachments=(attachment,),
            items=mail.items(self.today),
        )

    def _summary_draft(
        self, week: pipeline.Week, plan: Plan, problems: Sequence[Problem], failures: Sequence[OutboxMessage]
    ) -> layout.Draft:
        s = self.settings
        facts = SummaryFacts(
            problems=problems,
            unrouted=plan.unrouted,
            failures=[_failure(m) for m in failures],
        )
        args = (self.today, week.sections, week.total, week.changes, facts, s.office.name)
        return layout.Draft(
            kind="summary",
            audience="office",
            to=s.mail.office,
            cc=(),
            subject=layout.summary_subject(week.total, self.today),
            html=layout.summary_html(*args),
            text=layout.summary_text(*args),
            items=(summary_item(self.today),),
        )


def _failure(message: OutboxMessage) -> Failure:
    addresses = tuple(message.refused) or message.recipients
    error = message.error or "；".join(message.refused.values())
    return Failure(subject=message.subject, addresses=addresses, error=error)


@contextmanager
def _maybe(store: Store | None) -> Iterator[Store | None]:
    try:
        yield store
    finally:
        if store is not None:
            store.close()


def describe(result: CycleResult, outbox_dir: str = "") -> list[str]:
    """What a cycle did, in lines the office reads."""
    d = result.delivery
    if result.transport == "outbox":
        head = f"{chinese_date(result.today)}：已生成 {len(d.sent)} 封邮件，存入 {outbox_dir}"
        head += "（mail.transport 为 outbox，没有真正发出；要发送请改为 smtp）。"
    else:
        head = f"{chinese_date(result.today)}：已发送 {len(d.sent)} 封邮件。"
    lines = [head]
    if result.snapshot_taken:
        lines.insert(0, f"已保存{chinese_date(result.today)}的快照（本周第一次运行）。")
    lines += [f"  已发送：{m.subject} → {'、'.join(m.recipients)}" for m in d.sent]
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
    reply = reply_by(today, settings.mail.reply_days)
    drafts = []
    for level, mail in sample_mails(today).items():
        drafts.append(
            layout.Draft(
                kind="test",
                audience="test",
                to=(to,),
                cc=(),
                subject=f"【测试·{LEVEL_NAMES[level]}】" + layout.section_subject(mail, today),
                html=layout.section_html(mail, today, reply, settings.office.name),
                text=layout.section_text(mail, today, reply, settings.office.name),
            )
        )
    result = CycleResult(today)
    with Store.open(settings.store.path) as store:
        cycle._send(store, transport, drafts, result)
    return result.delivery
