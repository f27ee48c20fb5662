"""How messages leave: an explicit registry of transports.

- `outbox` writes each message as an .eml file, so a new user sees exactly what would be sent.
- `smtp` sends through a mail server with yagmail's connection and login.

A transport raises TransportError, which says whether trying again can help: a refused
connection, a refused login or a 4xx reply can; a 5xx reply while sending a message (at
MAIL FROM, RCPT or DATA) cannot.
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from scheduler.config import MailSettings, SmtpSettings
from scheduler.credentials import smtp_password
from scheduler.errors import CredentialsError, TransportError, os_reason
from scheduler.files import write_whole
from scheduler.mail.names import safe_file_name


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipients: Sequence[str]
    payload: bytes
    message_id: str
    label: str  # for people: "2025-06-20_大气环境股"


class Transport(Protocol):
    name: str

    def send(self, envelope: Envelope) -> dict[str, str]:
        """Deliver one message. Returns the recipients the server refused (address → reply)."""
        ...

    def close(self) -> None: ...


class OutboxTransport:
    """Writes .eml files into a folder. Sending the same message again overwrites its file."""

    name = "outbox"

    def __init__(self, settings: MailSettings) -> None:
        self.folder = settings.outbox_dir

    def send(self, envelope: Envelope) -> dict[str, str]:
        try:
            write_whole(self.folder / _file_name(envelope), envelope.payload)
        except OSError as e:
            raise TransportError(f"无法写入 {self.folder}（{os_reason(e)}）", permanent=False) from None
        return {}

    def close(self) -> None:
        pass


class SmtpTransport:
    """Sends through an SMTP server: SSL (465), STARTTLS (587) or plain (a local relay).

    One connection serves the whole run; after an error it is dropped and made anew.
    """

    name = "smtp"

    def __init__(self, settings: MailSettings) -> None:
        assert settings.smtp is not None
        self.smtp = settings.smtp
        self.password: str | None = None
        if self.smtp.user:
            self.password = smtp_password(self.smtp.password_env, self.smtp.user)
            if not self.password:
                raise CredentialsError(
                    f"找不到邮箱 {self.smtp.user} 的密码（授权码）：请设置环境变量 {self.smtp.password_env}，"
                    "或运行 taizhang set-password 存入系统钥匙串"
                )
        self._client: object | None = None

    def send(self, envelope: Envelope) -> dict[str, str]:
        connection = self._open()
        try:
            refused = connection.sendmail(envelope.sender, list(envelope.recipients), envelope.payload)
        except smtplib.SMTPRecipientsRefused as e:
            self.close()
            replies = {a: _reply(code, text) for a, (code, text) in e.recipients.items()}
            permanent = all(code >= 500 for code, _ in e.recipients.values())
            raise TransportError(
                f"收件人被拒绝：{_joined(replies)}", permanent=permanent, refused=replies
            ) from None
        except smtplib.SMTPResponseException as e:
            self.close()
            # A 5xx at MAIL FROM (a SIZE over the server's limit), RCPT or DATA is the server's
            # final word on this message: sent again it gets the same answer, so it fails and the
            # office is told, instead of being retried for ever. A 4xx may pass later.
            reason = _reply(e.smtp_code, e.smtp_error)
            raise TransportError(
                f"邮件服务器拒绝这封邮件（{reason}）", permanent=e.smtp_code >= 500
            ) from None
        except (smtplib.SMTPException, OSError) as e:
            self.close()
            raise TransportError(self._unreachable(e), permanent=False) from None
        return {a: _reply(code, text) for a, (code, text) in refused.items()}

    def _open(self) -> smtplib.SMTP:
        """The connection, logged in. Whatever goes wrong here is temporary: it concerns the
        server or our settings, not the message, and every message should go once it is fixed."""
        try:
            return self._connect()
        except smtplib.SMTPAuthenticationError as e:
            self.close()
            # A refused login (535) is a user name or authorization code to fix, not this
            # message's fault: the messages wait and go once the password is right.
            reason = _reply(e.smtp_code, e.smtp_error)
            raise TransportError(
                f"邮件服务器拒绝登录（{reason}），请检查用户名和授权码", permanent=False
            ) from None
        except smtplib.SMTPResponseException as e:  # a 554 greeting, a 530 before STARTTLS …
            self.close()
            reason = _reply(e.smtp_code, e.smtp_error)
            raise TransportError(f"邮件服务器拒绝连接（{reason}）", permanent=False) from None
        except (smtplib.SMTPException, OSError) as e:
            self.close()
            raise TransportError(self._unreachable(e), permanent=False) from None

    def _unreachable(self, error: BaseException) -> str:
        return f"无法连接邮件服务器 {self.smtp.host}:{self.smtp.port}（{_describe(error)}）"

    def _connect(self) -> smtplib.SMTP:
        if self._client is None:
            self._client = self._login()
        smtp = getattr(self._client, "smtp", None)
        assert isinstance(smtp, smtplib.SMTP)
        return smtp

    def _login(self) -> object:
        import yagmail

        s = self.smtp
        context = _tls_context(s)
        # yagmail traps: the user must be the full address (one without "@" gets "@gmail.com");
        # smtplib has no timeout unless given one; without a password yagmail would prompt.
        client = yagmail.SMTP(
            user=s.user,
            password=self.password,
            host=s.host,
            port=s.port,
            smtp_ssl=s.security == "ssl",
            smtp_starttls={"context": context} if s.security == "starttls" else False,
            smtp_skip_login=s.user is None,
            soft_email_validation=False,
            timeout=s.timeout,
            **({"context": context} if s.security == "ssl" else {}),
        )
        client.login()
        return client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.close()  # type: ignore[attr-defined]


def _tls_context(s: SmtpSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if s.ca_file is not None:
        context.load_verify_locations(cafile=str(s.ca_file))
    return context


TRANSPORTS: dict[str, type[OutboxTransport] | type[SmtpTransport]] = {
    "outbox": OutboxTransport,
    "smtp": SmtpTransport,
}


def make_transport(settings: MailSettings) -> Transport:
    return TRANSPORTS[settings.transport](settings)


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {message}".strip()


def _joined(replies: dict[str, str]) -> str:
    return "；".join(f"{a}：{r}" for a, r in replies.items())


def _describe(error: BaseException) -> str:
    if _timed_out(error):
        return "连接超时"
    if isinstance(error, ConnectionRefusedError):
        return "连接被拒绝，服务器可能未启动"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "连接中断"
    if isinstance(error, ssl.SSLError):
        return f"加密连接失败：{error.reason or error}"
    return str(error) or type(error).__name__


def _timed_out(error: BaseException) -> bool:
    """smtplib turns a reply that never came (our `timeout`) into SMTPServerDisconnected
    ("Connection unexpectedly closed: timed out"); the TimeoutError is its context."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, socket.timeout | TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _file_name(envelope: Envelope) -> str:
    """ "2025-06-20_大气环境股_1a2b3c4d.eml": readable, and the same for the same message, so a
    message sent again after a crash replaces its file instead of adding a second one. The
    digest is kept whole when a long section name is cut, so names stay unique."""
    digest = hashlib.sha1(envelope.message_id.encode()).hexdigest()[:8]
    return safe_file_name(envelope.label, f"_{digest}.eml")
