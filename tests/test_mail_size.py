"""Messages keep to a size: ledger text is cut in mail bodies, attachments that would break
the budget are left out and said so, and a ten-million-character cell no longer makes a
147 MB email."""

from __future__ import annotations

import io
import random
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from builders import task
from openpyxl import load_workbook

from scheduler.config import load
from scheduler.core.model import Alert, AlertCode, DeadlineKind, Ledger, Level, Problem, Status, TaskState
from scheduler.core.tracking import SectionFigures
from scheduler.core.view import ChangeGroup, ChangeItem, Failure, Unrouted, WeeklyView
from scheduler.cycle import Cycle
from scheduler.errors import ConfigError
from scheduler.mail.compose import Entry, SectionMail
from scheduler.mail.drafts import section_draft
from scheduler.mail.message import to_bytes
from scheduler.views.mail import (
    Draft,
    DraftKind,
    clip,
    letter,
    section_html,
    section_subject,
    section_text,
    summary_html,
    summary_text,
)

T = date(2025, 6, 20)
LONG = 10_000
RED = Alert(AlertCode.OVERDUE, Level.RED, "已逾期19天", days=19)


def long(char: str) -> str:
    return char * LONG


def assert_cut(body: str, char: str) -> None:
    """`char`'s long value shows cut to at most 2,000 characters, ending in "…"."""
    assert re.search(f"{char}{{1900,1999}}…", body), f"{char!r} is missing or not cut"
    assert char * 2000 not in body, f"{char!r} is not cut"


def test_clip_keeps_short_text_and_cuts_long_text_with_an_ellipsis() -> None:
    assert clip("大气环境股") == "大气环境股"
    assert clip("甲" * 2000) == "甲" * 2000
    assert clip("甲" * 2001) == "甲" * 1999 + "…"
    assert len(clip("甲" * 10_000_000)) == 2000


def a_section_mail(routed: bool) -> SectionMail:
    t = replace(
        task("整改台账!5", no=long("丙"), title=long("甲"), note=long("乙"), deadline=long("戊")),
        lead=(long("丁"),),
    )
    alert = replace(RED, message=long("己"))
    return SectionMail(long("丁"), ("dq@example.gov.cn",) if routed else (), (), (Entry(t, "id", (alert,)),))


@pytest.mark.parametrize("routed", [True, False])
def test_every_ledger_value_in_a_section_mail_is_cut(routed: bool) -> None:
    mail = a_section_mail(routed)
    facts = letter(mail, T, date(2025, 6, 25), "沅江分局", "请更新台账。", "附件.xlsx")
    html, text = section_html(facts), section_text(facts)
    for body in (html, text):
        for char in "甲乙丙丁戊":  # 己, the warning's own message, is ours: cards give the reason
            assert_cut(body, char)
    assert_cut(section_subject(mail, T), "丁")


def state(char: str) -> TaskState:
    return TaskState(
        "id", "k", "整改台账", long(char), long(char), (long(char),), Status.OPEN, "", 0.5, long(char),
        DeadlineKind.DATE, T,
    )  # fmt: skip


def test_every_ledger_value_in_the_office_summary_is_cut() -> None:
    figures = SectionFigures(long("甲"), 1, 0, 1, 1, 0, 0, 0)
    changes = (
        ChangeGroup("新完成", (ChangeItem(state("乙")),)),
        ChangeGroup("进度变化", (ChangeItem(state("丙"), state("丙")),)),
    )
    problem = Problem("台账.xlsx", long("丁"), 5, long("戊"), long("己"), long("庚"), long("辛"))
    unrouted = a_section_mail(routed=False)
    view = WeeklyView(
        today=T,
        office_name="沅江分局",
        sections=(figures,),
        total=figures,
        baseline=date(2025, 6, 13),
        changes=changes,
        warned=(),
        problems=(problem,),
        notes=(long("丑"),),
        failures=(Failure(long("壬"), (long("癸"),), long("子")),),
        unrouted=(Unrouted(unrouted.section, tuple(e.task for e in unrouted.entries)),),
    )
    for body in (summary_html(view), summary_text(view)):
        for char in "甲乙丙丁戊己庚辛壬癸子丑" + "丙":  # 丙 also stands for the unrouted task's number
            assert_cut(body, char)


