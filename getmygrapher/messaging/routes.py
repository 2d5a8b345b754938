"""HTTP endpoints of messaging: conversations, messages, attachments, templates, blocks,
reports and presence. Realtime is `/v1/realtime` (core/realtime.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status

from getmygrapher.contacts import service as contacts_service
from getmygrapher.contacts.schemas import ContactRequestRead
from getmygrapher.core.db import DbSession
from getmygrapher.core.errors import PayloadTooLarge, ValidationFailed
from getmygrapher.core.idempotency import IdempotencyKey
from getmygrapher.core.pagination import Cursor, Limit
from getmygrapher.core.schemas import ResponseModel
from getmygrapher.core.security import CurrentUser, VerifiedUser
from getmygrapher.messaging import service as messaging_service
from getmygrapher.messaging.models import ParticipantState, Reaction
from getmygrapher.messaging.schemas import (
    AttachmentRead,
    BlockRead,
    ConversationCreate,
    ConversationFilter,
    ConversationRead,
    ConversationsPage,
    EditRead,
    GroupCreate,
    MemberIn,
    MessageEditIn,
    MessageIn,
    MessageRead,
    MessagesPage,
    MuteIn,
    PresenceRead,
    PriorityIn,
    ReadIn,
    ReportCreated,
    ReportIn,
    SearchPage,
    ShareRequestIn,
    TemplateIn,
    TemplatePatch,
    TemplateRead,
    UnreadIn,
    UnreadTotal,
)
from getmygrapher.messaging.service.common import counterpart, member

router = APIRouter(prefix="/v1", tags=["messaging"])
UPLOAD_LIMIT = 20 * 1024 * 1024


class Opened(ResponseModel):
    conversation: ConversationRead
    message: MessageRead
    created: bool


class Reactions(ResponseModel):
    reactions: dict[str, int]


def _opened(started: messaging_service.Started) -> Opened:
    return Opened(
        conversation=started.conversation, message=started.message, created=started.created
    )


@router.post(
    "/conversations", status_code=status.HTTP_201_CREATED, operation_id="create_conversation"
)
async def create_conversation(
    body: ConversationCreate,
    request: Request,
    response: Response,
    db: DbSession,
    user: VerifiedUser,
    idempotency: IdempotencyKey,
) -> Opened:
    """MSG-1: the 1:1 conversation with someone, with its first message; the existing one
    (200) if the two already have one. A new one uses a `messaging_limit` unit on Free."""
    if (replay := await idempotency.replay(db, user.id)) is not None:
        return replay  # type: ignore[return-value]
    started = await messaging_service.start_direct(
        db, request.app.state.runtime, initiator=user, data=body
    )
    response.status_code = status.HTTP_201_CREATED if started.created else status.HTTP_200_OK
    opened = _opened(started)
    await idempotency.remember(db, user.id, opened, status_code=response.status_code)
    return opened


@router.post(
    "/conversations/groups",
    status_code=status.HTTP_201_CREATED,
    operation_id="create_group_conversation",
)
async def create_group_conversation(
    body: GroupCreate, request: Request, db: DbSession, user: VerifiedUser
) -> Opened:
    """A job team: the job's owner and the professionals hired for it."""
    return _opened(
        await messaging_service.create_group(db, request.app.state.runtime, owner=user, data=body)
    )


@router.get("/conversations", operation_id="get_conversations")
async def get_conversations(
    db: DbSession,
    user: CurrentUser,
    view: Annotated[ConversationFilter, Query(alias="filter")] = "all",
    limit: Limit = None,
    cursor: Cursor = None,
) -> ConversationsPage:
    """MSG-19: latest activity first, with previews, unread counts and settings."""
    return await messaging_service.list_conversations(
        db, viewer=user, view=view, limit=limit, cursor=cursor
    )


@router.get("/conversations/unread", operation_id="get_unread_total")
async def get_unread_total(db: DbSession, user: CurrentUser) -> UnreadTotal:
    return UnreadTotal(unread_total=await messaging_service.unread_total(db, viewer=user))


