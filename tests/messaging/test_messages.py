"""Messages: sending, retries, editing, deleting, reactions, history, search, templates and
contact details only by consent (MSG-2 … MSG-18)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.runtime import Runtime
from tests.factories import Person, make_user
from tests.jobs.helpers import error_fields, make_pro, post_job
from tests.messaging.helpers import say, start

PHONE = "98470 12345"


@pytest.fixture
async def asha(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(
        session,
        runtime,
        onboarded=True,
        full_name="Asha Rao",
        phone="+919847012345",
        phone_verified=True,
    )


@pytest.fixture
async def bilal(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, onboarded=True, full_name="Bilal Khan")


@pytest.fixture
async def chat(api: AsyncClient, asha: Person, bilal: Person) -> str:
    return str((await start(api, asha, bilal))["conversation"]["id"])


def _body(**values: Any) -> dict[str, Any]:
    return {"client_message_id": uuid.uuid4().hex, **values}


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "body", "required_field"),
        ({"text": "x" * 2001}, "text", "invalid_length"),
        ({"kind": "image", "text": "look"}, "body", "required_field"),
        ({"kind": "job_inquiry", "text": "about your job"}, "body", "required_field"),
        ({"kind": "system", "text": "I am the server"}, "kind", "invalid_format"),
        ({"kind": "contact_share", "text": "x"}, "kind", "invalid_format"),
        (
            {"text": "hi", "attachment_ids": [str(uuid.uuid4()) for _ in range(6)]},
            "attachment_ids",
            "invalid_length",
        ),
        ({"text": "hi", "seq": 99}, "seq", "not_allowed"),
        ({"text": "hi", "sender_id": str(uuid.uuid4())}, "sender_id", "not_allowed"),
        ({"text": "hi", "client_message_id": "x" * 65}, "client_message_id", "invalid_length"),
        ({"text": "bell\u0007"}, "text", "invalid_format"),
        ({"text": "hi", "reply_to_id": "not-a-uuid"}, "reply_to_id", "invalid_format"),
        ({"text": 42}, "text", "invalid_format"),
    ],
)
async def test_what_is_sent_is_validated(
    api: AsyncClient, asha: Person, chat: str, body: dict[str, Any], field: str, code: str
) -> None:
    response = await api.post(
        f"/v1/conversations/{chat}/messages",
        json={"client_message_id": "v1"} | body,
        headers=asha.headers,
    )

    assert error_fields(response).get(field) == code, response.text


async def test_a_send_needs_a_retry_key(api: AsyncClient, asha: Person, chat: str) -> None:
    keyless = await api.post(
        f"/v1/conversations/{chat}/messages", json={"text": "hi"}, headers=asha.headers
    )
    with_header = await api.post(
        f"/v1/conversations/{chat}/messages",
        json={"text": "hi"},
        headers=asha.headers | {"Idempotency-Key": "k1"},
    )
    replay = await api.post(
        f"/v1/conversations/{chat}/messages",
        json={"text": "hi"},
        headers=asha.headers | {"Idempotency-Key": "k1"},
    )

    assert error_fields(keyless)["client_message_id"] == "required_field"
    assert with_header.status_code == 201
    assert replay.json()["id"] == with_header.json()["id"]


async def test_a_retried_send_returns_the_first_message(
    api: AsyncClient, session: AsyncSession, asha: Person, chat: str
) -> None:
    body = {"text": "Are you free on Sunday?", "client_message_id": "retry-1"}
    first = await api.post(f"/v1/conversations/{chat}/messages", json=body, headers=asha.headers)
    again = await api.post(f"/v1/conversations/{chat}/messages", json=body, headers=asha.headers)

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["seq"] == first.json()["seq"] == 2
    assert await session.scalar(text("SELECT count(*) FROM messages")) == 2


async def test_contact_details_show_only_while_both_share(
    api: AsyncClient, session: AsyncSession, asha: Person, bilal: Person, chat: str
) -> None:
    sent = await say(api, asha, chat, f"Call me on {PHONE} or asha.rao@example.in")

    def clean(*responses: Any) -> None:
        for response in responses:
            body = response.text if hasattr(response, "text") else str(response)
            assert "98470" not in body
            assert "asha.rao@example.in" not in body

    before = [
        await api.get(f"/v1/conversations/{chat}/messages", headers=bilal.headers),
        await api.get("/v1/conversations", headers=bilal.headers),
        await api.get("/v1/messages/search", params={"q": "call"}, headers=bilal.headers),
        await api.get(f"/v1/conversations/{chat}", headers=bilal.headers),
    ]
    clean(sent, *before)
    assert sent["masked"] == ["email", "phone"]

    asked = await api.post(
        f"/v1/conversations/{chat}/contact-requests",
        json={"fields": ["phone"]},
        headers=bilal.headers,
    )
    assert asked.status_code == 201, asked.text
    await api.post(
        f"/v1/contact-requests/{asked.json()['id']}/respond",
        json={"accept": ["phone"]},
        headers=asha.headers,
    )
    shared = (await api.get(f"/v1/conversations/{chat}/messages", headers=bilal.headers)).json()[
        "items"
    ]
    original = next(m for m in shared if m["id"] == sent["id"])
    assert PHONE in original["text"]
    assert original["masked"] == []
    steps = [m for m in shared if m["kind"] == "contact_share"]
    assert [m["data"]["action"] for m in steps] == ["accepted", "requested"]

    await api.post(f"/v1/contacts/{bilal.id}/revoke", json={}, headers=asha.headers)
    after = [
        await api.get(f"/v1/conversations/{chat}/messages", headers=bilal.headers),
        await api.get(f"/v1/messages/{sent['id']}/edits", headers=bilal.headers),
    ]
    clean(*after)
    state = (await api.get(f"/v1/conversations/{chat}", headers=bilal.headers)).json()
    assert state["contact_share"]["state"] == "none"


async def test_editing_keeps_history_within_fifteen_minutes_and_ten_times(
    api: AsyncClient, session: AsyncSession, asha: Person, bilal: Person, chat: str
) -> None:
    sent = await say(api, asha, chat, "Rate is 20000")
    path = f"/v1/messages/{sent['id']}"

    by_other = await api.patch(path, json={"text": "Rate is 1"}, headers=bilal.headers)
    edited = await api.patch(
        path, json={"text": f"Rate is 25000, call {PHONE}"}, headers=asha.headers
    )
    history = (await api.get(f"{path}/edits", headers=bilal.headers)).json()
    for index in range(9):
        assert (
            await api.patch(path, json={"text": f"v{index}"}, headers=asha.headers)
        ).status_code == 200
    eleventh = await api.patch(path, json={"text": "one more"}, headers=asha.headers)
    late = await say(api, asha, chat, "Late edit?")
    await session.execute(
        text("UPDATE messages SET created_at = now() - interval '16 minutes' WHERE id = :id"),
        {"id": late["id"]},
    )
    too_late = await api.patch(
        f"/v1/messages/{late['id']}", json={"text": "changed"}, headers=asha.headers
    )
    system = (await api.get(f"/v1/conversations/{chat}/messages", headers=asha.headers)).json()[
        "items"
    ]

    assert by_other.status_code == 404
    assert edited.json()["text"] == "Rate is 25000, call [contact hidden]"
    assert edited.json()["edit_count"] == 1
    assert edited.json()["edited_at"] is not None
    assert [h["text"] for h in history] == ["Rate is 20000"]
    assert eleventh.json()["code"] == "edit_window_closed"
    assert too_late.json()["code"] == "edit_window_closed"
    assert all(m["sender_id"] for m in system)


async def test_deleting_leaves_a_numbered_tombstone_for_everyone(
    api: AsyncClient, session: AsyncSession, asha: Person, bilal: Person, chat: str
) -> None:
    sent = await say(api, asha, chat, "Oops, wrong chat")
    await api.put(f"/v1/messages/{sent['id']}/reactions/laugh", headers=bilal.headers)
    unread_before = (await api.get(f"/v1/conversations/{chat}", headers=bilal.headers)).json()

    by_other = await api.delete(f"/v1/messages/{sent['id']}", headers=bilal.headers)
    deleted = await api.delete(f"/v1/messages/{sent['id']}", headers=asha.headers)
    twice = await api.delete(f"/v1/messages/{sent['id']}", headers=asha.headers)
    seen = (await api.get(f"/v1/conversations/{chat}/messages", headers=bilal.headers)).json()[
        "items"
    ][0]
    unread_after = (await api.get(f"/v1/conversations/{chat}", headers=bilal.headers)).json()
    react = await api.put(f"/v1/messages/{sent['id']}/reactions/like", headers=bilal.headers)
    edit = await api.patch(f"/v1/messages/{sent['id']}", json={"text": "x"}, headers=asha.headers)

    assert by_other.status_code == 404
    assert deleted.status_code == twice.status_code == 204
    assert seen["deleted"] is True
    assert seen["seq"] == sent["seq"]
    assert seen["text"] == ""
    assert seen["reactions"] == {}
    assert unread_after["unread_count"] == unread_before["unread_count"] - 1
    assert react.status_code == 422
    assert edit.json()["code"] == "message_deleted"
    reactions = await session.scalar(text("SELECT count(*) FROM message_reactions"))
    assert reactions == 0


async def test_reactions_toggle_idempotently(
    api: AsyncClient, asha: Person, bilal: Person, chat: str
) -> None:
    sent = await say(api, asha, chat, "Shoot went great")
    path = f"/v1/messages/{sent['id']}/reactions"

    first = await api.put(f"{path}/love", headers=bilal.headers)
    again = await api.put(f"{path}/love", headers=bilal.headers)
    mine = await api.put(f"{path}/love", headers=asha.headers)
    other = await api.put(f"{path}/wow", headers=bilal.headers)
    unknown = await api.put(f"{path}/meh", headers=bilal.headers)
    removed = await api.delete(f"{path}/love", headers=bilal.headers)
    removed_again = await api.delete(f"{path}/love", headers=bilal.headers)
    listed = (await api.get(f"/v1/conversations/{chat}/messages", headers=bilal.headers)).json()[
        "items"
    ][0]

    assert first.json() == again.json() == {"reactions": {"love": 1}}
    assert mine.json() == {"reactions": {"love": 2}}
    assert other.json()["reactions"] == {"love": 2, "wow": 1}
    assert unknown.status_code == 422
    assert removed.json() == removed_again.json() == {"reactions": {"love": 1, "wow": 1}}
    assert listed["my_reactions"] == ["wow"]


async def test_history_pages_both_ways_by_sequence(
    api: AsyncClient, asha: Person, bilal: Person, chat: str
) -> None:
    for index in range(2, 13):
        await say(api, asha if index % 2 else bilal, chat, f"message {index}")

    newest = (
        await api.get(
            f"/v1/conversations/{chat}/messages", params={"limit": 5}, headers=asha.headers
        )
    ).json()
    older = (
        await api.get(
            f"/v1/conversations/{chat}/messages",
            params={"limit": 5, "before": newest["items"][-1]["seq"]},
            headers=asha.headers,
        )
    ).json()
    after = (
        await api.get(
            f"/v1/conversations/{chat}/messages", params={"after": 9}, headers=asha.headers
        )
    ).json()
    both = await api.get(
        f"/v1/conversations/{chat}/messages", params={"after": 1, "before": 5}, headers=asha.headers
    )

    assert [m["seq"] for m in newest["items"]] == [12, 11, 10, 9, 8]
    assert newest["has_more"] is True
    assert [m["seq"] for m in older["items"]] == [7, 6, 5, 4, 3]
    assert [m["seq"] for m in after["items"]] == [10, 11, 12]
    assert after["has_more"] is False
    assert both.status_code == 422


async def test_search_covers_only_my_conversations(
    api: AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
    asha: Person,
    bilal: Person,
    chat: str,
) -> None:
    other = await make_user(session, runtime, onboarded=True)
    elsewhere = (await start(api, other, bilal, "Drone footage for the sangeet"))["conversation"]
    await say(api, asha, chat, "The drone permit is sorted")
    await say(api, bilal, chat, "Great, drone at 6 pm then")

    mine = (
        await api.get("/v1/messages/search", params={"q": "drone"}, headers=asha.headers)
    ).json()["items"]
    from_bilal = (
        await api.get(
            "/v1/messages/search",
            params={"q": "drone", "sender_id": str(bilal.id)},
            headers=asha.headers,
        )
    ).json()["items"]
    in_chat = (
        await api.get(
            "/v1/messages/search",
            params={"q": "drone", "conversation_id": elsewhere["id"]},
            headers=asha.headers,
        )
    ).json()["items"]
    hostile = await api.get(
        "/v1/messages/search", params={"q": "'; DROP TABLE messages; --"}, headers=asha.headers
    )
    short = await api.get("/v1/messages/search", params={"q": "d"}, headers=asha.headers)

    assert [hit["message"]["text"] for hit in mine] == [
        "Great, drone at 6 pm then",
        "The drone permit is sorted",
    ]
    assert "«drone»" in mine[0]["snippet"]
    assert [hit["message"]["sender_id"] for hit in from_bilal] == [str(bilal.id)]
    assert in_chat == []
    assert hostile.status_code == 200
    assert short.status_code == 422


async def test_templates_fill_variables_and_refuse_wrong_ones(
    api: AsyncClient, asha: Person, chat: str
) -> None:
    ok = await api.post(
        f"/v1/conversations/{chat}/messages",
        json=_body(template="rate_discussion", variables={"proposedRate": "18,000"}),
        headers=asha.headers,
    )
    missing = await api.post(
        f"/v1/conversations/{chat}/messages",
        json=_body(template="rate_discussion"),
        headers=asha.headers,
    )
    extra = await api.post(
        f"/v1/conversations/{chat}/messages",
        json=_body(template="rate_discussion", variables={"proposedRate": "1", "mood": "x"}),
        headers=asha.headers,
    )
    unknown = await api.post(
        f"/v1/conversations/{chat}/messages",
        json=_body(template="no_such_template"),
        headers=asha.headers,
    )
    created = await api.post(
        "/v1/message-templates",
        json={
            "name": "Quick hello",
            "body": "Hi {name}, thanks for {thing}!",
            "category": "follow_up",
        },
        headers=asha.headers,
    )
    own = await api.post(
        f"/v1/conversations/{chat}/messages",
        json=_body(
            template=created.json()["id"], variables={"name": "Bilal", "thing": "the brief"}
        ),
        headers=asha.headers,
    )

    assert ok.json()["text"].startswith("Thanks for considering me. My proposed rate")
    assert "₹18,000" in ok.json()["text"]
    assert error_fields(missing)["variables"] == "invalid_format"
    assert error_fields(extra)["variables"] == "invalid_format"
    assert unknown.status_code == 404
    assert created.json()["variables"] == ["name", "thing"]
    assert own.json()["text"] == "Hi Bilal, thanks for the brief!"


async def test_templates_are_private_and_capped(
    api: AsyncClient, asha: Person, bilal: Person
) -> None:
    made = [
        await api.post(
            "/v1/message-templates",
            json={"name": f"T{index}", "body": "Hello", "category": "follow_up"},
            headers=asha.headers,
        )
        for index in range(20)
    ]
    over = await api.post(
        "/v1/message-templates",
        json={"name": "T21", "body": "Hello", "category": "follow_up"},
        headers=asha.headers,
    )
    template_id = made[0].json()["id"]
    theirs = await api.patch(
        f"/v1/message-templates/{template_id}", json={"name": "Mine"}, headers=bilal.headers
    )
    renamed = await api.patch(
        f"/v1/message-templates/{template_id}", json={"name": "Renamed"}, headers=asha.headers
    )
    bad = await api.post(
        "/v1/message-templates",
        json={"name": "x" * 51, "body": "b", "category": "gossip"},
        headers=asha.headers,
    )
    listed = (await api.get("/v1/message-templates", headers=bilal.headers)).json()
    deleted = await api.delete(f"/v1/message-templates/{template_id}", headers=asha.headers)
    deleted_again = await api.delete(f"/v1/message-templates/{template_id}", headers=asha.headers)

    assert over.json()["code"] == "too_many_templates"
    assert theirs.status_code == 404
    assert renamed.json()["name"] == "Renamed"
    assert set(error_fields(bad)) == {"name", "category"}
    assert [t["id"] for t in listed] == [
        "express_interest",
        "rate_discussion",
        "check_availability",
        "share_portfolio",
        "follow_up",
    ]
    assert deleted.status_code == 204
    assert deleted_again.status_code == 404


async def test_job_inquiries_name_an_active_job_of_someone_in_the_chat(
    api: AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
    asha: Person,
    bilal: Person,
    chat: str,
) -> None:
    await make_pro(session, bilal)
    job = await post_job(api, bilal)
    stranger = await make_user(session, runtime, onboarded=True)
    await make_pro(session, stranger)
    foreign = await post_job(api, stranger)

    ok = await api.post(
        f"/v1/conversations/{chat}/messages",
        json=_body(kind="job_inquiry", job_id=job["id"], text="Is this still open?"),
        headers=asha.headers,
    )
    other_job = await api.post(
        f"/v1/conversations/{chat}/messages",
        json=_body(kind="job_inquiry", job_id=foreign["id"], text="And this?"),
        headers=asha.headers,
    )
    await api.post(f"/v1/jobs/{job['id']}/close", headers=bilal.headers)
    closed = await api.post(
        f"/v1/conversations/{chat}/messages",
        json=_body(kind="job_inquiry", job_id=job["id"], text="Still?"),
        headers=asha.headers,
    )

    assert ok.status_code == 201
    assert ok.json()["job_id"] == job["id"]
    assert error_fields(other_job)["job_id"] == "not_allowed"
    assert error_fields(closed)["job_id"] == "not_allowed"


async def test_a_reply_must_be_to_a_message_of_the_same_chat(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, asha: Person, chat: str
) -> None:
    other = await make_user(session, runtime, onboarded=True)
    elsewhere = await start(api, asha, other)
    first = (await api.get(f"/v1/conversations/{chat}/messages", headers=asha.headers)).json()[
        "items"
    ][0]

    reply = await say(api, asha, chat, "As I said", reply_to_id=first["id"])
    wrong = await api.post(
        f"/v1/conversations/{chat}/messages",
        json=_body(text="x", reply_to_id=elsewhere["message"]["id"]),
        headers=asha.headers,
    )

    assert reply["reply_to_id"] == first["id"]
    assert error_fields(wrong)["reply_to_id"] == "not_allowed"


async def test_blocked_people_cannot_message_each_other(
    api: AsyncClient, session: AsyncSession, asha: Person, bilal: Person, chat: str
) -> None:
    blocked = await api.put(f"/v1/blocks/{bilal.id}", headers=asha.headers)
    again = await api.put(f"/v1/blocks/{bilal.id}", headers=asha.headers)
    from_them = await api.post(
        f"/v1/conversations/{chat}/messages", json=_body(text="hi"), headers=bilal.headers
    )
    from_me = await api.post(
        f"/v1/conversations/{chat}/messages", json=_body(text="hi"), headers=asha.headers
    )
    listed = (await api.get("/v1/blocks", headers=asha.headers)).json()
    state = (await api.get(f"/v1/conversations/{chat}", headers=asha.headers)).json()
    self_block = await api.put(f"/v1/blocks/{asha.id}", headers=asha.headers)
    unknown = await api.put(f"/v1/blocks/{uuid.uuid4()}", headers=asha.headers)
    await api.delete(f"/v1/blocks/{bilal.id}", headers=asha.headers)
    after = await api.post(
        f"/v1/conversations/{chat}/messages", json=_body(text="hi again"), headers=bilal.headers
    )

    assert blocked.status_code == again.status_code == 204
    assert from_them.json()["code"] == "user_blocked"
    assert from_me.json()["code"] == "user_blocked"
    assert [b["user"]["id"] for b in listed] == [str(bilal.id)]
    assert state["blocked"] is True
    assert self_block.status_code == 422
    assert unknown.status_code == 404
    assert after.status_code == 201


async def test_reports_keep_a_snapshot_of_what_was_reported(
    api: AsyncClient, session: AsyncSession, asha: Person, bilal: Person, chat: str
) -> None:
    sent = await say(api, bilal, chat, "Pay the advance to my cousin's account")

    reported = await api.post(
        f"/v1/messages/{sent['id']}/reports",
        json={"reason": "scam_or_fraud", "details": "<b>fraud</b>"},
        headers=asha.headers,
    )
    twice = await api.post(
        f"/v1/messages/{sent['id']}/reports", json={"reason": "spam"}, headers=asha.headers
    )
    own = await api.post(
        f"/v1/messages/{sent['id']}/reports", json={"reason": "spam"}, headers=bilal.headers
    )
    await api.delete(f"/v1/messages/{sent['id']}", headers=bilal.headers)
    user_report = await api.post(
        f"/v1/users/{bilal.id}/reports", json={"reason": "harassment"}, headers=asha.headers
    )
    bad_reason = await api.post(
        f"/v1/users/{bilal.id}/reports", json={"reason": "rude"}, headers=asha.headers
    )

    assert reported.status_code == 201
    assert twice.json()["code"] == "report_already_open"
    assert own.status_code == 404
    assert user_report.status_code == 201
    assert bad_reason.status_code == 422
    snapshot = await session.scalar(
        text("SELECT snapshot->>'body' FROM reports WHERE target_type = 'message'")
    )
    assert snapshot == "Pay the advance to my cousin's account"


async def test_configured_words_refuse_a_message_and_repeat_offenders_wait(
    api: AsyncClient, session: AsyncSession, live_settings_runtime: Any
) -> None:
    api_, asha_, chat_ = live_settings_runtime
    refused = await api_.post(
        f"/v1/conversations/{chat_}/messages",
        json=_body(text="Buy cheap LOTTERY tickets"),
        headers=asha_.headers,
    )
    statuses = [
        (
            await api_.post(
                f"/v1/conversations/{chat_}/messages",
                json=_body(text="lottery again"),
                headers=asha_.headers,
            )
        ).status_code
        for _ in range(6)
    ]

    assert error_fields(refused)["text"] == "content_blocked"
    assert statuses[-1] == 429


@pytest.fixture
async def live_settings_runtime(
    harness: Any, runtime: Runtime, session: AsyncSession
) -> tuple[AsyncClient, Person, str]:
    """The API with a blocklist configured."""
    settings = runtime.settings.model_copy(update={"message_blocklist": [r"\blottery\b"]})
    configured = harness.runtime(runtime.sessionmaker, settings=settings)
    client = harness.client(configured)
    asha = await make_user(session, configured, onboarded=True)
    bilal = await make_user(session, configured, onboarded=True)
    chat = (await start(client, asha, bilal))["conversation"]["id"]
    return client, asha, chat


async def test_an_applicant_and_a_client_share_a_conversation_from_the_first_application(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, asha: Person, bilal: Person
) -> None:
    from tests.jobs.helpers import apply, used

    await make_pro(session, bilal)
    job = await post_job(api, bilal, title="Maternity shoot at Fort Kochi")
    application = await apply(api, asha, job["id"])
    await api.post(
        f"/v1/applications/{application['id']}/status",
        json={"status": "shortlisted"},
        headers=bilal.headers,
    )

    chats = (await api.get("/v1/conversations", headers=asha.headers)).json()["items"]
    history = (
        await api.get(f"/v1/conversations/{chats[0]['id']}/messages", headers=asha.headers)
    ).json()["items"]

    assert len(chats) == 1
    assert chats[0]["job_id"] == job["id"]
    assert [m["data"]["event"] for m in history] == ["status_changed", "application_sent"]
    assert "shortlisted" in history[0]["text"]
    assert await used(api, asha, "messaging_limit") == 0
    assert await used(api, bilal, "messaging_limit") == 0
    assert dt.datetime.fromisoformat(history[0]["created_at"]) >= dt.datetime.fromisoformat(
        history[1]["created_at"]
    )


async def test_a_job_named_on_any_message_must_be_an_active_job_of_someone_in_the_chat(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, asha: Person, chat: str
) -> None:
    stranger = await make_user(session, runtime, onboarded=True)
    await make_pro(session, stranger)
    foreign = await post_job(api, stranger)

    unknown = await api.post(
        f"/v1/conversations/{chat}/messages",
        json=_body(text="About that job", job_id=str(uuid.uuid4())),
        headers=asha.headers,
    )
    elsewhere = await api.post(
        f"/v1/conversations/{chat}/messages",
        json=_body(text="About that job", job_id=foreign["id"]),
        headers=asha.headers,
    )
    conversation = (await api.get(f"/v1/conversations/{chat}", headers=asha.headers)).json()

    assert error_fields(unknown)["job_id"] == "not_allowed"  # not a 500 from the foreign key
    assert error_fields(elsewhere)["job_id"] == "not_allowed"
    assert conversation["job_id"] is None
