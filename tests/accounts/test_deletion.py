from __future__ import annotations

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.core.runtime import Runtime
from tests.factories import make_user
from tests.taskqueue import pending_jobs, run_jobs

DELETE = {"confirm": "DELETE"}


async def _rows_mentioning(session: AsyncSession, *needles: str) -> list[str]:
    """Every row of every table whose text form contains one of `needles`."""
    tables = (
        await session.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        )
    ).all()
    found = []
    for table in tables:
        for needle in needles:
            hits = await session.scalar(
                text(f'SELECT count(*) FROM "{table}" t WHERE t::text ILIKE :needle'),
                {"needle": f"%{needle}%"},
            )
            if hits:
                found.append(f"{table}: {needle}")
    return found


async def test_deleting_the_account_ends_sessions_now_and_erases_after_cooling_off(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, runtime: Runtime
) -> None:
    person = await make_user(
        session, runtime, phone="+919812345678", phone_verified=True, full_name="Zoya Fernandes"
    )
    await api.post("/v1/me/totp", headers=person.headers)
    await api.post("/v1/auth/password/forgot", json={"email": person.email})
    friend = await make_user(session, runtime, onboarded=True)
    opened = await api.post(
        "/v1/conversations",
        json={
            "participant_id": str(friend.id),
            "message": {"text": "Zoya Fernandes here, call 9812345678", "client_message_id": "z"},
        },
        headers=person.headers,
    )
    template = await api.post(
        "/v1/message-templates",
        json={
            "name": "Zoya intro",
            "body": "Zoya Fernandes, wedding films",
            "category": "follow_up",
        },
        headers=person.headers,
    )
    await run_jobs(connection)

    response = await api.request("DELETE", "/v1/me", headers=person.headers, json=DELETE)

    assert opened.status_code == 201, opened.text
    assert template.status_code == 201, template.text
    assert response.status_code == 202
    assert (await api.get("/v1/me", headers=person.headers)).status_code == 401
    assert await pending_jobs(connection) == [
        "accounts.purge_account",
        "accounts.send_security_notice",
    ]
    await run_jobs(connection)  # the notice goes; the purge waits for its date
    assert await pending_jobs(connection) == ["accounts.purge_account"]
    await session.execute(
        text("UPDATE users SET deletion_requested_at = now() - interval '31 days'")
    )
    await session.commit()
    await run_jobs(connection, include_scheduled=True)

    assert await _rows_mentioning(session, person.email, "9812345678", "Zoya", "Fernandes") == []
    user = (
        await session.execute(
            text("SELECT status, email, phone, full_name, password_hash FROM users WHERE id = :id"),
            {"id": person.id},
        )
    ).one()
    assert tuple(user) == ("deleted", None, None, None, None)
    chat = opened.json()["conversation"]["id"]
    history = await api.get(f"/v1/conversations/{chat}/messages", headers=friend.headers)
    assert [m["text"] for m in history.json()["items"]] == [""]  # a tombstone in their history
    for table in (
        "profiles",
        "onboarding",
        "notification_preferences",
        "calendar_settings",
        "auth_sessions",
        "email_tokens",
        "identities",
    ):
        count = await session.scalar(
            text(f"SELECT count(*) FROM {table} WHERE user_id = :id"),
            {"id": person.id},
        )
        assert count == 0, table
    erased = await session.scalar(
        text("SELECT count(*) FROM audit_log WHERE action = 'account.erased' AND target_id = :id"),
        {"id": str(person.id)},
    )
    assert erased == 1


async def test_signing_in_during_cooling_off_cancels_the_deletion(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    await api.request("DELETE", "/v1/me", headers=person.headers, json=DELETE)

    signed_in = await api.post(
        "/v1/auth/login", json={"email": person.email, "password": person.password}
    )
    await session.execute(
        text(
            "UPDATE users SET deletion_requested_at = now() - interval '31 days' "
            "WHERE deletion_requested_at IS NOT NULL"
        )
    )
    await session.commit()
    await run_jobs(connection, include_scheduled=True)

    assert signed_in.status_code == 200
    status = await session.scalar(
        text("SELECT status FROM users WHERE id = :id"), {"id": person.id}
    )
    assert status == "active"


async def test_deletion_needs_a_recent_sign_in_or_the_password(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    await session.execute(text("UPDATE auth_sessions SET created_at = now() - interval '1 hour'"))
    await session.commit()

    stale = await api.request("DELETE", "/v1/me", headers=person.headers, json=DELETE)
    wrong = await api.request(
        "DELETE", "/v1/me", headers=person.headers, json=DELETE | {"password": "Wrong-123-pass"}
    )
    unconfirmed = await api.request(
        "DELETE", "/v1/me", headers=person.headers, json={"confirm": "yes"}
    )
    ok = await api.request(
        "DELETE", "/v1/me", headers=person.headers, json=DELETE | {"password": person.password}
    )

    assert stale.status_code == 403
    assert stale.json()["code"] == "recent_sign_in_required"
    assert wrong.status_code == 401
    assert unconfirmed.status_code == 422
    assert ok.status_code == 202


async def test_the_hourly_sweep_erases_accounts_whose_job_was_lost(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, runtime: Runtime
) -> None:
    from getmygrapher.core.tasks import run_task

    person = await make_user(session, runtime)
    await api.request("DELETE", "/v1/me", headers=person.headers, json=DELETE)
    await session.execute(text("DELETE FROM procrastinate_jobs"))
    await session.execute(
        text("UPDATE users SET deletion_requested_at = now() - interval '31 days'")
    )
    await session.commit()

    await run_task("accounts.purge_due_accounts", {"timestamp": 0})

    assert (
        await session.scalar(text("SELECT status FROM users WHERE id = :id"), {"id": person.id})
        == "deleted"
    )
