"""Data export (DATA-1): everything the user has given us, gathered from every area."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.availability import service as availability_service
from getmygrapher.billing import service as billing_service
from getmygrapher.contacts import service as contacts_service
from getmygrapher.core.time import utcnow
from getmygrapher.jobs import service as jobs_service
from getmygrapher.messaging import service as messaging_service
from getmygrapher.profiles import service as profiles_service


async def export_user(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, Any]:
    account = await accounts_service.account_summary(session, user_id=user_id)
    return {
        "exported_at": utcnow().isoformat(),
        "account": {
            "id": str(user_id),
            "full_name": account.full_name if account else None,
            "email": account.email if account else None,
            "phone": account.phone if account else None,
            "email_verified": account.email_verified if account else None,
            "phone_verified": account.phone_verified if account else None,
            "role": account.role.value if account else None,
        },
        **await profiles_service.export_user(session, user_id=user_id),
        "calendar_settings": await availability_service.get_settings(session, user_id=user_id),
        **await contacts_service.export_user(session, user_id=user_id),
        **await jobs_service.export_user(session, user_id=user_id),
        **await billing_service.export_user(session, user_id=user_id),
        **await messaging_service.export_user(session, user_id=user_id),
    }
