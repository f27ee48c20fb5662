"""Messages keep to a size: ledger text is cut in mail bodies, attachments that would break
the budget are left out and said so, and a ten-million-character cell no longer makes a
147 MB email."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from builders import task

from scheduler.mail.compose import Entry, Failure, SectionMail, SummaryFacts
from scheduler.mail.layout import (
    clip,
    section_html,
    section_subject,
    section_text,
    summary_html,
    summary_text,
)
from scheduler.model import Alert, AlertCode, DeadlineKind, Level, Problem, Status, TaskState
from scheduler.tracking import Changes, ProgressChange, SectionFigures

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
    html = section_html(mail, T, date(2025, 6, 25), "沅江分局")
    text = section_text(mail, T, date(2025, 6, 25), "沅江分局")
    for body in (html, text):
        for char in "甲乙丙丁戊己":
            assert_cut(body, char)
    assert_cut(section_subject(mail, T), "丁")


def state(char: str) -> TaskState:
    return TaskState(
        "id", "k", "整改台账", long(char), long(char), (long(char),), Status.OPEN, "", 0.5, long(char),
        DeadlineKind.DATE, T,
    )  # fmt: skip


def test_every_ledger_value_in_the_office_summary_is_cut() -> None:
    figures = SectionFigures(long("甲"), 1, 0, 1, 1, 0, 0, 0)
    changes = Changes(
        baseline=date(2025, 6, 13),
        newly_done=[state("乙")],
        progress=[ProgressChange(state("丙"), state("丙"))],
    )
    problem = Problem("台账.xlsx", long("丁"), 5, long("戊"), long("己"), long("庚"), long("辛"))
    facts = SummaryFacts(
        problems=[problem],
        unrouted=[a_section_mail(routed=False)],
        failures=[Failure(long("壬"), (long("癸"),), long("子"))],
        notes=[long("丑")],
    )
    args = (T, [figures], figures, changes, facts, "沅江分局")
    for body in (summary_html(*args), summary_text(*args)):
        for char in "甲乙丙丁戊己庚辛壬癸子丑" + "丙":  # 丙 also stands for the unrouted task's number
            assert_cut(body, char)
