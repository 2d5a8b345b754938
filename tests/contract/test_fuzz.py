"""The API against its own document: schemathesis generates requests from the OpenAPI schema
(its examples, boundary values and random data), sends them to the app in-process as a real
signed-in user, and checks every answer against what the document promises."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from getmygrapher.core.config import Settings
from getmygrapher.main import build_runtime, create_app
from tests.fakes.gateways import SmsGateway
from tests.fakes.smtp import Mailbox
from tests.profiles.helpers import STEPS

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EMAIL = "fuzz.photographer@example.in"
PASSWORD = "monsoon-lens-2026"
PHONE = "+919812377001"
# Operations whose success ends the signed-in session the rest of the run needs.
SESSION_ENDING = {"sign_out", "delete_me", "revoke_session", "change_password", "set_role"}


def _sign_in(client: Any, mailbox: Mailbox, sms_gateway: SmsGateway) -> str:
    signup = client.post(
        "/v1/auth/signup", json={"email": EMAIL, "password": PASSWORD, "full_name": "Fuzz Nair"}
    )
    assert signup.status_code == 202, signup.text
    token = mailbox.last(EMAIL, timeout=30).token()  # sent by the app's own worker
    verified = client.post("/v1/auth/verify-email", json={"token": token})
    assert verified.status_code == 200, verified.text
    login = client.post("/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert login.status_code == 200, login.text
    access = str(login.json()["access_token"])
    headers = {"Authorization": f"Bearer {access}"}
    assert client.post("/v1/me/phone", json={"phone": PHONE}, headers=headers).status_code == 202
    deadline = time.monotonic() + 30
    while not sms_gateway.codes_for(PHONE) and time.monotonic() < deadline:
        time.sleep(0.05)  # sent by the app's own worker
    code = sms_gateway.codes_for(PHONE)[-1]
    phone = client.post("/v1/me/phone/verify", json={"code": code}, headers=headers)
    assert phone.status_code == 200, phone.text
    for step, body in STEPS:
        done = client.put(f"/v1/me/onboarding/{step}", json=body, headers=headers)
        assert done.status_code == 200, (step, done.text)
    assert client.post("/v1/me/onboarding/complete", headers=headers).status_code == 200
    return access


@pytest.fixture(scope="module")
def fuzzed_app(
    scratch_database_url: str, settings: Settings, mailbox: Mailbox, sms_gateway: SmsGateway
) -> Iterator[tuple[Any, str]]:
    """The real app on its own committed database, with its worker, limits out of the way."""
    fuzz_settings = settings.model_copy(
        update={
            "writes_per_minute": 1_000_000,
            "signin_failures_per_15min": 1_000_000,
            "access_token_minutes": 60,
        }
    )
    runtime = build_runtime(fuzz_settings, scratch_database_url)
    app = create_app(runtime, database_url=scratch_database_url, run_worker=True, owns_runtime=True)
    with asgi.get_client(app) as client:
        yield app, _sign_in(client, mailbox, sms_gateway)


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: tuple[Any, str]) -> Any:
    app, _ = fuzzed_app
    return schemathesis.openapi.from_asgi("/openapi.json", app).exclude(
        operation_id=sorted(SESSION_ENDING)
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(case: Any, fuzzed_app: tuple[Any, str]) -> None:
    _, token = fuzzed_app
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
