"""The SMS port (DLT-registered templates): an HTTP provider when configured, else the terminal."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Protocol

import httpx
import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Sms:
    to: str  # E.164, +91XXXXXXXXXX
    text: str
    variables: dict[str, str]


class SmsSender(Protocol):
    async def send(self, sms: Sms) -> None: ...


class ConsoleSms:
    """Development only: prints the message; production logs never carry codes."""

    async def send(self, sms: Sms) -> None:
        log.info("sms_sent", transport="console")
        sys.stderr.write(f"\n--- sms to {sms.to}: {sms.text}\n")


class HttpSms:
    """Posts a DLT template message as JSON to a provider gateway."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        url: str,
        api_key: str,
        sender_id: str,
        entity_id: str,
        template_id: str,
    ) -> None:
        self.http, self.url, self.api_key = http, url, api_key
        self.sender_id, self.entity_id, self.template_id = sender_id, entity_id, template_id

    async def send(self, sms: Sms) -> None:
        response = await self.http.post(
            self.url,
            headers={"Authorization": f"Bearer {self.api_key}"},
            json={
                "to": sms.to,
                "sender_id": self.sender_id,
                "dlt_entity_id": self.entity_id,
                "dlt_template_id": self.template_id,
                "variables": sms.variables,
                "text": sms.text,
            },
            timeout=10,
        )
        response.raise_for_status()
        log.info("sms_sent", transport="http", status=response.status_code)
