"""Draft → the bytes of a MIME message, exactly as they will be sent and stored.

We build the message ourselves rather than with yagmail's composer: yagmail's plain-text part
would be the HTML itself and it turns newlines into <br>. We use the classic email.mime
classes, not EmailMessage: EmailMessage's header folding breaks a long Content-Type such as
the .xlsx one into encoded words, which no mail client reads. The result is multipart/mixed:
an alternative (text, then HTML) and the attachments, with Chinese headers encoded per
RFC 2047 and Chinese attachment names per RFC 2231, plus an RFC 2047 `name`, which older
Outlook and some Chinese webmail read instead.
"""

from __future__ import annotations

import mimetypes
from datetime import datetime
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr

from scheduler.mail.layout import Draft

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def new_message_id(sender: str) -> str:
    """A fresh Message-ID. yagmail's default repeats for identical weekly messages, and mail
    clients then hide the later one as a duplicate."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "taizhang.local"
    return make_msgid(idstring="taizhang", domain=domain)


def to_bytes(draft: Draft, sender: str, message_id: str, when: datetime) -> bytes:
    root = MIMEMultipart("mixed")
    name, address = parseaddr(sender)
    root["From"] = formataddr((name, address), charset="utf-8")
    root["To"] = ", ".join(draft.to)
    if draft.cc:
        root["Cc"] = ", ".join(draft.cc)
    root["Subject"] = Header(draft.subject, "utf-8", header_name="Subject").encode()
    root["Date"] = format_datetime(when)
    root["Message-ID"] = message_id
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(draft.text, "plain", "utf-8"))
    body.attach(MIMEText(draft.html, "html", "utf-8"))
    root.attach(body)
    for filename, data in draft.attachments:
        root.attach(_attachment(filename, data))
    # CRLF line ends: smtplib sends bytes as they are, and servers want CRLF.
    return root.as_bytes(policy=compat32.clone(linesep="\r\n"))


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
