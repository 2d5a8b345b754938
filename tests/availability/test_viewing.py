"""Another professional's availability (AV-6, AV-8, AV-9, BKG-5): who is admitted under each
visibility, and that what they get is free and busy time only."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.models import BookingStatus, SlotStatus
from getmygrapher.availability.service import clock, viewing
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import AccountStatus, Principal, Role
from getmygrapher.core.time import IST
from tests.availability.sharing_helpers import (
    add_slot,
    ahead,
    block,
    end_pro,
    make_booking,
    put_slot,
    settings,
)
from tests.factories import Person, make_user
from tests.jobs.helpers import make_pro
from tests.profiles.helpers import make_professional

_phones = iter(range(10, 99))


async def _owner(session: AsyncSession, runtime: Runtime, *, pro: bool = False) -> Person:
    owner = await make_professional(session, runtime, phone=f"+9198123000{next(_phones)}")
    if pro:
        await make_pro(session, owner)
    return owner


async def _view(
    api: AsyncClient,
    viewer: Person | None,
    owner: Person,
    start: date | str | None = None,
    end: date | None = None,
) -> Any:
    params = {"from": str(start) if start else None, "to": str(end) if end else None}
    return await api.get(
        f"/v1/professionals/{owner.id}/availability",
        params={key: value for key, value in params.items() if value},
        headers=viewer.headers if viewer else {},
    )


async def _visible(api: AsyncClient, viewer: Person, owner: Person) -> bool:
    response = await _view(api, viewer, owner)
    assert response.status_code == 200, response.text
    body = response.json()
    if not body["visible"]:
        assert body == {"visible": False, "timezone": None, "shows_times": False, "days": []}
    return bool(body["visible"])


async def _contact(api: AsyncClient, requester: Person, recipient: Person) -> None:
    asked = await api.post(
        "/v1/contact-requests",
        headers=requester.headers | {"Idempotency-Key": uuid.uuid4().hex},
        json={"recipient_id": str(recipient.id), "fields": ["email"], "note": "For a wedding"},
    )
    assert asked.status_code == 201, asked.text
    answered = await api.post(
        f"/v1/contact-requests/{asked.json()['id']}/respond",
        headers=recipient.headers,
        json={"accept": ["email"]},
    )
    assert answered.json()["status"] == "accepted", answered.text


async def test_signing_in_is_required(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await _owner(session, runtime)

    response = await _view(api, None, owner)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_a_public_calendar_shows_free_and_busy_time_and_nothing_private(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await _owner(session, runtime)
    client = await make_user(session, runtime, full_name="Zubeida Kunjamma")
    stranger = await make_user(session, runtime)
    day = ahead(3)
    await add_slot(api, owner, day, "08:00", "10:00", note="Ask for the garden gate")
    await add_slot(api, owner, day, "11:00", "12:00", "blocked", note="Dentist")
    await add_slot(api, owner, day, "12:00", "13:00", "break")
    booking = await make_booking(
        session, owner, client, day, "10:00", "11:00", notes="Sangeet at the Bolgatty"
    )
    await add_slot(api, owner, ahead(4), "09:00", "17:00")

    response = await _view(api, stranger, owner, day, ahead(5))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["visible"] is True
    assert body["timezone"] == "Asia/Kolkata"
    assert body["shows_times"] is True
    assert body["days"] == [
        {
            "day": str(day),
            "status": "partial",
            "slots": [
                {"starts_at": "08:00:00", "ends_at": "10:00:00", "status": "free"},
                # A booking, a block and a break side by side are one busy interval.
                {"starts_at": "10:00:00", "ends_at": "13:00:00", "status": "busy"},
            ],
        },
        {
            "day": str(ahead(4)),
            "status": "available",
            "slots": [{"starts_at": "09:00:00", "ends_at": "17:00:00", "status": "free"}],
        },
        {"day": str(ahead(5)), "status": "unavailable", "slots": []},
    ]
    for secret in (
        "Zubeida",
        "Kunjamma",
        str(client.id),
        booking.reference,
        str(booking.id),
        "Sangeet",
        "Dentist",
        "garden gate",
        "Bolgatty",
        "booked",
        "blocked",
        "break",
    ):
        assert secret not in response.text


async def test_a_day_with_only_booked_time_is_booked_and_a_blocked_day_shows_no_times(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await _owner(session, runtime)
    viewer = await make_user(session, runtime)
    await make_booking(session, owner, viewer, ahead(2), "09:00", "12:00")
    await add_slot(api, owner, ahead(3), "09:00", "12:00")
    blocked = await api.put(
        f"/v1/me/calendar/days/{ahead(3)}",
        headers=owner.headers,
        json={"blocked": True, "note": "Family function"},
    )
    assert blocked.status_code == 200, blocked.text

    body = (await _view(api, viewer, owner, ahead(2), ahead(3))).json()

    assert body["days"] == [
        {
            "day": str(ahead(2)),
            "status": "booked",
            "slots": [{"starts_at": "09:00:00", "ends_at": "12:00:00", "status": "busy"}],
        },
        {"day": str(ahead(3)), "status": "blocked", "slots": []},
    ]


async def test_professional_network_admits_professionals_only(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await _owner(session, runtime, pro=True)
    await settings(api, owner, visibility="professional_network")
    professional = await _owner(session, runtime)
    client = await make_user(session, runtime)

    assert await _visible(api, professional, owner) is True
    assert await _visible(api, client, owner) is False
    assert await _visible(api, owner, owner) is True


async def test_contacts_only_admits_contacts_booking_partners_and_allowed_users(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await _owner(session, runtime, pro=True)
    contact = await make_user(session, runtime)
    partner = await make_user(session, runtime)
    declined = await make_user(session, runtime)
    allowed = await make_user(session, runtime)
    professional = await _owner(session, runtime)
    await _contact(api, contact, owner)
    await make_booking(session, owner, partner, ahead(5), "09:00", "10:00")
    await make_booking(
        session,
        owner,
        declined,
        ahead(6),
        "09:00",
        "10:00",
        status=BookingStatus.DECLINED,
        with_slot=False,
    )
    await settings(api, owner, visibility="contacts_only", allowed_user_ids=[str(allowed.id)])

    assert await _visible(api, contact, owner) is True
    assert await _visible(api, partner, owner) is True
    assert await _visible(api, allowed, owner) is True
    assert await _visible(api, owner, owner) is True
    # A request that was declined connects nobody; nor does being a professional.
    assert await _visible(api, declined, owner) is False
    assert await _visible(api, professional, owner) is False


async def test_a_revoked_contact_grant_no_longer_admits(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await _owner(session, runtime, pro=True)
    contact = await make_user(session, runtime)
    await _contact(api, contact, owner)
    await settings(api, owner, visibility="contacts_only")
    assert await _visible(api, contact, owner) is True

    revoked = await api.post(
        f"/v1/contacts/{contact.id}/revoke", headers=owner.headers, json={"fields": ["email"]}
    )

    assert revoked.status_code == 200, revoked.text
    assert await _visible(api, contact, owner) is False


async def test_private_admits_only_the_owner_and_allowed_users(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await _owner(session, runtime, pro=True)
    contact = await make_user(session, runtime)
    allowed = await _owner(session, runtime)
    professional = await _owner(session, runtime)
    await _contact(api, contact, owner)
    await settings(api, owner, visibility="private", allowed_user_ids=[str(allowed.id)])

    assert await _visible(api, owner, owner) is True
    assert await _visible(api, allowed, owner) is True
    assert await _visible(api, contact, owner) is False
    assert await _visible(api, professional, owner) is False


async def test_when_pro_lapses_a_private_calendar_is_public_again(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await _owner(session, runtime, pro=True)
    stranger = await make_user(session, runtime)
    await settings(api, owner, visibility="private")
    assert await _visible(api, stranger, owner) is False

    await end_pro(session, owner)

    assert await _visible(api, stranger, owner) is True
    stored = (await api.get("/v1/me/calendar/settings", headers=owner.headers)).json()
    assert (stored["visibility"], stored["effective_visibility"]) == ("private", "public")


async def test_blocked_pairs_get_404_both_ways_even_when_allowed(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await _owner(session, runtime)
    blocker = await make_user(session, runtime)
    blocked = await make_user(session, runtime)
    await settings(api, owner, allowed_user_ids=[str(blocker.id), str(blocked.id)])
    await block(api, blocker, owner.id)
    await block(api, owner, blocked.id)

    for viewer in (blocker, blocked):
        response = await _view(api, viewer, owner)
        assert response.status_code == 404
        assert response.json()["code"] == "calendar_not_found"


async def test_unknown_and_suspended_calendars_are_404(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    viewer = await make_user(session, runtime)
    suspended = await _owner(session, runtime)
    suspended.user.status = AccountStatus.SUSPENDED
    session.add(suspended.user)
    await session.commit()

    unknown = await api.get(
        f"/v1/professionals/{uuid.uuid4()}/availability", headers=viewer.headers
    )
    hidden = await _view(api, viewer, suspended)

    assert unknown.status_code == hidden.status_code == 404
    assert unknown.json()["code"] == hidden.json()["code"] == "calendar_not_found"


async def test_hidden_dates_are_unavailable_and_show_nothing(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await _owner(session, runtime)
    viewer = await make_user(session, runtime)
    await add_slot(api, owner, ahead(2), "09:00", "12:00")
    await make_booking(session, owner, viewer, ahead(2), "14:00", "16:00")
    await add_slot(api, owner, ahead(3), "09:00", "12:00")
    await settings(api, owner, hidden_dates=[str(ahead(2))])

    body = (await _view(api, viewer, owner, ahead(2), ahead(3))).json()

    assert body["days"][0] == {"day": str(ahead(2)), "status": "unavailable", "slots": []}
    assert body["days"][1]["status"] == "available"
    assert body["days"][1]["slots"] == [
        {"starts_at": "09:00:00", "ends_at": "12:00:00", "status": "free"}
    ]


async def test_without_partial_availability_others_see_day_statuses_only(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await _owner(session, runtime)
    viewer = await make_user(session, runtime)
    await add_slot(api, owner, ahead(2), "09:00", "12:00")
    await add_slot(api, owner, ahead(2), "13:00", "15:00", "blocked")
    await add_slot(api, owner, ahead(3), "09:00", "12:00")
    await settings(api, owner, show_partial_availability=False)

    body = (await _view(api, viewer, owner, ahead(2), ahead(3))).json()

    assert body["visible"] is True
    assert body["shows_times"] is False
    assert body["days"] == [
        {"day": str(ahead(2)), "status": "partial", "slots": []},
        {"day": str(ahead(3)), "status": "available", "slots": []},
    ]
    assert "09:00" not in str(body)


async def test_past_days_are_unavailable(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await _owner(session, runtime)
    viewer = await make_user(session, runtime)
    await put_slot(session, owner, ahead(-1), "09:00", "12:00")

    body = (await _view(api, viewer, owner, ahead(-1), ahead(0))).json()

    assert body["days"][0] == {"day": str(ahead(-1)), "status": "unavailable", "slots": []}


async def test_time_that_has_passed_today_is_never_offered(
    session: AsyncSession, runtime: Runtime
) -> None:
    owner = await _owner(session, runtime)
    viewer = await make_user(session, runtime)
    day = ahead(1)
    await put_slot(session, owner, day, "07:00", "09:00")
    await put_slot(session, owner, day, "10:00", "11:00", SlotStatus.BLOCKED)
    await put_slot(session, owner, day, "11:00", "15:00")
    await put_slot(session, owner, day, "15:00", "16:00", SlotStatus.BREAK)
    await put_slot(session, owner, day, "17:00", "18:00")
    principal = Principal(
        id=viewer.id,
        session_id=uuid.uuid4(),
        role=Role.USER,
        status=AccountStatus.ACTIVE,
        email_verified=True,
        phone_verified=False,
        onboarding_completed=True,
        mfa_satisfied=False,
    )
    now = datetime.combine(day, clock.at_minutes(12 * 60 + 10), tzinfo=IST)

    calendar = await viewing.view_availability(
        session, viewer=principal, professional_id=owner.id, start=day, end=day, now=now
    )

    [today] = calendar.days
    # The block at 10:00 is over, and breaks leave a day available (AV-1).
    assert today.status == "available"
    assert [(s.starts_at.isoformat(), s.ends_at.isoformat(), s.status) for s in today.slots] == [
        # 11:00-15:00 is under way at 12:10: what is left starts at the next grid time.
        ("13:00:00", "15:00:00", "free"),
        ("15:00:00", "16:00:00", "busy"),
        ("17:00:00", "18:00:00", "free"),
    ]


async def test_range_rules(api: AsyncClient, session: AsyncSession, runtime: Runtime) -> None:
    owner = await _owner(session, runtime)
    viewer = await make_user(session, runtime)

    at_limit = await _view(api, viewer, owner, ahead(0), ahead(92))
    too_far = await _view(api, viewer, owner, end=ahead(93))
    start_too_far = await _view(api, viewer, owner, ahead(93))
    backwards = await _view(api, viewer, owner, ahead(5), ahead(4))
    too_long = await _view(api, viewer, owner, ahead(-10), ahead(90))
    garbage = await _view(api, viewer, owner, "next tuesday")
    default = await _view(api, viewer, owner)

    assert at_limit.status_code == 200
    assert len(at_limit.json()["days"]) == 93
    for response, field, code in (
        (too_far, "to", "out_of_range"),
        (start_too_far, "from", "out_of_range"),
        (backwards, "to", "invalid_range"),
        (too_long, "to", "range_too_long"),
    ):
        assert response.status_code == 422, response.text
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
    assert garbage.status_code == 422
    assert len(default.json()["days"]) == 31
