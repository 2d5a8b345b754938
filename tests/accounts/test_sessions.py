from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid

import jwt
import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import ALGORITHM, TokenSigner, derive_key
from tests.conftest import LiveDatabase
from tests.factories import make_user

REFRESH = "/v1/auth/refresh"


async def test_refresh_rotates_the_token(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)

    first = await api.post(REFRESH, json={"refresh_token": person.tokens.refresh_token})
    second = await api.post(REFRESH, json={"refresh_token": first.json()["refresh_token"]})

    assert first.status_code == second.status_code == 200
    assert first.json()["refresh_token"] != person.tokens.refresh_token
    assert first.json()["session_id"] == str(person.tokens.session_id)
    me = await api.get(
        "/v1/me", headers={"Authorization": f"Bearer {second.json()['access_token']}"}
    )
    assert me.status_code == 200


async def test_reusing_a_rotated_refresh_token_ends_the_session(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    rotated = await api.post(REFRESH, json={"refresh_token": person.tokens.refresh_token})

    replay = await api.post(REFRESH, json={"refresh_token": person.tokens.refresh_token})
    newest = await api.post(REFRESH, json={"refresh_token": rotated.json()["refresh_token"]})
    access = await api.get(
        "/v1/me", headers={"Authorization": f"Bearer {rotated.json()['access_token']}"}
    )

    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_token_reused"
    assert newest.status_code == 401
    assert access.status_code == 401
    reason = await session.scalar(
        text("SELECT revoke_reason FROM auth_sessions WHERE id = :id"),
        {"id": person.tokens.session_id},
    )
    assert reason == "refresh_token_reused"


async def test_unknown_refresh_token_is_refused(api: AsyncClient) -> None:
    response = await api.post(REFRESH, json={"refresh_token": "x" * 43})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


async def test_expired_session_cannot_be_refreshed(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    await session.execute(text("UPDATE auth_sessions SET expires_at = now() - interval '1 s'"))
    await session.commit()
    response = await api.post(REFRESH, json={"refresh_token": person.tokens.refresh_token})
    assert response.status_code == 401


async def test_a_revoked_session_is_refused_at_once(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    other = await api.post(
        "/v1/auth/login", json={"email": person.email, "password": person.password}
    )
    other_headers = {"Authorization": f"Bearer {other.json()['access_token']}"}

    revoked = await api.delete(
        f"/v1/me/sessions/{other.json()['session_id']}", headers=person.headers
    )

    assert revoked.status_code == 204
    refused = await api.get("/v1/me", headers=other_headers)
    assert refused.status_code == 401
    assert refused.json()["code"] == "not_authenticated"
    assert (await api.get("/v1/me", headers=person.headers)).status_code == 200


async def test_sessions_list_shows_only_my_active_sessions(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    stranger = await make_user(session, runtime)

    response = await api.get("/v1/me/sessions", headers=person.headers)

    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["id"] for item in items] == [str(person.tokens.session_id)]
    assert items[0]["current"] is True
    assert response.json()["next_cursor"] is None
    foreign = await api.delete(
        f"/v1/me/sessions/{stranger.tokens.session_id}", headers=person.headers
    )
    assert foreign.status_code == 404
    assert (await api.get("/v1/me", headers=stranger.headers)).status_code == 200


async def test_sign_out_ends_this_session_or_all(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    second = (
        await api.post("/v1/auth/login", json={"email": person.email, "password": person.password})
    ).json()
    third = (
        await api.post("/v1/auth/login", json={"email": person.email, "password": person.password})
    ).json()

    one = await api.post("/v1/auth/logout", headers=person.headers)
    assert one.status_code == 204
    assert (await api.get("/v1/me", headers=person.headers)).status_code == 401
    assert (
        await api.get("/v1/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    ).status_code == 200

    everything = await api.post(
        "/v1/auth/logout",
        json={"all_sessions": True},
        headers={"Authorization": f"Bearer {third['access_token']}"},
    )
    assert everything.status_code == 204
    for tokens in (second, third):
        assert (
            await api.get("/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        ).status_code == 401
    assert (
        await api.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    ).status_code == 401


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "forge",
    [
        "expired",
        "wrong_key",
        "alg_none",
        "refresh_as_access",
        "garbage",
        "other_issuer",
        "missing_sid",
    ],
)
async def test_forged_or_expired_access_tokens_are_refused(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, forge: str
) -> None:
    person = await make_user(session, runtime)
    now = int(time.time())
    claims = {
        "iss": "getmygrapher",
        "sub": str(person.id),
        "sid": str(person.tokens.session_id),
        "role": "admin",
        "typ": "access",
        "iat": now,
        "exp": now + 600,
    }
    key = derive_key(runtime.settings.secret, "access-token")
    token = {
        "expired": lambda: jwt.encode(
            claims | {"exp": now - 1, "iat": now - 900}, key, algorithm=ALGORITHM
        ),
        "wrong_key": lambda: jwt.encode(claims, b"x" * 32, algorithm=ALGORITHM),
        "alg_none": lambda: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "refresh_as_access": lambda: jwt.encode(claims | {"typ": "mfa"}, key, algorithm=ALGORITHM),
        "garbage": lambda: "not.a.token",
        "other_issuer": lambda: jwt.encode(claims | {"iss": "evil"}, key, algorithm=ALGORITHM),
        "missing_sid": lambda: jwt.encode(
            {k: v for k, v in claims.items() if k != "sid"}, key, algorithm=ALGORITHM
        ),
    }[forge]()

    response = await api.get("/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_access_token_of_another_session_id_is_refused(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    token, _ = TokenSigner(runtime.settings).issue(
        user_id=person.id, session_id=uuid.uuid4(), role=person.user.role
    )
    response = await api.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_anonymous_callers_are_asked_to_sign_in(api: AsyncClient) -> None:
    response = await api.get("/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.live
async def test_parallel_refreshes_with_one_token_rotate_it_once(live: LiveDatabase) -> None:
    async with live.sessionmaker() as session:
        person = await make_user(session, live.runtime)
    responses = await asyncio.gather(
        *[
            live.api.post(REFRESH, json={"refresh_token": person.tokens.refresh_token})
            for _ in range(20)
        ]
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(200) == 1
    assert statuses.count(401) == 19
    # A replay of a spent token is an attack signal: the whole session ends.
    assert await live.scalar("SELECT revoke_reason FROM auth_sessions") == "refresh_token_reused"
    assert await live.scalar("SELECT count(*) FROM refresh_tokens WHERE replaced_at IS NULL") == 1
