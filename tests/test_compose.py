"""Who gets which warning: pure, no files, no server."""

from __future__ import annotations

from datetime import date, timedelta

from builders import task

from scheduler.core.identity import identify
from scheduler.core.model import Alert, AlertCode, Level, SentItem
from scheduler.mail.compose import Routing, plan_sections, summary_due, summary_item
from scheduler.views.mail import letter, section_html, section_subject, section_text

T = date(2025, 6, 20)
RED = Alert(AlertCode.OVERDUE, Level.RED, "已逾期5天", days=5)
ESCALATED = Alert(AlertCode.OVERDUE, Level.RED, "已逾期20天，列入督办", days=20, escalate=True)
YELLOW = Alert(AlertCode.BEHIND, Level.YELLOW, "进度30%，低于序时进度44%", expected=0.44, actual=0.3)
BLUE = Alert(AlertCode.DUE_SOON, Level.BLUE, "距完成时限还有5天", days=5)

ROUTING = Routing(
    sections={
        "大气环境股": ("dq@example.gov.cn",),
        "水环境股": ("shj@example.gov.cn",),
        "市林业局": ("ly@example.gov.cn",),
    },
    leaders={"李红梅": ("lhm@example.gov.cn",)},
    office=("office@example.gov.cn",),
)


def plan(tasks, alerts, recent=(), routing=ROUTING):  # type: ignore[no-untyped-def]
    return plan_sections(tasks, alerts, identify(tasks, None), routing, list(recent), T)


def facts(mail, reply=T + timedelta(days=5)):  # type: ignore[no-untyped-def]
    return letter(mail, T, reply, "办公室", "请在台账中更新整改进展，或直接回复本邮件。", "")


def sent(identity: str, alert: Alert, section: str = "大气环境股", days_ago: int = 1) -> SentItem:
    return SentItem(
        f"section:{section}",
        identity,
        alert.code.value,
        alert.level.value,
        alert.escalate,
        T - timedelta(days=days_ago),
    )


def test_it_sends_one_message_per_section_never_one_per_row() -> None:
    tasks = [task("s!5", no="1"), task("s!6", no="2"), task("s!7", no="3", lead=("水环境股",))]
    result = plan(tasks, {"s!5": [RED], "s!6": [BLUE], "s!7": [YELLOW]})
    assert [(m.section, m.to, len(m.entries)) for m in result.sections] == [
        ("大气环境股", ("dq@example.gov.cn",), 2),
        ("水环境股", ("shj@example.gov.cn",), 1),
    ]


def test_a_task_with_two_lead_sections_goes_to_each() -> None:
    t = task("s!5", lead=("大气环境股", "水环境股"))
    assert [m.section for m in plan([t], {"s!5": [RED]}).sections] == ["大气环境股", "水环境股"]


def test_it_skips_tasks_without_warnings() -> None:
    assert plan([task("s!5")], {}).sections == []


def test_a_warning_sent_within_the_week_is_not_sent_again() -> None:
    t = task("s!5", no="1")
    assert plan([t], {"s!5": [RED]}, [sent("s#1", RED, days_ago=6)]).sections == []
    # Seven days later it is due again: the weekly cadence.
    assert len(plan([t], {"s!5": [RED]}, [sent("s#1", RED, days_ago=7)]).sections) == 1


def test_a_warning_sent_to_another_section_does_not_count() -> None:
    t = task("s!5", no="1")
    assert len(plan([t], {"s!5": [RED]}, [sent("s#1", RED, section="水环境股")]).sections) == 1


def test_a_warning_whose_colour_got_worse_is_sent_again() -> None:
    t = task("s!5", no="1")
    stale_blue = Alert(AlertCode.STALE, Level.YELLOW, "本周无进展", days=7)
    mails = plan([t], {"s!5": [stale_blue]}, [sent("s#1", BLUE)]).sections
    assert [a.code for a in mails[0].entries[0].alerts] == [AlertCode.STALE]
    # The same colour again is not worse.
    assert plan([t], {"s!5": [BLUE]}, [sent("s#1", BLUE)]).sections == []


def test_a_warning_that_escalated_is_sent_again() -> None:
    t = task("s!5", no="1")
    (mail,) = plan([t], {"s!5": [ESCALATED]}, [sent("s#1", RED)]).sections
    assert mail.entries[0].alerts == (ESCALATED,)
    assert plan([t], {"s!5": [ESCALATED]}, [sent("s#1", ESCALATED)]).sections == []


def test_only_the_fresh_warnings_of_a_task_are_carried() -> None:
    t = task("s!5", no="1")
    (mail,) = plan([t], {"s!5": [YELLOW, RED]}, [sent("s#1", YELLOW)]).sections
    assert mail.entries[0].alerts == (RED,)


