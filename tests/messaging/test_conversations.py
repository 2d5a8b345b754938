"""Conversations: starting one, teams, the list, unread counts, settings and who may see what
(MSG-1, MSG-3, MSG-5, MSG-6, MSG-12, MSG-19)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Role
from tests.factories import Person, make_user
from tests.jobs.helpers import apply, make_pro, post_job
from tests.messaging.helpers import conversation, say, start
from tests.profiles.helpers import make_professional


@pytest.fixture
async def asha(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, onboarded=True, full_name="Asha Rao")


@pytest.fixture
async def bilal(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, onboarded=True, full_name="Bilal Khan")


async def test_starting_twice_gives_the_same_conversation_and_a_quota_unit_once(
    api: AsyncClient, asha: Person, bilal: Person
) -> None:
    from tests.jobs.helpers import used

    first = await start(api, asha, bilal, "Hi Bilal!")
    again = await api.post(
        "/v1/conversations",
        json={
            "participant_id": str(asha.id),
            "message": {"text": "Hi Asha!", "client_message_id": "m-1"},
        },
        headers=bilal.headers,
    )

    assert first["created"] is True
    assert first["message"]["seq"] == 1
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["conversation"]["id"] == first["conversation"]["id"]
    assert again.json()["message"]["seq"] == 2
    assert await used(api, asha, "messaging_limit") == 1
    assert await used(api, bilal, "messaging_limit") == 0


async def test_free_members_start_ten_conversations_a_month(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, asha: Person
) -> None:
    people = [await make_user(session, runtime, onboarded=True) for _ in range(11)]
    for person in people[:10]:
        await start(api, asha, person)

    eleventh = await api.post(
        "/v1/conversations",
        json={
            "participant_id": str(people[10].id),
            "message": {"text": "Hello", "client_message_id": "x"},
        },
        headers=asha.headers,
    )
    reply = await say(
        api,
        asha,
        (await start(api, people[0], asha))["conversation"]["id"],
        "A reply costs nothing",
    )

    assert eleventh.status_code == 402
    assert eleventh.json()["feature"] == "messaging_limit"
    assert reply["seq"] >= 2
    count = await session.scalar(text("SELECT count(*) FROM conversations"))
    assert count == 10


@pytest.mark.parametrize("case", ["self", "unknown", "blocked_me", "i_blocked", "suspended"])
async def test_some_people_cannot_be_messaged(
    api: AsyncClient, session: AsyncSession, asha: Person, bilal: Person, case: str
) -> None:
    target = bilal.id
    if case == "self":
        target = asha.id
    elif case == "unknown":
        target = uuid.uuid4()
    elif case == "blocked_me":
        await api.put(f"/v1/blocks/{asha.id}", headers=bilal.headers)
    elif case == "i_blocked":
        await api.put(f"/v1/blocks/{bilal.id}", headers=asha.headers)
    else:
        await session.execute(
            text("UPDATE users SET status = 'suspended' WHERE id = :id"), {"id": bilal.id}
        )

    response = await api.post(
        "/v1/conversations",
        json={
            "participant_id": str(target),
            "message": {"text": "Hello", "client_message_id": "x"},
        },
        headers=asha.headers,
    )

    assert response.status_code == (422 if case == "self" else 404), response.text
    assert await session.scalar(text("SELECT count(*) FROM conversations")) == 0


async def test_an_unverified_account_cannot_start_conversations(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, bilal: Person
) -> None:
    unverified = await make_user(session, runtime, email_verified=False)

    response = await api.post(
        "/v1/conversations",
        json={
            "participant_id": str(bilal.id),
            "message": {"text": "Hello", "client_message_id": "x"},
        },
        headers=unverified.headers,
    )

    assert response.json()["code"] == "verification_required"


async def test_only_participants_reach_a_conversation(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, asha: Person, bilal: Person
) -> None:
    opened = await start(api, asha, bilal)
    cid = opened["conversation"]["id"]
    mid = opened["message"]["id"]
    stranger = await make_user(session, runtime, onboarded=True)
    moderator = await make_user(session, runtime, role=Role.MODERATOR, totp=True)
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/v1/conversations/{cid}", None),
        ("GET", f"/v1/conversations/{cid}/messages", None),
        ("POST", f"/v1/conversations/{cid}/messages", {"text": "hi", "client_message_id": "1"}),
        ("POST", f"/v1/conversations/{cid}/read", {"seq": 1}),
        ("POST", f"/v1/conversations/{cid}/archive", None),
        ("POST", f"/v1/conversations/{cid}/mute", {"duration": "8h"}),
        ("DELETE", f"/v1/conversations/{cid}", None),
        ("PATCH", f"/v1/messages/{mid}", {"text": "mine now"}),
        ("DELETE", f"/v1/messages/{mid}", None),
        ("PUT", f"/v1/messages/{mid}/reactions/like", None),
        ("GET", f"/v1/messages/{mid}/edits", None),
        ("POST", f"/v1/messages/{mid}/reports", {"reason": "spam"}),
        ("POST", f"/v1/conversations/{cid}/contact-requests", {"fields": ["phone"]}),
    ]
    for method, path, body in calls:
        for outsider in (stranger, moderator):
            response = await api.request(method, path, json=body, headers=outsider.headers)
            assert response.status_code == 404, (method, path, response.text)
            assert "Hello there" not in response.text
        anonymous = await api.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)
    search = await api.get("/v1/messages/search", params={"q": "hello"}, headers=stranger.headers)
    assert search.json()["items"] == []
    own = await conversation(api, asha, cid)
    assert own["last_seq"] == 1


async def test_unread_counts_follow_one_pointer_per_person_across_devices(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, asha: Person, bilal: Person
) -> None:
    from getmygrapher.accounts import service as accounts_service
    from getmygrapher.accounts.models import AuthMethod

    cid = (await start(api, asha, bilal))["conversation"]["id"]
    for word in ("one", "two", "three"):
        await say(api, asha, cid, word)
    # Bilal's second device: another session of the same account.
    ctx = accounts_service.AuthContext.of(runtime)
    second = await accounts_service.start_session(
        session,
        ctx,
        user=bilal.user,
        method=AuthMethod.PASSWORD,
        caller=accounts_service.Caller(ip="10.0.0.2", device="tablet"),
    )
    tablet = {"Authorization": f"Bearer {second.access_token}"}  # type: ignore[union-attr]

    before = await conversation(api, bilal, cid)
    await api.post(f"/v1/conversations/{cid}/read", json={"seq": 2}, headers=bilal.headers)
    on_tablet = (await api.get(f"/v1/conversations/{cid}", headers=tablet)).json()
    backwards = await api.post(f"/v1/conversations/{cid}/read", json={"seq": 1}, headers=tablet)
    beyond = await api.post(f"/v1/conversations/{cid}/read", json={"seq": 99}, headers=tablet)
    total = (await api.get("/v1/conversations/unread", headers=bilal.headers)).json()

    assert before["unread_count"] == 4
    assert on_tablet["unread_count"] == 2
    assert on_tablet["read_seq"] == 2
    assert backwards.json()["read_seq"] == 2  # only forward
    assert beyond.json()["read_seq"] == 4  # never past the last message
    assert beyond.json()["unread_count"] == 0
    assert total == {"unread_total": 0}
    asha_view = await conversation(api, asha, cid)
    assert asha_view["unread_count"] == 0  # one's own messages are never unread


async def test_mark_unread_moves_the_pointer_back(
    api: AsyncClient, asha: Person, bilal: Person
) -> None:
    cid = (await start(api, asha, bilal))["conversation"]["id"]
    second = await say(api, asha, cid, "second")
    await say(api, asha, cid, "third")
    await api.post(f"/v1/conversations/{cid}/read", json={"seq": 3}, headers=bilal.headers)

    marked = await api.post(
        f"/v1/conversations/{cid}/unread", json={"message_id": second["id"]}, headers=bilal.headers
    )
    foreign = await api.post(
        f"/v1/conversations/{cid}/unread",
        json={"message_id": str(uuid.uuid4())},
        headers=bilal.headers,
    )

    assert marked.json()["read_seq"] == 1
    assert marked.json()["unread_count"] == 2
    assert foreign.status_code == 422


async def test_archive_mute_priority_and_delete_are_each_persons_own(
    api: AsyncClient, asha: Person, bilal: Person
) -> None:
    cid = (await start(api, asha, bilal))["conversation"]["id"]
    archived = await api.post(f"/v1/conversations/{cid}/archive", headers=bilal.headers)
    in_archive = (
        await api.get("/v1/conversations", params={"filter": "archived"}, headers=bilal.headers)
    ).json()["items"]
    inbox = (await api.get("/v1/conversations", headers=bilal.headers)).json()["items"]
    await say(api, asha, cid, "Are you there?")  # brings it back to the inbox
    back = await conversation(api, bilal, cid)
    muted = await api.post(
        f"/v1/conversations/{cid}/mute", json={"duration": "1w"}, headers=bilal.headers
    )
    await api.post(f"/v1/conversations/{cid}/archive", headers=bilal.headers)
    await say(api, asha, cid, "Still there?")  # muted: stays archived
    still_archived = await conversation(api, bilal, cid)
    total_muted = (await api.get("/v1/conversations/unread", headers=bilal.headers)).json()
    await api.post(f"/v1/conversations/{cid}/unmute", headers=bilal.headers)
    await api.post(f"/v1/conversations/{cid}/unarchive", headers=bilal.headers)
    priority = await api.put(
        f"/v1/conversations/{cid}/priority", json={"priority": "high"}, headers=bilal.headers
    )
    deleted = await api.delete(f"/v1/conversations/{cid}", headers=bilal.headers)
    gone = (await api.get("/v1/conversations", headers=bilal.headers)).json()["items"]
    await say(api, asha, cid, "Hello again")
    returned = (await api.get("/v1/conversations", headers=bilal.headers)).json()["items"]
    asha_side = await conversation(api, asha, cid)
    bad_mute = await api.post(
        f"/v1/conversations/{cid}/mute", json={"duration": "2y"}, headers=bilal.headers
    )

    assert archived.json()["state"] == "archived"
    assert [c["id"] for c in in_archive] == [cid]
    assert inbox == []
    assert back["state"] == "active"
    assert muted.json()["muted_until"] is not None
    assert still_archived["state"] == "archived"
    assert total_muted == {"unread_total": 0}
    assert priority.json()["priority"] == "high"
    assert deleted.json()["state"] == "deleted"
    assert gone == []
    assert [c["id"] for c in returned] == [cid]
    assert asha_side["state"] == "active"
    assert asha_side["priority"] == "normal"
    assert asha_side["muted_until"] is None
    assert bad_mute.status_code == 422


async def test_the_list_pages_newest_activity_first_and_filters(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, asha: Person
) -> None:
    people = [await make_user(session, runtime, onboarded=True) for _ in range(5)]
    ids = [(await start(api, person, asha))["conversation"]["id"] for person in people]
    await say(api, people[1], ids[1], "bump")  # now the most recent
    await api.post(f"/v1/conversations/{ids[0]}/read", json={"seq": 1}, headers=asha.headers)

    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = (
            await api.get(
                "/v1/conversations",
                params={"limit": 2} | ({"cursor": cursor} if cursor else {}),
                headers=asha.headers,
            )
        ).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    unread = (
        await api.get("/v1/conversations", params={"filter": "unread"}, headers=asha.headers)
    ).json()

    assert seen == [ids[1], ids[4], ids[3], ids[2], ids[0]]
    assert {item["id"] for item in unread["items"]} == set(ids[1:])
    assert unread["unread_total"] == 5  # 2 (bumped) + 1 + 1 + 1, and the one read
    assert page["items"][0]["participants"][0]["full_name"] is not None


async def test_job_conversations_teams_and_their_members(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    client = await make_user(session, runtime, onboarded=True, full_name="Client Kapoor")
    await make_pro(session, client)
    pros = [await make_professional(session, runtime, phone=f"+91981230050{i}") for i in range(3)]
    job = await post_job(api, client, positions=3)
    applications = [await apply(api, pro, job["id"]) for pro in pros]
    for application in applications[:2]:
        await api.post(
            f"/v1/applications/{application['id']}/status",
            json={"status": "hired"},
            headers=client.headers,
        )

    job_related = (
        await api.get("/v1/conversations", params={"filter": "job_related"}, headers=client.headers)
    ).json()["items"]
    chat = job_related[0]
    history = (
        await api.get(f"/v1/conversations/{chat['id']}/messages", headers=client.headers)
    ).json()["items"]
    team = await api.post(
        "/v1/conversations/groups",
        json={
            "job_id": job["id"],
            "participant_ids": [str(pros[0].id), str(pros[1].id)],
            "message": {"text": "Welcome to the team", "client_message_id": "t1"},
        },
        headers=client.headers,
    )
    not_hired = await api.post(
        "/v1/conversations/groups",
        json={
            "job_id": job["id"],
            "participant_ids": [str(pros[2].id)],
            "message": {"text": "Hi", "client_message_id": "t2"},
        },
        headers=client.headers,
    )
    not_owner = await api.post(
        "/v1/conversations/groups",
        json={
            "job_id": job["id"],
            "participant_ids": [str(pros[1].id)],
            "message": {"text": "Hi", "client_message_id": "t3"},
        },
        headers=pros[0].headers,
    )
    team_id = team.json()["conversation"]["id"]
    removed = await api.delete(
        f"/v1/conversations/{team_id}/members/{pros[1].id}", headers=client.headers
    )
    member_change = await api.post(
        f"/v1/conversations/{team_id}/members",
        json={"user_id": str(pros[2].id)},
        headers=client.headers,
    )
    by_member = await api.delete(
        f"/v1/conversations/{team_id}/members/{client.id}", headers=pros[0].headers
    )
    after_removal = await api.get(f"/v1/conversations/{team_id}", headers=pros[1].headers)
    readded = await api.post(
        f"/v1/conversations/{team_id}/members",
        json={"user_id": str(pros[1].id)},
        headers=client.headers,
    )
    rejoined = (
        await api.get(f"/v1/conversations/{team_id}/messages", headers=pros[1].headers)
    ).json()["items"]

    assert len(job_related) == 3
    assert chat["job_id"] == job["id"]
    assert history[0]["kind"] == "system"
    assert history[-1]["text"].startswith("Applied for")
    assert team.status_code == 201, team.text
    assert team.json()["conversation"]["kind"] == "group"
    assert len(team.json()["conversation"]["participants"]) == 2
    assert not_hired.status_code == 422
    assert not_owner.status_code == 422
    assert len(removed.json()["participants"]) == 1
    assert member_change.status_code == 422  # not hired
    assert by_member.status_code == 403
    assert after_removal.status_code == 404
    assert readded.status_code == 200
    # Someone who (re)joins sees only what follows: here, the note of their joining.
    assert [m["kind"] for m in rejoined] == ["system"]
    assert rejoined[0]["text"].endswith("joined.")


async def test_message_on_a_profile_opens_the_pairs_conversation(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, asha: Person
) -> None:
    from tests.jobs.helpers import used

    pro = await make_professional(session, runtime, phone="+919812345611")
    url = f"/v1/profiles/{pro.id}/contact-requests"

    def ask(key: str, **body: Any) -> Any:
        return api.post(
            url, json={"method": "message", **body}, headers=asha.headers | {"Idempotency-Key": key}
        )

    first = await ask("p-1", note="Hi! Are you free for a pre-wedding shoot?")
    replay = await ask("p-1", note="Hi! Are you free for a pre-wedding shoot?")
    again = await ask("p-2")
    myself = await api.post(
        f"/v1/profiles/{asha.id}/contact-requests",
        json={"method": "message"},
        headers=asha.headers | {"Idempotency-Key": "p-3"},
    )
    nobody = await api.post(
        f"/v1/profiles/{uuid.uuid4()}/contact-requests",
        json={"method": "message"},
        headers=asha.headers | {"Idempotency-Key": "p-4"},
    )
    cid = first.json()["conversation_id"]
    messages = (await api.get(f"/v1/conversations/{cid}/messages", headers=pro.headers)).json()[
        "items"
    ]

    assert first.status_code == 201
    assert first.json() == {"method": "message", "conversation_id": cid, "created": True}
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert again.status_code == 200
    assert again.json() == {"method": "message", "conversation_id": cid, "created": False}
    assert [m["text"] for m in messages] == ["Hi! Are you free for a pre-wedding shoot?"]
    assert myself.status_code == 422
    assert nobody.status_code == 404
    assert await used(api, asha, "messaging_limit") == 1
    requests = await session.scalar(text("SELECT count(*) FROM contact_requests"))
    assert requests == 0  # a conversation, not a consent request


async def test_message_on_a_profile_counts_against_the_monthly_limit(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, asha: Person
) -> None:
    for _ in range(10):
        await start(api, asha, await make_user(session, runtime, onboarded=True))
    pro = await make_professional(session, runtime, phone="+919812345612")

    refused = await api.post(
        f"/v1/profiles/{pro.id}/contact-requests",
        json={"method": "message", "note": "Hello"},
        headers=asha.headers | {"Idempotency-Key": "p-9"},
    )

    assert refused.status_code == 402
    assert refused.json()["feature"] == "messaging_limit"
    count = await session.scalar(text("SELECT count(*) FROM conversations"))
    assert count == 10


async def test_the_data_export_holds_my_conversations_and_what_i_sent(
    api: AsyncClient, asha: Person, bilal: Person
) -> None:
    opened = await start(api, asha, bilal, "Can you shoot on the 9th?")
    await say(api, bilal, opened["conversation"]["id"], "Yes, I can.")

    mine = (await api.get("/v1/me/export", headers=asha.headers)).json()

    assert mine["conversations"] == [opened["conversation"]["id"]]
    assert [m["text"] for m in mine["messages"]] == ["Can you shoot on the 9th?"]
