"""Planned mail → laid-out drafts, with their attachments. Pure apart from building .xlsx bytes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from scheduler.config import Settings
from scheduler.core.labels import LEVEL_NAMES
from scheduler.core.model import Alert, Task
from scheduler.core.view import WeeklyView
from scheduler.mail.compose import OFFICE, TEST, SectionMail, reply_by, summary_item
from scheduler.mail.names import safe_file_name
from scheduler.mail.samples import sample_mails
from scheduler.views import mail as layout
from scheduler.views.attachment import section_workbook
from scheduler.views.mail import DraftKind


def section_draft(
    settings: Settings, mail: SectionMail, tasks: Sequence[Task], alerts: dict[str, list[Alert]], today: date
) -> layout.Draft:
    own = [t for t in tasks if mail.section in t.lead] or [e.task for e in mail.entries]
    name = safe_file_name(mail.section, f"整改任务_{today:%Y%m%d}.xlsx")  # a long name is cut, not this
    attachment = (name, section_workbook(mail.section, own, alerts, today=today, office=settings.office.name))
    facts = _letter(settings, mail, today, name)
    return layout.Draft(
        kind=DraftKind.SECTION if mail.routed else DraftKind.UNROUTED,
        audience=mail.audience,
        to=mail.to or settings.mail.office,
        cc=mail.cc,
        subject=layout.section_subject(mail, today),
        html=layout.section_html(facts),
        text=layout.section_text(facts),
        attachments=(attachment,),
        items=mail.items(today),
        reply_to=settings.mail.office,
        attachment_note=facts.attachment_sentence,
    )


def _letter(settings: Settings, mail: SectionMail, today: date, attachment: str = "") -> layout.Letter:
    reply = reply_by(today, settings.mail.reply_days)
    instructions = settings.mail.reply_instructions
    return layout.letter(mail, today, reply, settings.office.name, instructions, attachment)


def summary_draft(
    settings: Settings, view: WeeklyView, attachments: tuple[tuple[str, bytes], ...] = ()
) -> layout.Draft:
    names = [name for name, _ in attachments]
    return layout.Draft(
        kind=DraftKind.SUMMARY,
        audience=OFFICE,
        to=settings.mail.office,
        cc=(),
        subject=layout.summary_subject(view),
        html=layout.summary_html(view, names),
        text=layout.summary_text(view, names),
        attachments=attachments,
        items=(summary_item(view.today),),
        attachment_note=layout.attachments_sentence(names),
    )


def test_drafts(settings: Settings, today: date, to: str) -> list[layout.Draft]:
    """One sample message of each colour, for `taizhang send-test`."""
    drafts = []
    for level, mail in sample_mails(today).items():
        facts = _letter(settings, mail, today)
        subject = layout.section_subject(mail, today).split("】", 1)[1]  # one tag, not two
        drafts.append(
            layout.Draft(
                kind=DraftKind.TEST,
                audience=TEST,
                to=(to,),
                cc=(),
                subject=f"【测试·{LEVEL_NAMES[level]}】{subject}",
                html=layout.section_html(facts),
                text=layout.section_text(facts),
                reply_to=settings.mail.office,
            )
        )
    return drafts
