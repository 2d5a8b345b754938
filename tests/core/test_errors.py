from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts.models import User
from getmygrapher.core.runtime import Runtime
from tests.factories import make_user


def assert_problem(response_json: dict[str, object], status: int, code: str) -> None:
    assert response_json["status"] == status
    assert response_json["code"] == code
    assert response_json["type"] == f"https://getmygrapher.in/problems/{code}"
    assert {"title", "detail", "instance", "errors", "request_id"} <= set(response_json)


async def test_unknown_address_is_a_404_problem(api: AsyncClient) -> None:
    response = await api.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert_problem(response.json(), 404, "not_found")


async def test_wrong_method_is_a_405_problem(api: AsyncClient) -> None:
    response = await api.put("/healthz")
    assert response.status_code == 405
    assert_problem(response.json(), 405, "method_not_allowed")


async def test_malformed_json_is_a_400_problem(api: AsyncClient) -> None:
    response = await api.post(
        "/v1/auth/signup",
        content=b'{"email": "a@b.in", "pass',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert_problem(response.json(), 400, "malformed_request")


@pytest.mark.parametrize("payload", [b"[]", b"null", b'"text"', b"42"])
async def test_a_body_of_the_wrong_shape_is_a_422(api: AsyncClient, payload: bytes) -> None:
    response = await api.post(
        "/v1/auth/login", content=payload, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert_problem(response.json(), 422, "validation_failed")


async def test_oversized_bodies_are_refused_before_parsing(api: AsyncClient) -> None:
    body = b'{"email": "' + b"a" * 2_000_000 + b'@example.in", "password": "x"}'
    response = await api.post(
        "/v1/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_oversized_streamed_bodies_are_refused(api: AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"a" * 65_536

    response = await api.post(
        "/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_a_bad_content_length_is_refused(api: AsyncClient) -> None:
    response = await api.post(
        "/v1/auth/login",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": "abc"},
    )
    assert response.status_code == 400


async def test_unexpected_errors_are_500_without_internals(probe_api: AsyncClient) -> None:
    response = await probe_api.get("/probe/boom")
    assert response.status_code == 500
    assert_problem(response.json(), 500, "internal_error")
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text


async def test_request_ids_are_echoed_or_made(api: AsyncClient) -> None:
    given = await api.get("/healthz", headers={"X-Request-ID": "client-req-12345"})
    made = await api.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert given.headers["x-request-id"] == "client-req-12345"
    assert len(made.headers["x-request-id"]) == 32


async def test_responses_carry_the_server_time(api: AsyncClient) -> None:
    timing = (await api.get("/healthz")).headers["server-timing"]

    name, duration = timing.split(";dur=")
    assert name == "app"
    assert float(duration) >= 0


async def test_a_failed_commit_returns_503_and_keeps_nothing(
    failing_api: AsyncClient, session: AsyncSession, connection: object
) -> None:
    response = await failing_api.post(
        "/v1/auth/signup", json={"email": "commit@example.in", "password": "Harbour-lights-9"}
    )

    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert await session.scalar(select(func.count()).select_from(User)) == 0
    assert await session.scalar(text("SELECT count(*) FROM procrastinate_jobs")) == 0


async def test_metrics_count_requests_by_route(api: AsyncClient) -> None:
    await api.get("/healthz")
    await api.get("/v1/me")
    response = await api.get("/metrics")
    assert response.status_code == 200
    assert 'http_requests_total{method="GET",route="/healthz",status="200"}' in response.text
    assert 'route="/v1/me",status="401"' in response.text


async def test_openapi_lists_every_operation_with_its_id(api: AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    operation_ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {
        "sign_up",
        "sign_in",
        "refresh_session",
        "get_me",
        "update_me",
        "delete_me",
        "request_sign_in_code",
        "sign_in_with_google_token",
        "set_user_role",
    } <= operation_ids
    docs = await api.get("/docs")
    assert docs.status_code == 200


async def test_access_gates_answer_with_their_codes(
    probe_api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    unverified = await make_user(session, runtime, email_verified=False)
    verified = await make_user(session, runtime)
    onboarded = await make_user(session, runtime, onboarded=True)
    by_phone = await make_user(
        session,
        runtime,
        email_verified=False,
        phone="+919900112233",
        phone_verified=True,
        onboarded=True,
    )

    gate = await probe_api.get("/probe/verified", headers=unverified.headers)
    passes = await probe_api.get("/probe/verified", headers=verified.headers)
    not_onboarded = await probe_api.get("/probe/onboarded", headers=verified.headers)
    onboarded_ok = await probe_api.get("/probe/onboarded", headers=onboarded.headers)
    phone_ok = await probe_api.get("/probe/onboarded", headers=by_phone.headers)

    assert gate.status_code == 403
    assert gate.json()["code"] == "verification_required"
    assert passes.status_code == 200
    assert not_onboarded.status_code == 403
    assert not_onboarded.json()["code"] == "onboarding_incomplete"
    assert onboarded_ok.status_code == 200
    assert phone_ok.status_code == 200


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x", None]
)
async def test_a_json_operation_refuses_other_media_types(
    api: AsyncClient, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await api.post(
        "/v1/auth/login", content=b'{"email": "a@b.in", "password": "x"}', headers=headers
    )
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert_problem(response.json(), 415, "unsupported_media_type")


@pytest.mark.parametrize("content_type", ["application/json", "application/merge-patch+json"])
async def test_json_media_types_reach_validation(api: AsyncClient, content_type: str) -> None:
    response = await api.post(
        "/v1/auth/login", content=b'{"email": 1}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 422


async def test_an_upload_operation_refuses_json(api: AsyncClient) -> None:
    response = await api.post(
        "/v1/me/portfolio", json={"file": "aGVsbG8="}, headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 415
    assert response.json()["detail"] == "Send this request's body as multipart/form-data."


async def test_an_empty_body_is_left_to_validation(api: AsyncClient) -> None:
    response = await api.post("/v1/auth/login")
    assert response.status_code == 422
