"""Starting conversations and sending messages the way clients do."""

from __future__ import annotations

import uuid
from typing import Any

from httpx import AsyncClient

from tests.factories import Person


async def start(
    api: AsyncClient, sender: Person, other: Person, text: str = "Hello there!", **extra: Any
) -> dict[str, Any]:
    response = await api.post(
        "/v1/conversations",
        json={
            "participant_id": str(other.id),
            "message": {"text": text, "client_message_id": uuid.uuid4().hex},
            **extra,
        },
        headers=sender.headers,
    )
    assert response.status_code in {200, 201}, response.text
    return dict(response.json())


async def say(
    api: AsyncClient, sender: Person, conversation_id: str, text: str, **extra: Any
) -> dict[str, Any]:
    response = await api.post(
        f"/v1/conversations/{conversation_id}/messages",
        json={"text": text, "client_message_id": uuid.uuid4().hex, **extra},
        headers=sender.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def conversation(api: AsyncClient, person: Person, conversation_id: str) -> dict[str, Any]:
    response = await api.get(f"/v1/conversations/{conversation_id}", headers=person.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())
