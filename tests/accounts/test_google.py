from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.runtime import Runtime
from tests.factories import make_user
from tests.fakes.google import FakeGoogle

TOKEN = "/v1/auth/google/token"


async def test_a_new_google_user_gets_an_account_with_a_verified_address(
    api: AsyncClient, session: AsyncSession, google: FakeGoogle
) -> None:
    id_token = google.id_token(sub="g-1001", email="Priya.Sharma@gmail.com", name="Priya Sharma")

    response = await api.post(TOKEN, json={"id_token": id_token})

    assert response.status_code == 200
    assert response.json()["created_account"] is True
    me = (
        await api.get(
            "/v1/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
        )
    ).json()
    assert me["email"] == "priya.sharma@gmail.com"
    assert me["email_verified"] is True
    assert me["full_name"] == "Priya Sharma"
    assert me["has_password"] is False
    again = await api.post(TOKEN, json={"id_token": id_token})
    assert again.json()["created_account"] is False


async def test_google_links_to_the_account_with_that_verified_address(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, google: FakeGoogle
) -> None:
    person = await make_user(session, runtime)

    response = await api.post(
        TOKEN, json={"id_token": google.id_token(sub="g-2002", email=person.email)}
    )

    assert response.status_code == 200
    assert response.json()["created_account"] is False
    linked = await session.scalar(
        text("SELECT user_id FROM identities WHERE provider = 'google' AND subject = 'g-2002'")
    )
    assert linked == person.id
    password = await api.post(
        "/v1/auth/login", json={"email": person.email, "password": person.password}
    )
    assert password.status_code == 200


async def test_an_unproven_registration_of_the_address_loses_its_password(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, google: FakeGoogle
) -> None:
    squatter = await make_user(session, runtime, email="victim@gmail.com", email_verified=False)

    response = await api.post(
        TOKEN, json={"id_token": google.id_token(sub="g-3003", email="victim@gmail.com")}
    )

    assert response.status_code == 200
    assert (await api.get("/v1/me", headers=squatter.headers)).status_code == 401
    old_password = await api.post(
        "/v1/auth/login", json={"email": "victim@gmail.com", "password": squatter.password}
    )
    assert old_password.status_code == 401


@pytest.mark.parametrize(
    "problem",
    ["audience", "issuer", "expired", "unverified", "foreign_key", "unknown_kid", "hs256"],
)
async def test_google_tokens_that_fail_a_check_are_refused(
    api: AsyncClient, session: AsyncSession, google: FakeGoogle, problem: str
) -> None:
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    base = {"sub": "g-4004", "email": "someone@gmail.com"}
    token = {
        "audience": lambda: google.id_token(**base, aud="another-app"),
        "issuer": lambda: google.id_token(**base, iss="https://evil.example"),
        "expired": lambda: google.id_token(**base, expires_in=-120),
        "unverified": lambda: google.id_token(**base, email_verified=False),
        "foreign_key": lambda: google.id_token(**base, key=stranger_key),
        "unknown_kid": lambda: google.id_token(**base, key=stranger_key, kid="rotated"),
        "hs256": lambda: google.id_token(
            **base, key="shared-secret-shared-secret-32b!", algorithm="HS256"
        ),
    }[problem]()

    response = await api.post(TOKEN, json={"id_token": token})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_google_token"
    assert await session.scalar(text("SELECT count(*) FROM users")) == 0


async def test_web_sign_in_uses_pkce_and_a_single_use_state(
    api: AsyncClient, session: AsyncSession, google: FakeGoogle
) -> None:
    started = await api.get("/v1/auth/google/authorize")
    url = started.json()["authorization_url"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    code = google.consent(url, sub="g-5005", email="kavya@gmail.com")

    finished = await api.post(
        "/v1/auth/google/callback", json={"code": code, "state": started.json()["state"]}
    )
    replay = await api.post(
        "/v1/auth/google/callback", json={"code": code, "state": started.json()["state"]}
    )

    assert started.status_code == 200
    assert query["code_challenge_method"] == "S256"
    assert query["scope"] == "openid email profile"
    assert "code_verifier" not in url
    assert finished.status_code == 200
    assert finished.json()["created_account"] is True
    assert replay.status_code == 400
    assert replay.json()["code"] == "invalid_token"


async def test_web_sign_in_with_a_code_google_refuses(api: AsyncClient, google: FakeGoogle) -> None:
    started = (await api.get("/v1/auth/google/authorize")).json()
    response = await api.post(
        "/v1/auth/google/callback", json={"code": "made-up", "state": started["state"]}
    )
    assert response.status_code == 401


async def test_google_sign_in_is_off_without_a_client_id(
    harness: object, connection: object
) -> None:
    from tests.conftest import Harness, _savepoint_sessionmaker

    assert isinstance(harness, Harness)
    settings = harness.settings.model_copy(update={"google_client_id": None})
    client = harness.client(
        harness.runtime(
            _savepoint_sessionmaker(connection),  # type: ignore[arg-type]
            settings=settings,
        )
    )

    response = await client.get("/v1/auth/google/authorize")

    assert response.status_code == 404
    assert response.json()["code"] == "google_not_configured"
