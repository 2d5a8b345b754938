"""HTTP endpoints of in-app notifications."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from getmygrapher.core.db import DbSession
from getmygrapher.core.pagination import Cursor, Limit
from getmygrapher.core.security import CurrentUser
from getmygrapher.notifications import service as notifications_service
from getmygrapher.notifications.schemas import (
    ChatSettings,
    ChatSettingsIn,
    Marked,
    NotificationsPage,
)

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


@router.get("", operation_id="list_notifications")
async def list_notifications(
    db: DbSession, user: CurrentUser, limit: Limit = None, cursor: Cursor = None
) -> NotificationsPage:
    return await notifications_service.list_notifications(
        db, user_id=user.id, limit=limit, cursor=cursor
    )


@router.post("/read", operation_id="mark_all_notifications_read")
async def mark_all_notifications_read(db: DbSession, user: CurrentUser) -> Marked:
    return Marked(
        marked=await notifications_service.mark_read(db, user_id=user.id, notification_id=None)
    )


@router.post("/{notification_id}/read", operation_id="mark_notification_read")
async def mark_notification_read(
    notification_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> Marked:
    return Marked(
        marked=await notifications_service.mark_read(
            db, user_id=user.id, notification_id=notification_id
        )
    )


@router.delete(
    "/{notification_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="delete_notification"
)
async def delete_notification(
    notification_id: uuid.UUID, db: DbSession, user: CurrentUser
) -> Response:
    await notifications_service.delete_notification(
        db, user_id=user.id, notification_id=notification_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


me_router = APIRouter(prefix="/v1/me", tags=["notifications"])


@me_router.get("/chat-settings", operation_id="get_chat_settings")
async def get_chat_settings(db: DbSession, user: CurrentUser) -> ChatSettings:
    """Read receipts (MSG-5), typing indicators (MSG-7) and presence (MSG-9)."""
    found = (await notifications_service.chat_preferences(db, [user.id]))[user.id]
    return ChatSettings.model_validate(found, from_attributes=True)


@me_router.patch("/chat-settings", operation_id="update_chat_settings")
async def update_chat_settings(
    body: ChatSettingsIn, db: DbSession, user: CurrentUser
) -> ChatSettings:
    changes = {
        name: value
        for name, value in body.model_dump(exclude_unset=True).items()
        if value is not None
    }
    found = await notifications_service.update_chat_preferences(
        db, user_id=user.id, changes=changes
    )
    return ChatSettings.model_validate(found, from_attributes=True)
