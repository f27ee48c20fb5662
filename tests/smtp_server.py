"""A real SMTP server on 127.0.0.1 for tests: aiosmtpd with STARTTLS (or implicit TLS) and AUTH,
whose behaviour a test can switch: accept, refuse an address (550), answer 421, drop the
connection in the middle of DATA, or stop answering; and, message by message, refuse the next
ones at MAIL FROM, RCPT or DATA with a reply of the test's choosing."""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "office@example.gov.cn"
PASSWORD = "authcode-1234"  # a QQ/163-style authorization code
HANG = "hang"  # as a fault's reply: no reply at all


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """The handler: what the server does with each message."""

    received: list[Received] = field(default_factory=list)
    bad_addresses: set[str] = field(default_factory=set)
    mode: str = "accept"  # accept | 421 | drop | slow | hang (every message, at DATA)
    logins: list[str] = field(default_factory=list)
    # What the next messages meet, one entry each, taken at their MAIL FROM: (stage, reply), the
    # stage being MAIL, RCPT (every recipient) or DATA, the reply an SMTP reply or HANG. None,
    # or no entry left: the message is accepted.
    faults: list[tuple[str, str] | None] = field(default_factory=list)
    _fault: dict[int, tuple[str, str] | None] = field(default_factory=dict)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        fault = self._fault[id(session)] = self.faults.pop(0) if self.faults else None
        if fault is not None and fault[0] == "MAIL":
            return await self._answer(fault[1])
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        fault = self._fault.get(id(session))
        if fault is not None and fault[0] == "RCPT":
            return await self._answer(fault[1])
        if address in self.bad_addresses:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        fault = self._fault.get(id(session))
        if fault is not None and fault[0] == "DATA":
            return await self._answer(fault[1])
        if self.mode == "421":
            return "421 4.3.2 Service not available, try again later"
        if self.mode == "slow":
            await asyncio.sleep(1)
        if self.mode == "hang":
            return await self._answer(HANG)
        if self.mode == "drop":
            server.transport.close()  # the line goes dead before the server says 250
            return "250 never heard"
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Ok: queued"

    @staticmethod
    async def _answer(reply: str) -> str:
        if reply == HANG:
            # The server stops answering mid-conversation: only the client's timeout ends the
            # wait here (the wait itself is cancelled when the server stops).
            await asyncio.Event().wait()
        return reply

    def message_ids(self) -> list[str]:
        return [str(r.message["Message-ID"]) for r in self.received]


def _authenticator(mailbox: Mailbox) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == USER
            and auth_data.password.decode() == PASSWORD
        )
        if ok:
            mailbox.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return check


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int
    ca_file: Path
    security: str
    controller: Controller | None = None

    def start(self) -> None:
        assert self.controller is not None
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()


def make_server(tmp_path: Path, security: str = "starttls", port: int | None = None) -> SmtpServer:
    """A server (not yet started) with a certificate for 127.0.0.1 signed by a test CA."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    mailbox = Mailbox()
    port = port or free_port()
    options: dict[str, Any] = {
        "authenticator": _authenticator(mailbox),
        "auth_required": True,
        "auth_require_tls": True,
    }
    if security == "none":  # a local relay: no TLS, no login
        options = {}
    elif security == "starttls":
        options.update(tls_context=context, require_starttls=True)
    else:  # implicit TLS, as on port 465: aiosmtpd cannot tell the line is encrypted already
        options.update(ssl_context=context, auth_require_tls=False)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    return SmtpServer(mailbox, port, ca_file, security, controller)


def mail_table(server: SmtpServer, password_env: str = "TEST_PW", timeout: int = 10) -> str:
    """The [mail] tables of a config.toml that sends through `server`, logging in as USER with
    the password in `password_env`."""
    return f"""[mail]
transport = "smtp"
office = ["office@example.gov.cn"]
sender = "整改办 <{USER}>"
retry_backoff_seconds = 0
[mail.smtp]
host = "127.0.0.1"
port = {server.port}
security = "{server.security}"
user = "{USER}"
password_env = "{password_env}"
timeout = {timeout}
ca_file = "{server.ca_file.as_posix()}"
"""
