"""Sending, editing, deleting and reacting to messages (MSG-2, MSG-10, MSG-11, MSG-13,
MSG-14, MSG-16, MSG-18)."""

from __future__ import annotations

import datetime as dt
import re
import string
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.masking import mask_contact_details
from getmygrapher.core.ratelimit import Limit
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Principal
from getmygrapher.core.time import utcnow
from getmygrapher.messaging import events
from getmygrapher.messaging.errors import (
    EditWindowClosed,
    MessageDeleted,
    MessageNotFound,
    TemplateNotFound,
    UserBlocked,
)
from getmygrapher.messaging.models import (
    AttachmentKind,
    Conversation,
    Message,
    MessageEdit,
    MessageKind,
    Reaction,
)
from getmygrapher.messaging.repository import MessagingRepository
from getmygrapher.messaging.schemas import MessageIn, MessageRead
from getmygrapher.messaging.service.common import (
    Renderer,
    counterpart,
    job_facts,
    member,
    members,
    renderer_for,
    reveals,
    tell,
)
from getmygrapher.moderation import service as moderation_service

EDIT_WINDOW = dt.timedelta(minutes=15)
MAX_EDITS = 10
# MSG-16: the five system templates, with the variables each needs.
SYSTEM_TEMPLATES: dict[str, tuple[str, str, str]] = {
    "express_interest": (
        "Express Interest",
        "job_inquiry",
        "Hi! I'm interested in your {jobTitle} job. I have {experienceYears} of "
        "experience in {specialization} and would love to help.",
    ),
    "rate_discussion": (
        "Rate Discussion",
        "booking_negotiation",
        "Thanks for considering me. My proposed rate for this work is "
        "₹{proposedRate}. Happy to discuss.",
    ),
    "check_availability": (
        "Check Availability",
        "availability_check",
        "Are you available on {availableDate} for a {jobType} assignment?",
    ),
    "share_portfolio": (
        "Share Portfolio",
        "portfolio_share",
        "You can see my {workType} work on Instagram at @{instagramHandle}.",
    ),
    "follow_up": (
        "Follow Up",
        "follow_up",
        "Just following up on the {jobTitle} job. Please let me know if you need "
        "anything else from me.",
    ),
}
ATTACHMENT_KIND = {
    MessageKind.IMAGE: AttachmentKind.IMAGE,
    MessageKind.FILE: AttachmentKind.DOCUMENT,
    MessageKind.VOICE: AttachmentKind.VOICE,
}


def variables_of(body: str) -> list[str]:
    return sorted({name for _, name, _, _ in string.Formatter().parse(body) if name})


def fill(body: str, variables: dict[str, str]) -> str:
    """Unknown and missing variables are refused, not left as braces (MSG-16)."""
    wanted = set(variables_of(body))
    missing, unknown = wanted - set(variables), set(variables) - wanted
    if missing or unknown:
        problem = f"missing {sorted(missing)}" if missing else f"unknown {sorted(unknown)}"
        raise ValidationFailed.field(
            "variables", "invalid_format", f"Template variables: {problem}."
        )
    try:
        return body.format(**variables)
    except (ValueError, IndexError, KeyError):
        raise ValidationFailed.field(
            "template", "invalid_format", "This template cannot be filled."
        ) from None


async def template_text(session: AsyncSession, user_id: uuid.UUID, data: MessageIn) -> str:
    if data.template is None:
        return data.text
    if data.template in SYSTEM_TEMPLATES:
        body = SYSTEM_TEMPLATES[data.template][2]
    else:
        try:
            template_id = uuid.UUID(data.template)
        except ValueError:
            raise TemplateNotFound("No template has this id.") from None
        row = await MessagingRepository(session).template(template_id, user_id)
        if row is None:
            raise TemplateNotFound("No template of yours has this id.")
        body = row.body
    return fill(body, data.variables)


async def screen(runtime: Runtime, user_id: uuid.UUID, text: str) -> None:
    """MSG-17: configured words and patterns refuse a message; after five refusals an hour
    the sender waits (429)."""
    for pattern in runtime.settings.message_blocklist:
        if re.search(pattern, text, flags=re.IGNORECASE):
            await runtime.rate_limiter.enforce(
                Limit("blocked-messages", 5, dt.timedelta(hours=1)),
                str(user_id),
                detail="Too many refused messages; try again later.",
            )
            raise ValidationFailed.field(
                "text", "content_blocked", "This message breaks the community rules."
            )


