"""Blocks and reports from inside conversations (MSG-17, GEN-15)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.contacts import service as contacts_service
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.security import Principal
from getmygrapher.messaging import events
from getmygrapher.messaging.errors import MessageNotFound, UserNotFound
from getmygrapher.messaging.repository import MessagingRepository
from getmygrapher.messaging.schemas import BlockRead
from getmygrapher.messaging.service.common import member, summaries, tell
from getmygrapher.moderation import service as moderation_service


async def block(session: AsyncSession, *, blocker: Principal, user_id: uuid.UUID) -> None:
    """Idempotent. Neither can message the other from now on, and contact grants between
    them end (GEN-15)."""
    if user_id == blocker.id:
        raise ValidationFailed.field("user_id", "not_allowed", "Not yourself.")
    if not await accounts_service.account_exists(session, user_id=user_id):
        raise UserNotFound("No such user.")
    await moderation_service.block(session, blocker_id=blocker.id, blocked_id=user_id)


async def after_block(session: AsyncSession, blocker_id: uuid.UUID, blocked_id: uuid.UUID) -> None:
    """Listener of moderation's blocks: grants end, and both sides' lists update."""
    await contacts_service.revoke_between(session, blocker_id, blocked_id)
    conversation = await MessagingRepository(session).direct_between(blocker_id, blocked_id)
    if conversation is not None:
        await tell(
            session,
            conversation.id,
            events.ConversationUpdated(conversation_id=conversation.id, change="blocked"),
        )


async def unblock(session: AsyncSession, *, blocker: Principal, user_id: uuid.UUID) -> None:
    await moderation_service.unblock(session, blocker_id=blocker.id, blocked_id=user_id)


async def blocked_list(session: AsyncSession, *, blocker: Principal) -> list[BlockRead]:
    rows = await moderation_service.blocked_by(session, blocker_id=blocker.id)
    people = await summaries(session, [row.blocked_id for row in rows])
    return [BlockRead(user=people[row.blocked_id], created_at=row.created_at) for row in rows]


async def report_message(
    session: AsyncSession,
    *,
    reporter: Principal,
    message_id: uuid.UUID,
    reason: str,
    details: str | None,
) -> uuid.UUID:
    """The snapshot keeps the message as written, for moderators, even if it is deleted."""
    message = await MessagingRepository(session).message(message_id)
    if message is None:
        raise MessageNotFound("No message you can see has this id.")
    _, participant = await member(session, reporter.id, message.conversation_id)
    if message.seq <= participant.joined_seq or message.sender_id == reporter.id:
        raise MessageNotFound("No message you can report has this id.")
    report = await moderation_service.file_report(
        session,
        reporter_id=reporter.id,
        target_type="message",
        target_id=message.id,
        reason=reason,
        details=details,
        snapshot={
            "conversation_id": str(message.conversation_id),
            "seq": message.seq,
            "sender_id": str(message.sender_id),
            "body": message.body,
            "kind": message.kind.value,
            "created_at": message.created_at.isoformat(),
        },
    )
    return report.id


async def report_user(
    session: AsyncSession,
    *,
    reporter: Principal,
    user_id: uuid.UUID,
    reason: str,
    details: str | None,
) -> uuid.UUID:
    if user_id == reporter.id:
        raise ValidationFailed.field("user_id", "not_allowed", "Not yourself.")
    person = (await summaries(session, [user_id]))[user_id]
    if not await accounts_service.account_exists(session, user_id=user_id):
        raise UserNotFound("No such user.")
    report = await moderation_service.file_report(
        session,
        reporter_id=reporter.id,
        target_type="user",
        target_id=user_id,
        reason=reason,
        details=details,
        snapshot=person.model_dump(mode="json"),
    )
    return report.id
