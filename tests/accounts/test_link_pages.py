"""The links in e-mails: to the web app when WEB_APP_URL is set, otherwise to small HTML pages
of the API that say what happened in words."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.accounts import pages
from getmygrapher.accounts.models import User
from getmygrapher.core.runtime import Runtime
from tests.factories import make_user
from tests.fakes.smtp import Mailbox
from tests.taskqueue import run_jobs

SIGNUP, FORGOT, LOGIN = "/v1/auth/signup", "/v1/auth/password/forgot", "/v1/auth/login"
VERIFY_PAGE, RESET_PAGE = "/v1/auth/verify-email/page", "/v1/auth/password/reset/page"
EMAIL, PASSWORD = "meera.nair@example.in", "Backwaters-2026"
NEW_PASSWORD = "Monsoon-rains-77"

VERIFIED_WORDS = "Your e-mail address is verified. You can sign in now."
ALREADY_WORDS = "Your e-mail address was already verified. You can sign in now."
EXPIRED_WORDS = "This link has expired or was already used. Request a new one from the app."


def relative(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def assert_page(response: Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.startswith("<!doctype html>")
    assert '<html lang="en">' in response.text
    assert response.text.count("<h1>") == 1
    assert re.search(r"<title>[^<]+</title>", response.text)
    assert words in response.text


async def signed_up(api: AsyncClient, connection: AsyncConnection, mailbox: Mailbox) -> str:
    """The verification link mailed after a sign-up."""
    assert (await api.post(SIGNUP, json={"email": EMAIL, "password": PASSWORD})).status_code == 202
    await run_jobs(connection)
    return mailbox.last(EMAIL).link()


async def reset_link(
    api: AsyncClient, connection: AsyncConnection, mailbox: Mailbox, email: str
) -> str:
    assert (await api.post(FORGOT, json={"email": email})).status_code == 202
    await run_jobs(connection)
    return mailbox.last(email).link()


def form(token: str, new: str = NEW_PASSWORD, confirm: str | None = None) -> dict[str, str]:
    return {
        "token": token,
        "new_password": new,
        "confirm_password": new if confirm is None else confirm,
    }


# Where the links point ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "web_app_url", ["https://app.getmygrapher.in", "https://app.getmygrapher.in/"]
)
async def test_links_open_the_web_app_when_one_is_configured(
    harness: Any,
    runtime: Runtime,
    session: AsyncSession,
    connection: AsyncConnection,
    mailbox: Mailbox,
    web_app_url: str,
) -> None:
    settings = runtime.settings.model_copy(update={"web_app_url": web_app_url})
    configured = harness.runtime(runtime.sessionmaker, settings=settings)
    api = harness.client(configured)
    person = await make_user(session, configured)

    verify = await signed_up(api, connection, mailbox)
    reset = await reset_link(api, connection, mailbox, person.email)

    assert re.fullmatch(r"https://app\.getmygrapher\.in/verify-email\?token=[\w%-]+", verify)
    assert re.fullmatch(r"https://app\.getmygrapher\.in/reset-password\?token=[\w%-]+", reset)
    # The web app posts the token to the JSON API, which is unchanged.
    token = urlsplit(verify).query.removeprefix("token=")
    verified = await api.post("/v1/auth/verify-email", json={"token": token})
    assert verified.json() == {"status": "verified"}


async def test_links_open_pages_of_the_api_without_a_web_app(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    assert runtime.settings.web_app_url is None
    person = await make_user(session, runtime)

    verify = await signed_up(api, connection, mailbox)
    reset = await reset_link(api, connection, mailbox, person.email)

    assert re.fullmatch(rf"http://test{VERIFY_PAGE}\?token=[\w%-]+", verify)
    assert re.fullmatch(rf"http://test{RESET_PAGE}\?token=[\w%-]+", reset)


async def test_an_email_change_link_opens_the_verification_page(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    await api.patch("/v1/me", headers=person.headers, json={"email": "new.address@example.in"})
    await run_jobs(connection)
    link = mailbox.last("new.address@example.in").link()

    assert urlsplit(link).path == VERIFY_PAGE
    assert_page(await api.get(relative(link)), 200, VERIFIED_WORDS)
    me = await session.scalar(select(User).where(User.id == person.id))
    assert me is not None
    await session.refresh(me)
    assert me.email == "new.address@example.in"


# The verification page ---------------------------------------------------------------------------


async def test_the_verification_page_verifies_the_address_and_says_so_in_words(
    api: AsyncClient, connection: AsyncConnection, mailbox: Mailbox
) -> None:
    link = await signed_up(api, connection, mailbox)

    opened = await api.get(relative(link))

    assert_page(opened, 200, VERIFIED_WORDS)
    assert '"status"' not in opened.text
    signed_in = await api.post(LOGIN, json={"email": EMAIL, "password": PASSWORD})
    me = await api.get(
        "/v1/me", headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    )
    assert me.json()["email_verified"] is True


async def test_opening_the_verification_link_again_says_it_was_already_verified(
    api: AsyncClient, connection: AsyncConnection, mailbox: Mailbox
) -> None:
    link = await signed_up(api, connection, mailbox)

    first = await api.get(relative(link))
    second = await api.get(relative(link))

    assert_page(first, 200, VERIFIED_WORDS)
    assert_page(second, 200, ALREADY_WORDS)


async def test_an_expired_verification_link_says_so_with_400(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, mailbox: Mailbox
) -> None:
    link = await signed_up(api, connection, mailbox)
    await session.execute(text("UPDATE email_tokens SET expires_at = now() - interval '1 second'"))
    await session.commit()

    response = await api.get(relative(link))

    assert_page(response, 400, EXPIRED_WORDS)
    user = await session.scalar(select(User).where(User.email == EMAIL))
    assert user is not None
    assert user.email_verified is False


@pytest.mark.parametrize(
    "query", ["", "?token=", "?token=not-a-token-we-ever-sent", "?token=" + "x" * 5000]
)
async def test_an_unknown_verification_link_says_so_with_400(api: AsyncClient, query: str) -> None:
    assert_page(await api.get(VERIFY_PAGE + query), 400, EXPIRED_WORDS)


async def test_a_verification_link_for_an_address_taken_meanwhile_says_so(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    await api.patch("/v1/me", headers=person.headers, json={"email": "wanted@example.in"})
    await run_jobs(connection)
    link = mailbox.last("wanted@example.in").link()
    await make_user(session, runtime, email="wanted@example.in")

    response = await api.get(relative(link))

    assert_page(response, 409, "Another account now uses this e-mail address")
    user = await session.scalar(select(User).where(User.id == person.id))
    assert user is not None
    await session.refresh(user)
    assert user.email == person.email


# The password-reset page -------------------------------------------------------------------------


async def test_opening_the_reset_link_shows_a_form_and_does_not_spend_it(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    link = await reset_link(api, connection, mailbox, person.email)
    token = urlsplit(link).query.removeprefix("token=")

    first = await api.get(relative(link))
    second = await api.get(relative(link))  # a mail scanner, then the person

    for page in (first, second):
        assert_page(page, 200, "Choose a new password for your GetMyGrapher account.")
        assert f'<form method="post" action="{RESET_PAGE}">' in page.text
        assert f'<input type="hidden" name="token" value="{token}">' in page.text
        assert 'name="new_password" type="password" autocomplete="new-password"' in page.text
        assert 'name="confirm_password" type="password"' in page.text
        assert '<label for="new_password">' in page.text
    done = await api.post(RESET_PAGE, data=form(token))
    assert_page(done, 200, "You can sign in with your new password now.")


async def test_submitting_the_reset_form_sets_the_password_and_ends_every_session(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    token = urlsplit(await reset_link(api, connection, mailbox, person.email)).query[6:]

    done = await api.post(
        RESET_PAGE,
        content=f"token={token}&new_password={NEW_PASSWORD}&confirm_password={NEW_PASSWORD}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    await run_jobs(connection)

    assert_page(done, 200, "Your password is changed and every session was signed out.")
    assert (await api.get("/v1/me", headers=person.headers)).status_code == 401
    old = await api.post(LOGIN, json={"email": person.email, "password": person.password})
    new = await api.post(LOGIN, json={"email": person.email, "password": NEW_PASSWORD})
    assert old.status_code == 401
    assert new.status_code == 200
    assert "was just reset" in mailbox.last(person.email).body
    # The link is spent now, on the page and in the JSON API alike.
    assert_page(await api.get(f"{RESET_PAGE}?token={token}"), 400, EXPIRED_WORDS)
    assert_page(await api.post(RESET_PAGE, data=form(token, "Another-one-88")), 400, EXPIRED_WORDS)
    again = await api.post(
        "/v1/auth/password/reset", json={"token": token, "new_password": "Another-one-88"}
    )
    assert again.status_code == 400


@pytest.mark.parametrize(
    ("new", "confirm", "words"),
    [
        (NEW_PASSWORD, "Monsoon-rains-78", "The two passwords do not match."),
        ("password1", None, "This password is too common."),
        ("short1", None, "Use 8 to 128 characters, with at least one letter and one digit."),
        ("onlyletters", None, "Use at least one letter and one digit."),
        ("", None, "Use 8 to 128 characters"),
        ("EMAIL", None, "The password must not be your e-mail address."),
    ],
)
async def test_a_refused_password_shows_the_form_again_and_keeps_the_link(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
    new: str,
    confirm: str | None,
    words: str,
) -> None:
    person = await make_user(session, runtime)
    token = urlsplit(await reset_link(api, connection, mailbox, person.email)).query[6:]
    new = person.email.upper() if new == "EMAIL" else new

    refused = await api.post(RESET_PAGE, data=form(token, new, confirm))

    assert_page(refused, 422, words)
    assert 'role="alert"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert f'<input type="hidden" name="token" value="{token}">' in refused.text
    assert new not in re.findall(r'value="([^"]*)"', refused.text)  # never echoed
    old = await api.post(LOGIN, json={"email": person.email, "password": person.password})
    assert old.status_code == 200
    assert_page(await api.post(RESET_PAGE, data=form(token)), 200, "Password changed")


async def test_an_expired_reset_link_says_so_on_both_pages(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    link = await reset_link(api, connection, mailbox, person.email)
    await session.execute(text("UPDATE email_tokens SET expires_at = now() - interval '1 second'"))
    await session.commit()
    token = urlsplit(link).query[6:]

    assert_page(await api.get(relative(link)), 400, EXPIRED_WORDS)
    assert_page(await api.post(RESET_PAGE, data=form(token)), 400, EXPIRED_WORDS)
    assert_page(await api.post(RESET_PAGE, data={}), 400, EXPIRED_WORDS)
    signed_in = await api.post(LOGIN, json={"email": person.email, "password": person.password})
    assert signed_in.status_code == 200


async def test_a_verification_token_does_not_open_the_reset_form(
    api: AsyncClient, connection: AsyncConnection, mailbox: Mailbox
) -> None:
    token = urlsplit(await signed_up(api, connection, mailbox)).query[6:]

    assert_page(await api.get(f"{RESET_PAGE}?token={token}"), 400, EXPIRED_WORDS)
    assert_page(await api.post(RESET_PAGE, data=form(token)), 400, EXPIRED_WORDS)


async def test_the_reset_form_accepts_only_form_bodies(api: AsyncClient) -> None:
    response = await api.post(RESET_PAGE, json=form("t" * 43))

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


# Safety ------------------------------------------------------------------------------------------


async def test_every_page_is_sent_with_strict_security_headers(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    mailbox: Mailbox,
) -> None:
    person = await make_user(session, runtime)
    token = urlsplit(await reset_link(api, connection, mailbox, person.email)).query[6:]
    responses = [
        await api.get(VERIFY_PAGE + "?token=unknown"),
        await api.get(f"{RESET_PAGE}?token={token}"),
        await api.post(RESET_PAGE, data=form(token, confirm="different-1")),
        await api.post(RESET_PAGE, data=form(token)),
    ]

    assert [r.status_code for r in responses] == [400, 200, 422, 200]
    for response in responses:
        headers = response.headers
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert headers["cache-control"] == "no-store"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        policy = dict(
            part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";")
        )
        assert policy["default-src"] == "'none'"
        assert policy["form-action"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        assert policy["base-uri"] == "'none'"
        # The one inline style is allowed by its hash, nothing else.
        style = re.search(r"<style>(.*?)</style>", response.text, re.DOTALL)
        assert style is not None
        digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
        assert policy["style-src"] == f"'sha256-{digest}'"
        assert "<script" not in response.text


async def test_markup_in_the_token_is_never_rendered(api: AsyncClient) -> None:
    evil = '"><script>alert(1)</script><img src=x onerror=alert(1)>'

    for response in (
        await api.get(VERIFY_PAGE, params={"token": evil}),
        await api.get(RESET_PAGE, params={"token": evil}),
        await api.post(RESET_PAGE, data=form(evil)),
    ):
        assert response.status_code == 400
        assert "<script" not in response.text
        assert "<img" not in response.text


def test_the_form_escapes_what_it_echoes() -> None:
    evil = '"><script>alert(1)</script>'

    page = pages.reset_form(422, action='/x"><b>', token=evil, error="<i>wrong</i>").body.decode()

    assert "<script" not in page
    assert "<b>" not in page
    assert "<i>" not in page
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert "&lt;i&gt;wrong&lt;/i&gt;" in page


async def test_the_pages_are_in_the_api_document_as_html(api: AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()

    operations = {
        ("get", VERIFY_PAGE): {"200", "400", "409"},
        ("get", RESET_PAGE): {"200", "400"},
        ("post", RESET_PAGE): {"200", "400", "422"},
    }
    for (method, path), statuses in operations.items():
        responses = document["paths"][path][method]["responses"]
        for status in statuses:
            assert "text/html" in responses[status]["content"], (method, path, status)
    body = document["paths"][RESET_PAGE]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in body
