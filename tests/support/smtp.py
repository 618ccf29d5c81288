"""A real SMTP server on a loopback port for the notification tests (aiosmtpd, in a thread).

It records each message whose DATA it accepted with "250". ``hold_at(n)`` makes it keep the
n-th message (0-based) unanswered, as a slow server would, so a test can kill the sending worker
at exactly that point: when the client's connection drops, aiosmtpd cancels the handler and the
message is not recorded — like a real server, which discards a transaction it never accepted.
``refuse_with(reply)`` answers DATA with an error reply instead.
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    """The server's handler: what it accepted, and how it answers the next message."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.holding = threading.Event()
        self._hold_at: int | None = None
        self._refusal: str | None = None
        self._seen = 0
        self._lock = threading.Lock()

    def hold_at(self, index: int) -> None:
        self._hold_at = index

    def refuse_with(self, reply: str | None) -> None:
        self._refusal = reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            index = self._seen
            self._seen += 1
        if self._refusal is not None:
            return self._refusal
        if index == self._hold_at:
            self.holding.set()
            await asyncio.sleep(3600)  # cancelled when the client goes away
        content = envelope.original_content or envelope.content
        with self._lock:
            self.raw.append(content)
            self.received.append(email.message_from_bytes(content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self._lock:
            return [str(message["Message-ID"]) for message in self.received]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A running server on 127.0.0.1 and its port; stopped afterwards."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