@router.get("/conversations/{conversation_id}", operation_id="get_conversation")
async def get_conversation(
    conversation_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> ConversationRead:
    return await messaging_service.get_conversation(
        db, viewer=user, conversation_id=conversation_id
    )


@router.post("/conversations/{conversation_id}/members", operation_id="add_member")
async def add_member(
    conversation_id: uuid.UUID, body: MemberIn, db: DbSession, user: CurrentUser
) -> ConversationRead:
    return await messaging_service.change_members(
        db, owner=user, conversation_id=conversation_id, user_id=body.user_id, add=True
    )


@router.delete("/conversations/{conversation_id}/members/{user_id}", operation_id="remove_member")
async def remove_member(
    conversation_id: uuid.UUID, user_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> ConversationRead:
    return await messaging_service.change_members(
        db, owner=user, conversation_id=conversation_id, user_id=user_id, add=False
    )


@router.get("/conversations/{conversation_id}/messages", operation_id="get_messages")
async def get_messages(
    conversation_id: uuid.UUID,
    request: Request,
    db: DbSession,
    user: CurrentUser,
    before: Annotated[int | None, Query(ge=1)] = None,
    after: Annotated[int | None, Query(ge=0)] = None,
    limit: Limit = None,
) -> MessagesPage:
    """MSG-3: newest first before a sequence number, or oldest first after one."""
    return await messaging_service.history(
        db,
        request.app.state.runtime,
        viewer=user,
        conversation_id=conversation_id,
        before=before,
        after=after,
        limit=limit,
    )


@router.post(
    "/conversations/{conversation_id}/messages",
    status_code=status.HTTP_201_CREATED,
    operation_id="send_message",
)
async def send_message(
    conversation_id: uuid.UUID,
    body: MessageIn,
    request: Request,
    db: DbSession,
    user: CurrentUser,
    idempotency: IdempotencyKey,
) -> MessageRead:
    """MSG-2. A retry is safe with the same `client_message_id` (or `Idempotency-Key`)."""
    if body.client_message_id is None and idempotency.key is None:
        raise ValidationFailed.field(
            "client_message_id", "required_field", "Send a client_message_id or an Idempotency-Key."
        )
    if (replay := await idempotency.replay(db, user.id)) is not None:
        return replay  # type: ignore[return-value]
    sent = await messaging_service.send(
        db, request.app.state.runtime, sender=user, conversation_id=conversation_id, data=body
    )
    await idempotency.remember(db, user.id, sent, status_code=201)
    return sent


@router.post("/conversations/{conversation_id}/read", operation_id="mark_messages_read")
async def mark_messages_read(
    conversation_id: uuid.UUID, body: ReadIn, db: DbSession, user: CurrentUser
) -> ConversationRead:
    return await messaging_service.mark_read(
        db, reader=user, conversation_id=conversation_id, seq=body.seq
    )


@router.post("/conversations/{conversation_id}/unread", operation_id="mark_unread")
async def mark_unread(
    conversation_id: uuid.UUID, body: UnreadIn, db: DbSession, user: CurrentUser
) -> ConversationRead:
    return await messaging_service.mark_unread(
        db, reader=user, conversation_id=conversation_id, message_id=body.message_id
    )


@router.post("/conversations/{conversation_id}/archive", operation_id="archive_conversation")
async def archive_conversation(
    conversation_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> ConversationRead:
    return await messaging_service.configure(
        db, user=user, conversation_id=conversation_id, state=ParticipantState.ARCHIVED
    )


@router.post("/conversations/{conversation_id}/unarchive", operation_id="unarchive_conversation")
async def unarchive_conversation(
    conversation_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> ConversationRead:
    return await messaging_service.configure(
        db, user=user, conversation_id=conversation_id, state=ParticipantState.ACTIVE
    )


@router.post("/conversations/{conversation_id}/mute", operation_id="mute_conversation")
async def mute_conversation(
    conversation_id: uuid.UUID, body: MuteIn, db: DbSession, user: CurrentUser
) -> ConversationRead:
    return await messaging_service.configure(
        db, user=user, conversation_id=conversation_id, mute=body.duration
    )


@router.post("/conversations/{conversation_id}/unmute", operation_id="unmute_conversation")
async def unmute_conversation(
    conversation_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> ConversationRead:
    return await messaging_service.configure(
        db, user=user, conversation_id=conversation_id, unmute=True
    )


@router.put("/conversations/{conversation_id}/priority", operation_id="set_priority")
async def set_priority(
    conversation_id: uuid.UUID, body: PriorityIn, db: DbSession, user: CurrentUser
) -> ConversationRead:
    return await messaging_service.configure(
        db, user=user, conversation_id=conversation_id, priority=body.priority
    )


@router.delete("/conversations/{conversation_id}", operation_id="delete_conversation")
async def delete_conversation(
    conversation_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> ConversationRead:
    """Gone from your list only; it comes back when a new message arrives (MSG-12)."""
    return await messaging_service.configure(
        db, user=user, conversation_id=conversation_id, state=ParticipantState.DELETED
    )


@router.post(
    "/conversations/{conversation_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    operation_id="upload_attachment",
)
async def upload_attachment(
    conversation_id: uuid.UUID,
    request: Request,
    db: DbSession,
    user: CurrentUser,
    file: Annotated[UploadFile, File()],
) -> AttachmentRead:
    """MSG-4: an image (10 MB), a PDF (20 MB) or a voice note (10 MB, 300 s); send its id
    with a message within a day."""
    data = await file.read(UPLOAD_LIMIT + 1)
    if len(data) > UPLOAD_LIMIT:
        raise PayloadTooLarge("The file is larger than 20 MB.", field="file")
    if not data:
        raise ValidationFailed.field("file", "required_field", "The file is empty.")
    return await messaging_service.upload_attachment(
        db,
        request.app.state.runtime,
        uploader=user,
        conversation_id=conversation_id,
        filename=file.filename or "file",
        data=data,
    )


@router.get("/attachments/{attachment_id}", operation_id="get_attachment")
async def get_attachment(
    attachment_id: uuid.UUID, request: Request, db: DbSession, user: CurrentUser
) -> AttachmentRead:
    """Fresh links, signed for 15 minutes."""
    return await messaging_service.get_attachment(
        db, request.app.state.runtime, viewer=user, attachment_id=attachment_id
    )


@router.post(
    "/conversations/{conversation_id}/contact-requests",
    status_code=status.HTTP_201_CREATED,
    operation_id="request_contact_share_in_chat",
)
async def request_contact_share_in_chat(
    conversation_id: uuid.UUID,
    body: ShareRequestIn,
    request: Request,
    db: DbSession,
    user: VerifiedUser,
) -> ContactRequestRead:
    """MSG-10 from inside a 1:1 conversation; answered at /v1/contact-requests/{id}."""
    conversation, _ = await member(db, user.id, conversation_id)
    other = counterpart(conversation, user.id)
    if other is None:
        raise ValidationFailed.field(
            "conversation_id", "not_allowed", "Contacts are shared in 1:1 conversations."
        )
    return await contacts_service.request_contact(
        db,
        request.app.state.runtime,
        requester=user,
        recipient_id=other,
        fields=body.fields,
        note=body.note,
        method="share",
        conversation_id=conversation.id,
    )


@router.patch("/messages/{message_id}", operation_id="edit_message")
async def edit_message(
    message_id: uuid.UUID, body: MessageEditIn, request: Request, db: DbSession, user: CurrentUser
) -> MessageRead:
    """MSG-14: within 15 minutes, at most 10 times; earlier versions stay visible."""
    return await messaging_service.edit(
        db, request.app.state.runtime, editor=user, message_id=message_id, text=body.text
    )


@router.get("/messages/{message_id}/edits", operation_id="get_message_edits")
async def get_message_edits(
    message_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> list[EditRead]:
    return [
        EditRead(text=text, edited_at=at)
        for text, at in await messaging_service.edits(db, user=user, message_id=message_id)
    ]


@router.delete(
    "/messages/{message_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="delete_message"
)
async def delete_message(message_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    """MSG-13: for everyone; a numbered tombstone remains."""
    await messaging_service.delete(db, user=user, message_id=message_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/messages/{message_id}/reactions/{reaction}", operation_id="add_reaction")
async def add_reaction(
    message_id: uuid.UUID, reaction: Reaction, db: DbSession, user: CurrentUser
) -> Reactions:
    return Reactions(
        reactions=await messaging_service.react(
            db, user=user, message_id=message_id, reaction=reaction, on=True
        )
    )


@router.delete("/messages/{message_id}/reactions/{reaction}", operation_id="remove_reaction")
async def remove_reaction(
    message_id: uuid.UUID, reaction: Reaction, db: DbSession, user: CurrentUser
) -> Reactions:
    return Reactions(
        reactions=await messaging_service.react(
            db, user=user, message_id=message_id, reaction=reaction, on=False
        )
    )


@router.post(
    "/messages/{message_id}/reports",
    status_code=status.HTTP_201_CREATED,
    operation_id="report_message",
)
async def report_message(
    message_id: uuid.UUID, body: ReportIn, db: DbSession, user: CurrentUser
) -> ReportCreated:
    return ReportCreated(
        id=await messaging_service.report_message(
            db, reporter=user, message_id=message_id, reason=body.reason, details=body.details
        )
    )


@router.get("/messages/search", operation_id="search_messages")
async def search_messages(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    q: Annotated[str, Query(min_length=2, max_length=100)],
    conversation_id: uuid.UUID | None = None,
    sender_id: uuid.UUID | None = None,
    has_attachment: bool | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> SearchPage:
    """MSG-15: your own conversations only, newest first, with snippets."""
    return await messaging_service.search(
        db,
        request.app.state.runtime,
        viewer=user,
        q=q.strip(),
        conversation_id=conversation_id,
        sender_id=sender_id,
        has_attachment=has_attachment,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )


@router.get("/message-templates", operation_id="list_message_templates")
async def list_message_templates(db: DbSession, user: CurrentUser) -> list[TemplateRead]:
    return await messaging_service.list_templates(db, user=user)


@router.post(
    "/message-templates",
    status_code=status.HTTP_201_CREATED,
    operation_id="create_message_template",
)
async def create_message_template(
    body: TemplateIn, db: DbSession, user: CurrentUser
) -> TemplateRead:
    return await messaging_service.create_template(db, user=user, data=body)


@router.patch("/message-templates/{template_id}", operation_id="update_message_template")
async def update_message_template(
    template_id: uuid.UUID, body: TemplatePatch, db: DbSession, user: CurrentUser
) -> TemplateRead:
    return await messaging_service.update_template(
        db, user=user, template_id=template_id, data=body
    )


@router.delete(
    "/message-templates/{template_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_message_template",
)
async def delete_message_template(
    template_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> Response:
    await messaging_service.delete_template(db, user=user, template_id=template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/blocks/{user_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="block_user")
async def block_user(user_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    """GEN-15: both ways; idempotent."""
    await messaging_service.block(db, blocker=user, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/blocks/{user_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="unblock_user"
)
async def unblock_user(user_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    await messaging_service.unblock(db, blocker=user, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/blocks", operation_id="list_blocked_users")
async def list_blocked_users(db: DbSession, user: CurrentUser) -> list[BlockRead]:
    return await messaging_service.blocked_list(db, blocker=user)


@router.post(
    "/users/{user_id}/reports", status_code=status.HTTP_201_CREATED, operation_id="report_user"
)
async def report_user(
    user_id: uuid.UUID, body: ReportIn, db: DbSession, user: CurrentUser
) -> ReportCreated:
    return ReportCreated(
        id=await messaging_service.report_user(
            db, reporter=user, user_id=user_id, reason=body.reason, details=body.details
        )
    )


@router.get("/presence", operation_id="get_presence")
async def get_presence(
    db: DbSession,
    user: CurrentUser,
    user_ids: Annotated[list[uuid.UUID], Query(min_length=1, max_length=100)],
) -> list[PresenceRead]:
    """MSG-9: only people you share a conversation with."""
    return await messaging_service.presence_of(db, viewer=user, user_ids=user_ids)