# --- the size budget, measured on the bytes as sent ---------------------------------------------

SENDER = "沅江分局整改办 <office@example.gov.cn>"
WHEN = datetime(2025, 6, 20, 9, 0, tzinfo=UTC)
SECTION_XLSX = "大气环境股整改任务_20250620.xlsx"


def noise(n: int, seed: int = 1) -> bytes:
    """Bytes that do not compress, like a workbook full of text."""
    return random.Random(seed).randbytes(n)


def a_draft(*attachments: tuple[str, bytes]) -> Draft:
    overdue = task("整改台账!5", title="重污染天气管控不到位", deadline=date(2025, 6, 1))
    mail = SectionMail("大气环境股", ("dq@example.gov.cn",), (), (Entry(overdue, "id", (RED,)),))
    names = [name for name, _ in attachments]
    facts = letter(mail, T, date(2025, 6, 25), "沅江分局", "请更新台账。", "、".join(names))
    return Draft(
        kind=DraftKind.SECTION,
        audience=mail.audience,
        to=("dq@example.gov.cn",),
        cc=(),
        subject="【整改预警】大气环境股：逾期1项（2025年6月20日）",
        html=section_html(facts),
        text=section_text(facts),
        attachments=attachments,
        attachment_note=facts.attachment_sentence,
    )


def attachment_names(data: bytes) -> list[str | None]:
    return [part.get_filename() for part in parse(data).iter_attachments()]


def bodies(data: bytes) -> tuple[str, str]:
    msg = parse(data)
    return msg.get_body(("html",)).get_content(), msg.get_body(("plain",)).get_content()


def parse(data: bytes) -> EmailMessage:
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_an_attachment_within_the_budget_is_sent_and_nothing_is_said() -> None:
    data = to_bytes(a_draft((SECTION_XLSX, noise(20_000))), SENDER, "<a@x>", WHEN, max_kb=100)
    assert attachment_names(data) == [SECTION_XLSX]
    assert all("超过邮件大小限制" not in body for body in bodies(data))


def test_an_attachment_over_the_budget_is_left_out_and_both_parts_say_so() -> None:
    data = to_bytes(a_draft((SECTION_XLSX, noise(200_000))), SENDER, "<a@x>", WHEN, max_kb=100)
    assert len(data) <= 100 * 1024
    assert attachment_names(data) == []
    html, text = bodies(data)
    sentence = f"附件《{SECTION_XLSX}》超过邮件大小限制（100 KB），未随邮件发送。"
    assert sentence in html and sentence in text
    assert html.index(sentence) < html.index("整改任务预警提醒") + 2000  # at the top, under the header


def test_the_budget_counts_the_encoded_size_not_the_file_size() -> None:
    # 90 KB of file is 120 KB once in base64: it does not fit in 100 KB.
    data = to_bytes(a_draft((SECTION_XLSX, noise(90 * 1024))), SENDER, "<a@x>", WHEN, max_kb=100)
    assert attachment_names(data) == [] and len(data) <= 100 * 1024


def test_only_the_attachments_that_do_not_fit_are_left_out() -> None:
    draft = a_draft(("大.xlsx", noise(80_000, seed=2)), ("小.xlsx", noise(20_000, seed=3)))
    data = to_bytes(draft, SENDER, "<a@x>", WHEN, max_kb=100)
    assert attachment_names(data) == ["小.xlsx"] and len(data) <= 100 * 1024
    for body in bodies(data):
        assert "附件《大.xlsx》超过" in body and "小.xlsx" not in body


