"""Request and response models of messaging."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from getmygrapher.core.schemas import PlainText, RequestModel, ResponseModel
from getmygrapher.messaging.models import ConversationKind, MessageKind, ParticipantState, Priority

ClientKind = Literal["text", "image", "file", "voice", "job_inquiry"]
TemplateCategory = Literal[
    "job_inquiry", "booking_negotiation", "follow_up", "portfolio_share", "availability_check"
]
ReportReason = Literal[
    "spam", "harassment", "inappropriate_content", "fake_or_misleading", "scam_or_fraud", "other"
]
ConversationFilter = Literal[
    "all", "unread", "job_related", "booking_related", "contact_requests", "archived"
]
VariableName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")]
VariableValue = Annotated[str, PlainText(1, 200, multiline=False)]


class MessageIn(RequestModel):
    """MSG-2. Text is 1 to 2,000 characters, or empty with attachments; a template fills the
    text from its variables (MSG-16)."""

    kind: ClientKind = "text"
    text: Annotated[str, PlainText(0, 2000)] = ""
    attachment_ids: Annotated[list[uuid.UUID], Field(max_length=5)] = Field(default_factory=list)
    reply_to_id: uuid.UUID | None = None
    job_id: uuid.UUID | None = None
    template: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    variables: Annotated[dict[VariableName, VariableValue], Field(max_length=10)] = Field(
        default_factory=dict
    )
    client_message_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None

    @model_validator(mode="after")
    def has_content(self) -> Self:
        if not self.text and not self.attachment_ids and self.template is None:
            raise PydanticCustomError("required_field", "Write something or attach a file")
        if self.kind == "job_inquiry" and self.job_id is None:
            raise PydanticCustomError("required_field", "A job inquiry names its job")
        if self.kind in {"image", "file", "voice"} and not self.attachment_ids:
            raise PydanticCustomError("required_field", "Attach the file")
        return self


class ConversationCreate(RequestModel):
    participant_id: uuid.UUID
    message: MessageIn
    job_id: uuid.UUID | None = None


class GroupCreate(RequestModel):
    job_id: uuid.UUID
    participant_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=19)]
    message: MessageIn


class MemberIn(RequestModel):
    user_id: uuid.UUID


class MessageEditIn(RequestModel):
    text: Annotated[str, PlainText(1, 2000)]


class ReadIn(RequestModel):
    seq: Annotated[int, Field(ge=0)]


class UnreadIn(RequestModel):
    """Mark as unread from this message on (MSG-5)."""

    message_id: uuid.UUID


class MuteIn(RequestModel):
    duration: Literal["8h", "1w", "forever"]


class PriorityIn(RequestModel):
    priority: Priority


class TemplateIn(RequestModel):
    name: Annotated[str, PlainText(1, 50, multiline=False)]
    body: Annotated[str, PlainText(1, 1000)]
    category: TemplateCategory


class TemplatePatch(RequestModel):
    name: Annotated[str, PlainText(1, 50, multiline=False)] | None = None
    body: Annotated[str, PlainText(1, 1000)] | None = None
    category: TemplateCategory | None = None


class ReportIn(RequestModel):
    reason: ReportReason
    details: Annotated[str, PlainText(0, 1000)] | None = None


class ShareRequestIn(RequestModel):
    fields: Annotated[
        list[Literal["phone", "email", "whatsapp"]], Field(min_length=1, max_length=3)
    ]
    note: Annotated[str, PlainText(0, 500)] | None = None


class PresenceIn(RequestModel):
    status: Literal["online", "busy"]


# Responses ---------------------------------------------------------------------------------


class PersonSummary(ResponseModel):
    id: uuid.UUID
    full_name: str | None
    professional_type: str | None = None
    city: str | None = None


class AttachmentRead(ResponseModel):
    id: uuid.UUID
    kind: str
    content_type: str
    filename: str
    size_bytes: int
    width: int | None
    height: int | None
    duration_seconds: float | None
    url: str | None = None  # signed, for 15 minutes
    thumbnail_url: str | None = None


class MessageRead(ResponseModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    seq: int
    sender_id: uuid.UUID | None
    kind: MessageKind
    text: str
    masked: list[str]  # kinds of contact details hidden from this reader
    attachments: list[AttachmentRead]
    reply_to_id: uuid.UUID | None
    job_id: uuid.UUID | None
    data: dict[str, Any]
    reactions: dict[str, int]
    my_reactions: list[str] = Field(default_factory=list)
    edit_count: int
    edited_at: dt.datetime | None
    deleted: bool
    created_at: dt.datetime
    status: Literal["sent", "delivered", "read"] | None = None  # own messages only
    client_message_id: str | None = None


class MessagesPage(ResponseModel):
    items: list[MessageRead]
    has_more: bool
    read_seq: int


class ContactShareState(ResponseModel):
    state: Literal["none", "requested_by_me", "requested_by_them", "shared"]
    request_id: uuid.UUID | None = None
    fields_i_see: list[str] = Field(default_factory=list)


class ConversationRead(ResponseModel):
    id: uuid.UUID
    kind: ConversationKind
    job_id: uuid.UUID | None
    participants: list[PersonSummary]  # the others
    preview: str | None
    last_message_at: dt.datetime | None
    last_seq: int
    unread_count: int
    read_seq: int
    state: ParticipantState
    blocked: bool
    muted_until: dt.datetime | None
    priority: Priority
    booking_related: bool
    contact_share: ContactShareState | None = None
    created_at: dt.datetime


class ConversationsPage(ResponseModel):
    items: list[ConversationRead]
    next_cursor: str | None
    unread_total: int


class UnreadTotal(ResponseModel):
    unread_total: int


class SearchHit(ResponseModel):
    message: MessageRead
    snippet: str


class SearchPage(ResponseModel):
    items: list[SearchHit]
    next_cursor: str | None


class EditRead(ResponseModel):
    text: str
    edited_at: dt.datetime


class TemplateRead(ResponseModel):
    id: str
    name: str
    body: str
    category: str
    system: bool
    variables: list[str]


class BlockRead(ResponseModel):
    user: PersonSummary
    created_at: dt.datetime


class PresenceRead(ResponseModel):
    user_id: uuid.UUID
    status: Literal["online", "away", "busy", "offline"]
    last_seen_at: dt.datetime | None


class ReportCreated(ResponseModel):
    id: uuid.UUID
