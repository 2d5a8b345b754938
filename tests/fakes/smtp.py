"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class ReceivedMail:
    to: list[str]
    subject: str
    body: str

    def link(self) -> str:
        match = re.search(r"https?://\S+", self.body)
        assert match, f"no link in: {self.body}"
        return match.group(0)

    def token(self) -> str:
        match = re.search(r"token=([A-Za-z0-9_\-%]+)", self.body)
        assert match, f"no token in: {self.body}"
        return match.group(1)


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        self.box.add(
            ReceivedMail(
                to=list(envelope.rcpt_tos),
                subject=str(message["Subject"]),
                body=body.get_content() if body else "",
            )
        )
        return "250 OK"


class Mailbox:
    def __init__(self) -> None:
        self._mails: list[ReceivedMail] = []
        self._lock = threading.Lock()
        with socket.socket() as probe:  # aiosmtpd checks its own start, so it needs a real port
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> Mailbox:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def add(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._mails.append(mail)

    def clear(self) -> None:
        with self._lock:
            self._mails.clear()

    def to(self, address: str) -> list[ReceivedMail]:
        with self._lock:
            return [mail for mail in self._mails if address in mail.to]

    def last(self, address: str, *, timeout: float = 5.0) -> ReceivedMail:
        deadline = time.monotonic() + timeout
        while True:
            mails = self.to(address)
            if mails:
                return mails[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail reached {address}")
            time.sleep(0.01)
