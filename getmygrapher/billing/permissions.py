"""Audience dependencies of the billing area: Pro features enforced on the server (PAY-14)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from getmygrapher.billing import service as billing_service
from getmygrapher.core.db import DbSession
from getmygrapher.core.security import CurrentUser, Principal, current_principal


def require_feature(feature: str) -> Callable[..., Awaitable[Principal]]:
    """`Depends(require_feature("calendar_privacy"))`: the signed-in user, if their plan has it."""

    async def check(
        principal: Annotated[Principal, Depends(current_principal)], db: DbSession
    ) -> Principal:
        await billing_service.require_feature(db, user_id=principal.id, feature=feature)
        return principal

    return check


__all__ = ["CurrentUser", "require_feature"]