def test_a_left_out_attachment_kept_on_disk_says_where() -> None:
    kept = {"整改进展周报_2025-06-20.xlsx": "/srv/taizhang/reports/整改进展周报_2025-06-20.xlsx"}
    draft = a_draft(("整改进展周报_2025-06-20.xlsx", noise(200_000)))
    data = to_bytes(draft, SENDER, "<a@x>", WHEN, max_kb=100, kept=kept)
    for body in bodies(data):
        assert (
            "附件《整改进展周报_2025-06-20.xlsx》超过邮件大小限制（100 KB），未随邮件发送；"
            "请在 /srv/taizhang/reports/整改进展周报_2025-06-20.xlsx 查看。"
        ) in body


def test_a_ten_million_character_note_gives_a_message_under_the_budget(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[ledger]\npath = "台账.xlsx"\n[plan]\nstart = 2025-01-17\n', encoding="utf-8")
    settings = load(config)
    huge = task(
        "整改台账!5", title="重污染天气管控不到位", note="进展" * 5_000_000, deadline=date(2025, 6, 1)
    )
    mail = SectionMail("大气环境股", ("dq@example.gov.cn",), (), (Entry(huge, "id", (RED,)),))
    draft = section_draft(settings, mail, [huge], {huge.key: [RED]}, T)
    data = to_bytes(draft, SENDER, "<a@x>", WHEN, max_kb=settings.mail.max_message_kb)
    assert settings.mail.max_message_kb == 10240
    assert len(data) <= 10240 * 1024
    html, text = bodies(data)
    for body in (html, text):
        assert "进展" * 999 + "进…" in body and "进展" * 1000 not in body
    (attachment,) = parse(data).iter_attachments()
    content = attachment.get_content()
    assert isinstance(content, bytes)
    note = load_workbook(io.BytesIO(content)).active["J4"].value  # 整改进展, below the title
    assert len(note) == 32767 and note.endswith("…")  # Excel's limit for a cell


def test_the_weekly_report_too_large_to_attach_is_named_with_its_place_on_disk(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[ledger]\npath = "台账.xlsx"\n[plan]\nstart = 2025-01-17\n[store]\npath = "state.sqlite3"\n'
        '[mail]\noutbox_dir = "outbox"\noffice = ["office@example.gov.cn"]\nmax_message_kb = 64\n'
        '[report]\ndir = "reports"\n',
        encoding="utf-8",
    )
    settings = load(config)
    rng = random.Random(4)
    # One warned task in each of 30 sections: each warning mail is small, but their notes
    # together fill the weekly report's list of warnings.
    tasks = tuple(
        task(f"整改台账!{n}", no=str(n), lead=(f"第{n}股",), deadline=date(2025, 6, 1), progress=0.5,
             note="".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(2000)))
        for n in range(5, 35)
    )  # fmt: skip
    Cycle(settings, T, clock=lambda: datetime(2025, 6, 20, 1, tzinfo=UTC)).run(ledger=Ledger(tasks, ()))
    report = tmp_path / "reports" / "整改进展周报_2025-06-20.xlsx"
    assert report.is_file() and report.stat().st_size > 64 * 1024
    emails = [p.read_bytes() for p in (tmp_path / "outbox").iterdir()]
    (summary,) = [e for e in emails if str(parse(e)["Subject"]).startswith("【整改周报】")]
    assert len(summary) <= 64 * 1024 and attachment_names(summary) == []
    for body in bodies(summary):
        assert f"附件《{report.name}》超过邮件大小限制（64 KB），未随邮件发送；请在 {report} 查看。" in body
    warnings = [e for e in emails if e is not summary]
    assert len(warnings) == 30 and all(len(attachment_names(w)) == 1 for w in warnings)  # these fit


@pytest.mark.parametrize("value", ['"10M"', "0", "63", "102401", "true", "1.5"])
def test_max_message_kb_is_checked_when_the_config_is_loaded(tmp_path: Path, value: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[ledger]\npath = "台账.xlsx"\n[plan]\nstart = 2025-01-17\n[mail]\nmax_message_kb = {value}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load(config)
    assert "max_message_kb" in raised.value.message and "64 到 102400 之间的整数" in raised.value.message
