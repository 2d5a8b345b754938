"""Request and response models of contact requests, grants and the shared timeline."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from getmygrapher.contacts.models import ConsentStatus
from getmygrapher.core.schemas import PlainText, RequestModel, ResponseModel

Field_ = Literal["phone", "email", "whatsapp"]
Note = Annotated[str, PlainText(0, 500)]


class ProfileContactRequest(RequestModel):
    """CRQ-1: from a profile, one method; `message` opens a conversation instead."""

    method: Literal["phone", "email", "whatsapp", "message"]
    note: Note | None = None


class ConversationOpened(ResponseModel):
    """CRQ-1 `message`: where to continue; `created` is false for the pair's existing chat."""

    method: Literal["message"] = "message"
    conversation_id: uuid.UUID
    created: bool


class ContactRequestIn(RequestModel):
    """MSG-10: fields asked for (and offered in return)."""

    recipient_id: uuid.UUID
    fields: Annotated[list[Field_], Field(min_length=1, max_length=3)]
    note: Note | None = None

    @model_validator(mode="after")
    def distinct(self) -> Self:
        if len(set(self.fields)) != len(self.fields):
            raise PydanticCustomError("duplicate", "Each field only once")
        return self


class ContactAnswer(RequestModel):
    accept: Annotated[list[Field_], Field(max_length=3)] | None = None
    decline: bool = False

    @model_validator(mode="after")
    def one_answer(self) -> Self:
        if self.decline == bool(self.accept):
            raise PydanticCustomError(
                "invalid_format", "Either accept some fields or decline, not both"
            )
        return self


class RevokeIn(RequestModel):
    fields: Annotated[list[Field_], Field(min_length=1, max_length=3)] | None = None


class SharedContact(ResponseModel):
    """The other person's details that they have shared with the caller, and nothing else."""

    user_id: uuid.UUID
    phone: str | None = None
    email: str | None = None
    whatsapp: str | None = None


class ContactRequestRead(ResponseModel):
    id: uuid.UUID
    requester_id: uuid.UUID
    recipient_id: uuid.UUID
    method: str
    fields: list[str]
    accepted_fields: list[str]
    note: str | None
    status: ConsentStatus
    expires_at: dt.datetime
    responded_at: dt.datetime | None
    created_at: dt.datetime
    shared: SharedContact | None = None


class ContactEventRead(ResponseModel):
    id: uuid.UUID
    request_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    action: str
    fields: list[str]
    at: dt.datetime