async def send(
    session: AsyncSession,
    runtime: Runtime,
    *,
    sender: Principal,
    conversation_id: uuid.UUID,
    data: MessageIn,
) -> MessageRead:
    """Participants only; `client_message_id` makes a retry return the first message. The
    conversation is locked first, so parallel retries wait and then find it."""
    conversation, _ = await member(session, sender.id, conversation_id, lock=True)
    repo = MessagingRepository(session)
    if data.client_message_id is not None:
        existing = await repo.by_client_id(conversation.id, sender.id, data.client_message_id)
        if existing is not None:
            renderer = await renderer_for(session, runtime, conversation, sender.id)
            [read] = await renderer.many(session, [existing])
            return read
    other = counterpart(conversation, sender.id)
    if other is not None and await moderation_service.is_blocked(session, sender.id, other):
        raise UserBlocked("You cannot message this person.")
    text = await template_text(session, sender.id, data)
    if len(text) > 2000:
        raise ValidationFailed.field("text", "invalid_length", "At most 2,000 characters.")
    await screen(runtime, sender.id, text)
    kind = MessageKind(data.kind)
    if data.job_id is not None:  # required for an inquiry (the schema), allowed on any kind
        facts = await job_facts(session, data.job_id)
        if (
            facts is None
            or not facts.active
            or facts.client_id not in await members(session, conversation.id)
        ):
            raise ValidationFailed.field(
                "job_id", "not_allowed", "Ask about an active job of someone in this chat."
            )
    if data.reply_to_id is not None:
        replied = await repo.message(data.reply_to_id)
        if replied is None or replied.conversation_id != conversation.id:
            raise ValidationFailed.field(
                "reply_to_id", "not_allowed", "Reply to a message of this conversation."
            )
    attachments = []
    if data.attachment_ids:
        wanted = list(dict.fromkeys(data.attachment_ids))
        attachments = list(
            await repo.unsent_attachments(
                wanted, uploader_id=sender.id, conversation_id=conversation.id
            )
        )
        if len(attachments) != len(wanted):
            raise ValidationFailed.field(
                "attachment_ids", "not_allowed", "Attach only your own new uploads to this chat."
            )
        expected = ATTACHMENT_KIND.get(kind)
        if expected is not None and any(a.kind is not expected for a in attachments):
            raise ValidationFailed.field(
                "kind", "not_allowed", "The kind does not match the attachments."
            )
    message = await append(
        session,
        conversation,
        sender_id=sender.id,
        kind=kind,
        text=text,
        job_id=data.job_id,
        reply_to_id=data.reply_to_id,
        client_message_id=data.client_message_id,
        attachment_ids=[a.id for a in attachments],
    )
    renderer = await renderer_for(session, runtime, conversation, sender.id)
    [read] = await renderer.many(session, [message])
    return read


async def append(
    session: AsyncSession,
    conversation: Conversation,
    *,
    sender_id: uuid.UUID | None,
    kind: MessageKind,
    text: str,
    job_id: uuid.UUID | None = None,
    reply_to_id: uuid.UUID | None = None,
    client_message_id: str | None = None,
    data: dict[str, Any] | None = None,
    attachment_ids: list[uuid.UUID] | None = None,
) -> Message:
    """Numbers the message, updates the preview and every pointer, and tells the members,
    all in the caller's transaction (MSG-2, MSG-6). The caller holds the conversation."""
    repo = MessagingRepository(session)
    masked, kinds = mask_contact_details(text)
    preview = masked or ("[attachment]" if attachment_ids else "")
    seq = await repo.next_seq(conversation.id, preview=preview, sender_id=sender_id, job_id=job_id)
    message = Message(
        conversation_id=conversation.id,
        seq=seq,
        sender_id=sender_id,
        kind=kind,
        body=text,
        body_masked=masked,
        masked_kinds=kinds,
        job_id=job_id,
        reply_to_id=reply_to_id,
        client_message_id=client_message_id,
        data=data or {},
        has_attachments=bool(attachment_ids),
        created_at=utcnow(),
    )
    await repo.add(message)
    if attachment_ids:
        await repo.link_attachments(attachment_ids, message.id)
    await repo.after_message(conversation.id, seq=seq, sender_id=sender_id)
    # Stored events carry no file links (they would expire): clients fetch those on demand.
    renderer = Renderer(runtime=None, reveal=await reveals(session, conversation))
    [payload] = await renderer.many(session, [message])
    await tell(
        session,
        conversation.id,
        events.MessageCreated(
            conversation_id=conversation.id, message=payload.model_dump(mode="json")
        ),
    )
    return message


