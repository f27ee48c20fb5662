"""Send what the outbox holds: write first, send, then record.

1. Each due message is marked 'sending' (attempts + 1) before the transport is called.
2. The transport sends it.
3. Only then is it marked 'sent'. A temporary failure puts it back to 'pending' with a
   later retry time (backoff); a permanent one marks it 'failed', to be reported.

A crash between 2 and 3 leaves it 'sending': the next run sends it again with the same
Message-ID, which mail clients show once. Nothing is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from scheduler.errors import TransportError
from scheduler.logs import log
from scheduler.mail.compose import Audience
from scheduler.mail.transports import Envelope, Transport
from scheduler.store import OutboxMessage, Store

MAX_BACKOFF = timedelta(hours=6)


@dataclass
class Delivery:
    """What one delivery pass did."""

    sent: list[OutboxMessage] = field(default_factory=list)
    retrying: list[tuple[OutboxMessage, str]] = field(default_factory=list)
    failed: list[tuple[OutboxMessage, str]] = field(default_factory=list)


def deliver(
    store: Store,
    transport: Transport,
    sender: str,
    now: datetime,
    backoff_seconds: int,
    only: Collection[str] | None = None,
    stop: threading.Event | None = None,
) -> Delivery:
    """Send every due message, or only those named in `only`. When `stop` is set (the service
    is shutting down), the rest stay pending for the next run."""
    done = Delivery()
    try:
        for message in store.due_messages(now):
            if stop is not None and stop.is_set():
                break
            if only is not None and message.message_id not in only:
                continue
            store.mark_attempt(message.message_id, now)
            try:
                refused = transport.send(_envelope(message, sender))
            except TransportError as e:
                _record_failure(store, message, e, now, backoff_seconds, done)
                continue
            except Exception as e:  # a bug with this one message: the others still go
                log.exception("发送《%s》时程序出错", message.subject)
                error = TransportError(f"发送时程序出错（{type(e).__name__}），将重试", permanent=False)
                _record_failure(store, message, error, now, backoff_seconds, done)
                continue
            store.mark_sent(message.message_id, now, refused)
            done.sent.append(replace(message, status="sent", refused=refused))
    finally:
        transport.close()
    return done


def _envelope(message: OutboxMessage, sender: str) -> Envelope:
    who = Audience.parse(message.audience).label
    return Envelope(sender, message.recipients, message.payload, message.message_id, f"{message.day}_{who}")


def backoff(attempts: int, base_seconds: int) -> timedelta:
    """base, 2 × base, 4 × base … but never more than six hours."""
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _record_failure(
    store: Store, message: OutboxMessage, error: TransportError, now: datetime, base: int, done: Delivery
) -> None:
    if error.permanent:
        store.mark_failed(message.message_id, error.message, error.refused)
        failed = replace(message, status="failed", error=error.message, refused=error.refused)
        done.failed.append((failed, error.message))
    else:
        store.mark_retry(message.message_id, error.message, now + backoff(message.attempts + 1, base))
        done.retrying.append((message, error.message))
