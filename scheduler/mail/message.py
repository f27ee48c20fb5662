"""Draft → the bytes of a MIME message, exactly as they will be sent and stored.

We build the message ourselves rather than with yagmail's composer: yagmail's plain-text part
would be the HTML itself and it turns newlines into <br>. We use the classic email.mime
classes, not EmailMessage: EmailMessage's header folding breaks a long Content-Type such as
the .xlsx one into encoded words, which no mail client reads. The result is multipart/mixed:
an alternative (text, then HTML) and the attachments, with Chinese headers encoded per
RFC 2047 and Chinese attachment names per RFC 2231, plus an RFC 2047 `name`, which older
Outlook and some Chinese webmail read instead.

The message keeps to a size budget: a server refuses a message over its limit for good (552),
so an attachment that does not fit is left out, and the mail says so, rather than lose the
whole warning.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from datetime import datetime
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr

from scheduler.views.mail import Draft, left_out_sentence, with_notices

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_MESSAGE_KB = 10240  # as [mail] max_message_kb: 10 MB, an Exchange server's default limit
BOUNDARY = 100  # bytes a MIME boundary line adds around each attachment, generously


def new_message_id(sender: str) -> str:
    """A fresh Message-ID. yagmail's default repeats for identical weekly messages, and mail
    clients then hide the later one as a duplicate."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "taizhang.local"
    return make_msgid(idstring="taizhang", domain=domain)


def to_bytes(
    draft: Draft,
    sender: str,
    message_id: str,
    when: datetime,
    *,
    max_kb: int = MAX_MESSAGE_KB,
    kept: Mapping[str, str] | None = None,
) -> bytes:
    """The message, at most `max_kb` KB if its text allows. An attachment that would break the
    budget is left out, and both parts say so (and where it is kept on disk, from `kept`: file
    name → path). Sizes are measured on the encoded parts: base64 makes 3 bytes 4."""
    budget = max_kb * 1024
    parts = [(name, _attachment(name, data)) for name, data in draft.attachments]
    sizes = [len(_flat(part)) for _, part in parts]
    every_notice = _notices([name for name, _ in parts], max_kb, kept or {})
    chosen = _fit(sizes, budget - len(_build(draft, sender, message_id, when, [], every_notice)))
    while True:  # the estimate above is checked on the real bytes
        left_out = [name for index, (name, _) in enumerate(parts) if index not in chosen]
        notices = _notices(left_out, max_kb, kept or {})
        data = _build(draft, sender, message_id, when, [parts[i][1] for i in chosen], notices)
        if len(data) <= budget or not chosen:
            return data
        chosen.remove(max(chosen, key=lambda i: sizes[i]))


def _fit(sizes: Sequence[int], room: int) -> list[int]:
    """The attachments, in order, that fit in `room` bytes."""
    chosen = []
    for index, size in enumerate(sizes):
        if size + BOUNDARY <= room:
            chosen.append(index)
            room -= size + BOUNDARY
    return chosen


def _build(
    draft: Draft,
    sender: str,
    message_id: str,
    when: datetime,
    attachments: Sequence[MIMEBase],
    notices: Sequence[str],
) -> bytes:
    root = MIMEMultipart("mixed")
    name, address = parseaddr(sender)
    root["From"] = formataddr((name, address), charset="utf-8")
    root["To"] = ", ".join(draft.to)
    if draft.cc:
        root["Cc"] = ", ".join(draft.cc)
    if draft.reply_to:
        root["Reply-To"] = ", ".join(draft.reply_to)
    root["Subject"] = Header(draft.subject, "utf-8", header_name="Subject").encode()
    root["Date"] = format_datetime(when)
    root["Message-ID"] = message_id
    html, text = with_notices(draft, notices)
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(text, "plain", "utf-8"))
    body.attach(MIMEText(html, "html", "utf-8"))
    root.attach(body)
    for part in attachments:
        root.attach(part)
    return _flat(root)


def _flat(part: MIMEBase) -> bytes:
    # CRLF line ends: smtplib sends bytes as they are, and servers want CRLF.
    return part.as_bytes(policy=compat32.clone(linesep="\r\n"))


def _notices(left_out: Sequence[str], max_kb: int, kept: Mapping[str, str]) -> list[str]:
    return [left_out_sentence(name, max_kb, kept.get(name)) for name in left_out]


def _attachment(filename: str, data: bytes) -> MIMEBase:
    kind = (
        XLSX
        if filename.endswith(".xlsx")
        else mimetypes.guess_type(filename)[0] or "application/octet-stream"
    )
    maintype, subtype = kind.split("/", 1)
    part = MIMEBase(maintype, subtype, name=Header(filename, "utf-8").encode())
    part.set_payload(data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
    return part
