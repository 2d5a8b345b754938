"""Idempotency-Key (GEN-6): a retried write replays the first answer instead of acting twice."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.errors import Conflict, ValidationFailed


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


_CLAIM = text(
    """
    INSERT INTO idempotency_keys (user_id, key, operation, request_hash)
    VALUES (:user_id, :key, :operation, :request_hash)
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING key
    """
)
_EXISTING = text(
    """
    SELECT operation, request_hash, status_code, response_body FROM idempotency_keys
    WHERE user_id = :user_id AND key = :key AND created_at > now() - interval '24 hours'
    """
)
_EXPIRED = text(
    """
    DELETE FROM idempotency_keys
    WHERE user_id = :user_id AND key = :key AND created_at <= now() - interval '24 hours'
    """
)
_STORE = text(
    """
    UPDATE idempotency_keys SET status_code = :status_code, response_body = CAST(:body AS jsonb)
    WHERE user_id = :user_id AND key = :key
    """
)


@dataclass
class Idempotency:
    key: str | None
    operation: str
    request_hash: str

    async def replay(self, db: AsyncSession, user_id: uuid.UUID) -> JSONResponse | None:
        """Claim the key for this request, or return the first answer given under it.

        A concurrent request with the same key waits on the unique index until the first one
        commits, then replays its answer.
        """
        if self.key is None:
            return None
        params = {"user_id": user_id, "key": self.key}
        await db.execute(_EXPIRED, params)
        claimed = await db.scalar(
            _CLAIM, params | {"operation": self.operation, "request_hash": self.request_hash}
        )
        if claimed is not None:
            return None
        row = (await db.execute(_EXISTING, params)).one()
        if row.operation != self.operation or row.request_hash != self.request_hash:
            raise IdempotencyKeyReused("This Idempotency-Key was used with a different request.")
        return JSONResponse(
            row.response_body, status_code=row.status_code, headers={"Idempotent-Replayed": "true"}
        )

    async def remember(
        self, db: AsyncSession, user_id: uuid.UUID, response: BaseModel | Any, *, status_code: int
    ) -> None:
        if self.key is None:
            return
        body = json.dumps(jsonable_encoder(response))
        await db.execute(
            _STORE, {"user_id": user_id, "key": self.key, "status_code": status_code, "body": body}
        )


async def idempotency(
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Idempotency:
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 255:
        raise ValidationFailed.field(
            "Idempotency-Key", "invalid_length", "Idempotency-Key must have 1 to 255 characters."
        )
    body = await request.body()
    digest = hashlib.sha256(
        request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
    ).hexdigest()
    route = request.scope.get("route")
    operation = getattr(route, "name", request.url.path)
    return Idempotency(key=idempotency_key, operation=operation, request_hash=digest)


async def required_idempotency(
    found: Annotated[Idempotency, Depends(idempotency)],
) -> Idempotency:
    """GEN-6: some writes (checkout, applying, booking) must carry a key."""
    if found.key is None:
        raise ValidationFailed.field(
            "Idempotency-Key", "required_field", "This request needs an Idempotency-Key header."
        )
    return found


IdempotencyKey = Annotated[Idempotency, Depends(idempotency)]
RequiredIdempotencyKey = Annotated[Idempotency, Depends(required_idempotency)]
