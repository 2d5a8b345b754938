"""Realtime events of messaging (DESIGN.md §5); each is validated when emitted."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from getmygrapher.core.realtime import RealtimeEvent


class MessageCreated(RealtimeEvent):
    type: Literal["message.created"] = "message.created"
    conversation_id: uuid.UUID
    message: dict[str, Any]


class MessageUpdated(RealtimeEvent):
    type: Literal["message.updated"] = "message.updated"
    conversation_id: uuid.UUID
    message: dict[str, Any]


class MessageDeleted(RealtimeEvent):
    type: Literal["message.deleted"] = "message.deleted"
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    seq: int


class MessageRead(RealtimeEvent):
    type: Literal["message.read"] = "message.read"
    conversation_id: uuid.UUID
    user_id: uuid.UUID
    read_seq: int


class MessageDelivered(RealtimeEvent):
    type: Literal["message.delivered"] = "message.delivered"
    conversation_id: uuid.UUID
    user_id: uuid.UUID
    delivered_seq: int


class ReactionChanged(RealtimeEvent):
    type: Literal["reaction.changed"] = "reaction.changed"
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    user_id: uuid.UUID
    reaction: str
    added: bool
    counts: dict[str, int]


class ConversationUpdated(RealtimeEvent):
    type: Literal["conversation.updated"] = "conversation.updated"
    conversation_id: uuid.UUID
    change: str


class ContactShareUpdated(RealtimeEvent):
    type: Literal["contact_share.updated"] = "contact_share.updated"
    conversation_id: uuid.UUID
    action: str
    fields: list[str]


class Typing(RealtimeEvent):
    """Ephemeral: never stored."""

    type: Literal["typing"] = "typing"
    conversation_id: uuid.UUID
    user_id: uuid.UUID
    state: Literal["start", "stop"]


class PresenceChanged(RealtimeEvent):
    """Ephemeral: never stored."""

    type: Literal["presence"] = "presence"
    user_id: uuid.UUID
    status: Literal["online", "away", "busy", "offline"]
    last_seen_at: dt.datetime | None
