"""The MIME message, the outbox transport and the look of an email."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from scheduler.config import MailSettings
from scheduler.core.model import Level
from scheduler.mail.compose import Audience
from scheduler.mail.deliver import backoff
from scheduler.mail.message import new_message_id, to_bytes
from scheduler.mail.samples import sample_mails
from scheduler.mail.transports import Envelope, OutboxTransport
from scheduler.views.mail import Draft, DraftKind, letter, section_text

SENDER = "沅江分局整改办 <office@example.gov.cn>"
WHEN = datetime(2025, 6, 20, 9, 0, tzinfo=UTC)


def draft(**kw: object) -> Draft:
    values: dict[str, object] = {
        "kind": DraftKind.SECTION,
        "audience": Audience.of_section("大气环境股"),
        "to": ("dq@example.gov.cn",),
        "cc": ("lhm@example.gov.cn",),
        "subject": "【整改预警】大气环境股：逾期2项、滞后1项、临期1项（2025年6月20日）",
        "html": "<p>预警</p>",
        "text": "预警\n第二行",
        "attachments": (("大气环境股整改任务_20250620.xlsx", b"PK\x03\x04 not really"),),
    }
    values.update(kw)
    return Draft(**values)  # type: ignore[arg-type]


def parse(data: bytes) -> EmailMessage:
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_chinese_headers_bodies_and_attachment_names_survive() -> None:
    data = to_bytes(draft(), SENDER, "<a@example.gov.cn>", WHEN)
    assert data.isascii()  # every Chinese character is encoded
    msg = parse(data)
    assert msg["Subject"] == "【整改预警】大气环境股：逾期2项、滞后1项、临期1项（2025年6月20日）"
    assert msg["From"].addresses[0].display_name == "沅江分局整改办"
    assert (msg["To"], msg["Cc"], msg["Message-ID"]) == (
        "dq@example.gov.cn",
        "lhm@example.gov.cn",
        "<a@example.gov.cn>",
    )
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == "预警\n第二行"
    assert msg.get_body(("html",)).get_content() == "<p>预警</p>"
    (part,) = msg.iter_attachments()
    assert part.get_filename() == "大气环境股整改任务_20250620.xlsx"
    assert part.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert part.get_content() == b"PK\x03\x04 not really"
    # The Content-Type name is an RFC 2047 word too, for clients that read only that.
    raw = data.decode("ascii")
    assert 'name="=?utf-8?' in raw and "filename*=utf-8''" in raw


def test_lines_end_in_crlf_and_stay_short() -> None:
    data = to_bytes(draft(html="<p>" + "很长的一段文字" * 300 + "</p>"), SENDER, "<a@x>", WHEN)
    lines = data.split(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 998


def test_identical_weekly_messages_get_different_message_ids() -> None:
    assert new_message_id(SENDER) != new_message_id(SENDER)
    assert new_message_id(SENDER).endswith("@example.gov.cn>")


def test_the_outbox_transport_writes_one_readable_eml_per_message(tmp_path: Path) -> None:
    transport = OutboxTransport(
        MailSettings(transport="outbox", outbox_dir=tmp_path / "out", sender=SENDER, office=())
    )
    payload = to_bytes(draft(), SENDER, "<a@example.gov.cn>", WHEN)
    envelope = Envelope(
        "office@example.gov.cn", ["dq@example.gov.cn"], payload, "<a@example.gov.cn>", "2025-06-20_大气环境股"
    )
    assert transport.send(envelope) == {}
    assert transport.send(envelope) == {}  # sent again after a crash: the same file, not a second one
    (path,) = (tmp_path / "out").iterdir()
    assert path.name.startswith("2025-06-20_大气环境股_") and path.suffix == ".eml"
    assert parse(path.read_bytes())["Subject"].startswith("【整改预警】")


def test_backoff_doubles_and_is_capped_at_six_hours() -> None:
    assert [backoff(n, 300).total_seconds() for n in (1, 2, 3, 4)] == [300, 600, 1200, 2400]
    assert backoff(30, 300).total_seconds() == 6 * 3600
    assert backoff(1, 0).total_seconds() == 0


def test_the_text_alternative_is_text_not_html() -> None:
    mail = sample_mails(date(2025, 6, 20))[Level.YELLOW]
    facts = letter(mail, date(2025, 6, 20), date(2025, 6, 25), "沅江分局", "请更新台账。", "")
    text = section_text(facts)
    assert "<" not in text and "完成进度：30%，序时进度62%" in text