async def post_system(
    session: AsyncSession,
    conversation: Conversation,
    *,
    text: str,
    kind: MessageKind = MessageKind.SYSTEM,
    job_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> Message:
    """MSG-18: posted by the server, never editable."""
    locked = await MessagingRepository(session).conversation(conversation.id, for_update=True)
    assert locked is not None  # noqa: S101 - the caller just found it
    return await append(
        session, locked, sender_id=None, kind=kind, text=text, job_id=job_id, data=data
    )


async def _own_message(
    session: AsyncSession, user: Principal, message_id: uuid.UUID
) -> tuple[Message, Conversation]:
    repo = MessagingRepository(session)
    message = await repo.message(message_id)
    if message is None:
        raise MessageNotFound("No message you can see has this id.")
    conversation, participant = await member(session, user.id, message.conversation_id, lock=True)
    if message.seq <= participant.joined_seq:
        raise MessageNotFound("No message you can see has this id.")
    locked = await repo.message(message_id, for_update=True)
    assert locked is not None  # noqa: S101 - it was there a statement ago
    return locked, conversation


async def edit(
    session: AsyncSession, runtime: Runtime, *, editor: Principal, message_id: uuid.UUID, text: str
) -> MessageRead:
    """MSG-14: the sender, text and job inquiries, within 15 minutes, at most 10 times;
    re-masked, and the earlier version kept."""
    message, conversation = await _own_message(session, editor, message_id)
    if message.sender_id != editor.id:
        raise MessageNotFound("No message of yours has this id.")
    if message.deleted_at is not None:
        raise MessageDeleted("This message was deleted.")
    if message.kind not in {MessageKind.TEXT, MessageKind.JOB_INQUIRY}:
        raise ValidationFailed.field("text", "not_allowed", "Only text can be edited.")
    if utcnow() - message.created_at > EDIT_WINDOW or message.edit_count >= MAX_EDITS:
        raise EditWindowClosed("Messages can be edited 10 times within 15 minutes.")
    await screen(runtime, editor.id, text)
    repo = MessagingRepository(session)
    await repo.add(
        MessageEdit(message_id=message.id, body=message.body, body_masked=message.body_masked)
    )
    message.body = text
    message.body_masked, message.masked_kinds = mask_contact_details(text)
    message.edit_count += 1
    message.edited_at = utcnow()
    await session.flush()
    renderer = Renderer(runtime=None, reveal=await reveals(session, conversation))
    [payload] = await renderer.many(session, [message])
    await tell(
        session,
        conversation.id,
        events.MessageUpdated(
            conversation_id=conversation.id, message=payload.model_dump(mode="json")
        ),
    )
    mine = await renderer_for(session, runtime, conversation, editor.id)
    [read] = await mine.many(session, [message])
    return read


async def delete(session: AsyncSession, *, user: Principal, message_id: uuid.UUID) -> None:
    """MSG-13: the sender only; content, attachments and reactions go for everyone, a
    tombstone keeps the number. A report's snapshot keeps what was reported."""
    message, conversation = await _own_message(session, user, message_id)
    if message.sender_id != user.id:
        raise MessageNotFound("No message of yours has this id.")
    if message.deleted_at is not None:
        return
    repo = MessagingRepository(session)
    await repo.forget_unread(message)
    keys = await repo.remove_attachments(message.id)
    await repo.clear_reactions(message.id)
    message.body, message.body_masked, message.masked_kinds = "", "", []
    message.data, message.has_attachments, message.deleted_at = {}, False, utcnow()
    await session.flush()
    if keys:
        from getmygrapher.core import outbox

        await outbox.add(session, "messaging.delete_files", keys=keys)
    await tell(
        session,
        conversation.id,
        events.MessageDeleted(
            conversation_id=conversation.id, message_id=message.id, seq=message.seq
        ),
    )


async def edits(
    session: AsyncSession, *, user: Principal, message_id: uuid.UUID
) -> list[tuple[str, dt.datetime]]:
    """Earlier versions, masked unless the two have shared contacts (MSG-14)."""
    message, conversation = await _own_message(session, user, message_id)
    reveal = await reveals(session, conversation)
    return [
        (row.body if reveal else row.body_masked, row.edited_at)
        for row in await MessagingRepository(session).edits(message.id)
    ]


async def react(
    session: AsyncSession, *, user: Principal, message_id: uuid.UUID, reaction: Reaction, on: bool
) -> dict[str, int]:
    """MSG-11: one of each reaction per person and message; setting and removing are
    idempotent; deleted and system messages take none."""
    message, conversation = await _own_message(session, user, message_id)
    if message.deleted_at is not None or message.sender_id is None:
        raise ValidationFailed.field(
            "message_id", "not_allowed", "This message takes no reactions."
        )
    repo = MessagingRepository(session)
    changed = await (repo.react if on else repo.unreact)(message.id, user.id, reaction.value)
    counts = (await repo.reaction_counts([message.id])).get(message.id, {})
    if changed:
        await tell(
            session,
            conversation.id,
            events.ReactionChanged(
                conversation_id=conversation.id,
                message_id=message.id,
                user_id=user.id,
                reaction=reaction.value,
                added=on,
                counts=counts,
            ),
        )
    return counts