def test_escalated_items_copy_the_leader_and_the_office() -> None:
    t = task("s!5")
    (mail,) = plan([t], {"s!5": [ESCALATED]}).sections
    assert mail.cc == ("lhm@example.gov.cn", "office@example.gov.cn")
    assert section_subject(mail, T) == "【整改预警·督办】大气环境股：红色1项（2025年6月20日）"


def test_support_sections_get_a_copy_only_when_asked() -> None:
    t = task("s!5")
    t = t.__class__(
        **{**{f: getattr(t, f) for f in t.__dataclass_fields__}, "support": ("市林业局", "无邮箱单位")}
    )
    (mail,) = plan([t], {"s!5": [RED]}).sections
    assert mail.cc == ()
    routing = Routing(ROUTING.sections, ROUTING.leaders, ROUTING.office, copy_support=True)
    (mail,) = plan([t], {"s!5": [RED]}, routing=routing).sections
    assert mail.cc == ("ly@example.gov.cn",)


def test_a_section_without_an_address_is_flagged_for_the_office() -> None:
    t = task("s!5", lead=("计划财务股",))
    result = plan([t], {"s!5": [RED, BLUE]})
    (mail,) = result.unrouted
    assert mail.to == () and mail.section == "计划财务股"
    # One task, one light: red, however many warnings it has.
    assert section_subject(mail, T) == "【整改预警·无收件人】计划财务股：红色1项（2025年6月20日）"
    html = section_html(facts(mail))
    assert "计划财务股没有设置邮箱" in html and "config.toml" in html  # the office's copy says how
    # Its warnings are recorded against the section, so they are not re-sent tomorrow.
    assert {i.audience for i in mail.items(T)} == {"section:计划财务股"}


def test_config_wins_over_the_contacts_sheet() -> None:
    routing = Routing.merge(
        contacts={"大气环境股": ("old@example.gov.cn",), "监测站": ("jc@example.gov.cn",)},
        configured={"大气环境股": ("dq@example.gov.cn",)},
        leaders={},
        office=("office@example.gov.cn",),
        copy_support=False,
    )
    assert routing.sections == {"大气环境股": ("dq@example.gov.cn",), "监测站": ("jc@example.gov.cn",)}


def test_the_subject_counts_each_task_once_by_its_light() -> None:
    tasks = [task("s!5", no="1"), task("s!6", no="2"), task("s!7", no="3")]
    (mail,) = plan(tasks, {"s!5": [RED], "s!6": [RED], "s!7": [YELLOW, BLUE]}).sections
    assert section_subject(mail, T) == "【整改预警】大气环境股：红色2项、黄色1项（2025年6月20日）"


def test_a_routed_section_mail_says_nothing_about_config() -> None:
    (mail,) = plan([task("s!5")], {"s!5": [RED]}).sections
    for body in (section_html(facts(mail)), section_text(facts(mail))):
        assert "config.toml" not in body and "[sections]" not in body
        assert "请于6月25日前报送整改进展" in body and "或直接回复本邮件" in body


def test_a_card_says_each_fact_once_and_other_warnings_as_details() -> None:
    t = task("s!5", no="12", title="生态修复", progress=0.3)
    (mail,) = plan([t], {"s!5": [ESCALATED, YELLOW, BLUE]}).sections
    card = section_text(facts(mail)).split("12. 生态修复", 1)[1]
    assert card.count("已逾期") == 2  # the reason, and the days beside the deadline
    assert "预警：红色 · 已逾期；同时进度滞后、临近完成时限 · 督办" in card
    assert card.count("督办") == 1 and card.count("序时进度") == 1
    assert "完成进度：30%，序时进度44%" in card


def test_the_body_groups_red_then_yellow_then_blue_and_asks_for_action() -> None:
    tasks = [
        task("s!5", no="1", title="蓝"),
        task("s!6", no="2", title="红"),
        task("s!7", no="3", title="黄", progress=0.3),
    ]
    (mail,) = plan(tasks, {"s!5": [BLUE], "s!6": [RED], "s!7": [YELLOW]}).sections
    text = section_text(facts(mail))
    assert text.index("【红色") < text.index("2. 红") < text.index("【黄色") < text.index("3. 黄")
    assert text.index("3. 黄") < text.index("【蓝色") < text.index("1. 蓝")
    assert "请于6月25日前报送整改进展" in text and "要求：说明逾期原因和预计完成时间" in text
    assert "完成进度：30%，序时进度44%" in text


def test_ledger_text_is_escaped_in_html() -> None:
    t = task("s!5", title="<script>alert(1)</script>", note="A & B")
    (mail,) = plan([t], {"s!5": [RED]}).sections
    html = section_html(facts(mail))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "A &amp; B" in html


def test_one_office_summary_a_week() -> None:
    friday = T  # 2025-06-20
    assert summary_due([], friday)
    assert not summary_due([summary_item(friday)], friday)
    assert not summary_due([summary_item(friday - timedelta(days=4))], friday)  # Monday, same week
    assert summary_due([summary_item(friday - timedelta(days=5))], friday)  # Sunday, last week
