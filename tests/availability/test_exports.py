"""Export, the private feed and import (AV-11): files that parse back, a feed that says nothing
about clients and whose URL is its only secret, and imports that never touch booked time."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.availability.models import CalendarOperation, CalendarSettings, CalendarSlot
from getmygrapher.availability.service import exports
from getmygrapher.core.ratelimit import Limit
from getmygrapher.core.runtime import Runtime
from tests.availability.sharing_helpers import add_slot, ahead, make_booking
from tests.factories import Person, make_user

NOTE = 'Gate 2, Hall B; ask for "Anil"\nbring ID'


async def _export(api: AsyncClient, person: Person, file_format: str, **params: str) -> Response:
    return await api.get(
        "/v1/me/calendar/export", params={"format": file_format, **params}, headers=person.headers
    )


async def _calendar(session: AsyncSession, runtime: Runtime, api: AsyncClient) -> dict[str, Any]:
    """An owner with free, blocked, booked and break time on one day and a blocked day after."""
    owner = await make_user(session, runtime, full_name="Meera Nair")
    client = await make_user(session, runtime, full_name="Zubeida Kunjamma")
    day = ahead(2)
    free = await add_slot(api, owner, day, "09:00", "11:00", note=NOTE)
    blocked = await add_slot(api, owner, day, "11:00", "12:00", "blocked", note="=HYPERLINK(1)")
    rest = await add_slot(api, owner, day, "16:00", "17:00", "break")
    booking = await make_booking(
        session, owner, client, day, "14:00", "16:00", notes="Reception at the Bolgatty"
    )
    off = await api.put(
        f"/v1/me/calendar/days/{ahead(3)}",
        headers=owner.headers,
        json={"blocked": True, "note": "Family function"},
    )
    assert off.status_code == 200, off.text
    booked_id = await session.scalar(
        select(CalendarSlot.id).where(CalendarSlot.booking_id == booking.id)
    )
    return {
        "owner": owner,
        "client": client,
        "booking": booking,
        "day": day,
        "ids": {"free": free["id"], "blocked": blocked["id"], "break": rest["id"]}
        | {"booked": str(booked_id)},
    }


def _events(content: bytes) -> list[Any]:
    return list(Calendar.from_ical(content).walk("VEVENT"))


async def _operations(session: AsyncSession, person: Person) -> list[tuple[str, str, str]]:
    rows = await session.execute(
        select(CalendarOperation.kind, CalendarOperation.format, CalendarOperation.status)
        .where(CalendarOperation.user_id == person.id)
        .order_by(CalendarOperation.created_at)
    )
    return [tuple(row) for row in rows.all()]


# Export ------------------------------------------------------------------------------------------


async def test_ics_export_is_valid_rfc5545_with_zone_stable_uids_and_escaped_text(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    cal = await _calendar(session, runtime, api)
    owner, day = cal["owner"], cal["day"]

    response = await _export(api, owner, "ics", **{"from": str(day), "to": str(ahead(3))})
    again = await _export(api, owner, "ics", **{"from": str(day), "to": str(ahead(3))})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.headers["content-disposition"].endswith('.ics"')
    parsed = Calendar.from_ical(response.content)
    assert str(parsed["VERSION"]) == "2.0"
    assert [str(tz["TZID"]) for tz in parsed.walk("VTIMEZONE")] == ["Asia/Kolkata"]
    assert "DTSTART;TZID=Asia/Kolkata:" in response.text
    events = {str(event["UID"]): event for event in parsed.walk("VEVENT")}
    slot_uids = {kind: f"{slot_id}@getmygrapher.in" for kind, slot_id in cal["ids"].items()}
    day_uid = f"{owner.id}-{ahead(3):%Y%m%d}@getmygrapher.in"
    assert set(events) == {*slot_uids.values(), day_uid}
    assert set(events) == {str(event["UID"]) for event in _events(again.content)}
    free = events[slot_uids["free"]]
    assert free.decoded("DTSTART") == datetime(day.year, day.month, day.day, 3, 30, tzinfo=UTC)
    assert free.decoded("DTSTART").tzinfo.key == "Asia/Kolkata"
    assert free.decoded("DTEND").hour == 11
    assert str(free["DESCRIPTION"]) == NOTE
    assert "Gate 2\\, Hall B\\; ask for" in response.text
    assert str(free["TRANSP"]) == "TRANSPARENT"
    booked = events[slot_uids["booked"]]
    assert str(booked["SUMMARY"]) == f"Booked {cal['booking'].reference} with Zubeida Kunjamma"
    assert str(booked["TRANSP"]) == "OPAQUE"
    whole_day = events[day_uid]
    assert whole_day.decoded("DTSTART") == ahead(3)
    assert whole_day.decoded("DTEND") == ahead(4)
    assert str(whole_day["DESCRIPTION"]) == "Family function"
    assert await _operations(session, owner) == [("export", "ics", "completed")] * 2


async def test_csv_export_follows_rfc4180(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    cal = await _calendar(session, runtime, api)
    owner, day = cal["owner"], cal["day"]

    response = await _export(api, owner, "csv", **{"from": str(day), "to": str(ahead(3))})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv; charset=utf-8")
    assert response.headers["content-disposition"].endswith('.csv"')
    assert response.text.startswith('"uid","kind","day","starts_at","ends_at","timezone"')
    assert response.content.count(b"\r\n") == 6  # header, five events; the note's \n is quoted
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    by_uid = {row["uid"]: row for row in rows}
    free = by_uid[f"{cal['ids']['free']}@getmygrapher.in"]
    assert (free["day"], free["starts_at"], free["ends_at"], free["status"]) == (
        str(day),
        "09:00",
        "11:00",
        "available",
    )
    assert free["note"] == NOTE
    # A cell starting with = would run as a spreadsheet formula.
    assert by_uid[f"{cal['ids']['blocked']}@getmygrapher.in"]["note"] == "'=HYPERLINK(1)"
    booked = by_uid[f"{cal['ids']['booked']}@getmygrapher.in"]
    assert (booked["booking_reference"], booked["client_name"]) == (
        cal["booking"].reference,
        "Zubeida Kunjamma",
    )
    whole_day = by_uid[f"{owner.id}-{ahead(3):%Y%m%d}@getmygrapher.in"]
    assert (whole_day["kind"], whole_day["starts_at"], whole_day["status"]) == (
        "day",
        "",
        "blocked",
    )
    assert await _operations(session, owner) == [("export", "csv", "completed")]


async def test_json_export_carries_the_owners_view(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    cal = await _calendar(session, runtime, api)
    owner, day = cal["owner"], cal["day"]

    response = await _export(api, owner, "json", **{"from": str(day), "to": str(day)})

    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].endswith('.json"')
    body = json.loads(response.content)
    assert (body["timezone"], body["starts_on"], body["ends_on"]) == (
        "Asia/Kolkata",
        str(day),
        str(day),
    )
    assert [(e["starts_at"], e["status"]) for e in body["events"]] == [
        ("09:00:00", "available"),
        ("11:00:00", "blocked"),
        ("14:00:00", "booked"),
        ("16:00:00", "break"),
    ]
    assert body["events"][2]["booking"] == {
        "reference": cal["booking"].reference,
        "status": "confirmed",
        "client_name": "Zubeida Kunjamma",
    }
    assert await _operations(session, owner) == [("export", "json", "completed")]


async def test_export_refuses_bad_input_and_strangers(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime)

    too_long = await _export(api, owner, "ics", **{"from": str(ahead(0)), "to": str(ahead(366))})
    at_limit = await _export(api, owner, "ics", **{"from": str(ahead(0)), "to": str(ahead(365))})
    unknown = await _export(api, owner, "xlsx")
    anonymous = await api.get("/v1/me/calendar/export")

    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["code"] == "range_too_long"
    assert at_limit.status_code == 200
    assert unknown.status_code == 422
    assert anonymous.status_code == 401
    assert await _operations(session, owner) == [("export", "ics", "completed")]


# The private feed --------------------------------------------------------------------------------


async def _issue(api: AsyncClient, person: Person) -> str:
    response = await api.post("/v1/me/calendar/feed", headers=person.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["url"])


def _path(url: str) -> str:
    return url.removeprefix("http://test")


async def test_the_feed_lists_busy_time_without_client_details(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    cal = await _calendar(session, runtime, api)
    owner = cal["owner"]
    url = await _issue(api, owner)

    response = await api.get(_path(url))

    assert url.startswith("http://test/v1/calendar-feeds/")
    assert url.endswith(".ics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response.headers["cache-control"]
    assert "private" in response.headers["cache-control"]
    events = {str(e["UID"]): e for e in _events(response.content)}
    ids = cal["ids"]
    day_uid = f"{owner.id}-{ahead(3):%Y%m%d}@getmygrapher.in"
    assert set(events) == {
        f"{ids['booked']}@getmygrapher.in",
        f"{ids['blocked']}@getmygrapher.in",
        day_uid,
    }
    assert str(events[f"{ids['booked']}@getmygrapher.in"]["SUMMARY"]) == "Booked"
    assert str(events[f"{ids['blocked']}@getmygrapher.in"]["SUMMARY"]) == "Busy"
    assert str(events[day_uid]["SUMMARY"]) == "Busy"
    assert "VTIMEZONE" in response.text
    for secret in (
        "Zubeida",
        cal["booking"].reference,
        str(cal["client"].id),
        "Bolgatty",
        "HYPERLINK",
        "Family function",
        "Gate 2",
        "DESCRIPTION",
    ):
        assert secret not in response.text


async def test_only_the_tokens_digest_is_kept_and_a_new_token_replaces_the_old(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime)

    first = await _issue(api, owner)
    second = await _issue(api, owner)

    token = second.rsplit("/", 1)[1].removesuffix(".ics")
    stored = await session.scalar(
        select(CalendarSettings.feed_token_hash).where(CalendarSettings.user_id == owner.id)
    )
    assert len(token) >= 43
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    logged = await session.scalars(
        select(CalendarOperation.detail).where(CalendarOperation.user_id == owner.id)
    )
    assert token not in json.dumps(list(logged))
    assert (await api.get(_path(first))).status_code == 404
    assert (await api.get(_path(second))).status_code == 200
    stored_settings = await api.get("/v1/me/calendar/settings", headers=owner.headers)
    assert stored_settings.json()["feed_active"] is True
    assert await _operations(session, owner) == [("feed", "ics", "completed")] * 2


async def test_a_revoked_or_unknown_feed_is_404(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime)
    url = await _issue(api, owner)

    revoked = await api.delete("/v1/me/calendar/feed", headers=owner.headers)
    again = await api.delete("/v1/me/calendar/feed", headers=owner.headers)
    gone = await api.get(_path(url))
    guessed = await api.get("/v1/calendar-feeds/" + "A" * 43 + ".ics")
    odd = await api.get("/v1/calendar-feeds/not%20a%20token.ics")

    assert (revoked.status_code, again.status_code) == (204, 204)
    for response in (gone, guessed, odd):
        assert response.status_code == 404
        assert response.json()["code"] == "calendar_feed_not_found"
    stored = await api.get("/v1/me/calendar/settings", headers=owner.headers)
    assert stored.json()["feed_active"] is False
    assert (await api.post("/v1/me/calendar/feed")).status_code == 401


async def test_the_feed_is_rate_limited_per_token_and_per_address(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        exports, "FEED_PER_TOKEN", Limit("calendar-feed-token", 2, timedelta(hours=1))
    )
    monkeypatch.setattr(exports, "FEED_PER_IP", Limit("calendar-feed-ip", 5, timedelta(hours=1)))
    owner = await make_user(session, runtime)
    url = await _issue(api, owner)

    reads = [await api.get(_path(url)) for _ in range(3)]
    guesses = [await api.get(f"/v1/calendar-feeds/{'B' * 42}{n}.ics") for n in range(3)]

    assert [r.status_code for r in reads] == [200, 200, 429]
    assert reads[2].json()["code"] == "rate_limited"
    assert int(reads[2].headers["retry-after"]) > 0
    # The address has now asked five times: a sixth is refused before any token is looked up.
    assert [r.status_code for r in guesses] == [404, 404, 429]


# Import ------------------------------------------------------------------------------------------


def _ics(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{event.strip()}\r\nEND:VEVENT\r\n" for event in events)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Elsewhere//EN\r\n" + body + "END:VCALENDAR\r\n"
    ).encode()


def _d(days: int) -> str:
    return f"{ahead(days):%Y%m%d}"


async def _import(
    api: AsyncClient, person: Person, content: bytes, name: str = "busy.ics"
) -> Response:
    kind = "text/csv" if name.endswith(".csv") else "text/calendar"
    return await api.post(
        "/v1/me/calendar/import", headers=person.headers, files={"file": (name, content, kind)}
    )


async def _slots(session: AsyncSession, person: Person) -> list[tuple[date, str, str, str]]:
    rows = await session.scalars(
        select(CalendarSlot)
        .where(CalendarSlot.user_id == person.id)
        .order_by(CalendarSlot.day, CalendarSlot.starts_at)
    )
    return [
        (s.day, s.starts_at.strftime("%H:%M"), s.ends_at.strftime("%H:%M"), s.status.value)
        for s in rows
    ]


async def test_busy_events_become_blocked_time_on_the_grid_and_booked_time_is_never_touched(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime)
    client = await make_user(session, runtime)
    await make_booking(session, owner, client, ahead(4), "10:00", "12:00")
    await add_slot(api, owner, ahead(5), "09:00", "10:00")
    content = _ics(
        # 09:15-10:40 IST, widened to the 1-hour grid; a second event touching it merges in.
        f"UID:dentist\r\nDTSTART;TZID=Asia/Kolkata:{_d(2)}T091500\r\n"
        f"DTEND;TZID=Asia/Kolkata:{_d(2)}T104000\r\nSUMMARY:Dentist",
        f"UID:call\r\nDTSTART:{_d(2)}T051000Z\r\nDURATION:PT50M",  # 10:40-11:30 IST
        # A floating time is the owner's wall-clock time; past 23:00 is cut off.
        f"UID:late\r\nDTSTART:{_d(2)}T220000\r\nDTEND:{_d(3)}T020000",
        f"UID:holiday\r\nDTSTART;VALUE=DATE:{_d(3)}\r\nDTEND;VALUE=DATE:{_d(4)}",
        f"UID:free\r\nDTSTART:{_d(2)}T130000\r\nDTEND:{_d(2)}T140000\r\nTRANSP:TRANSPARENT",
        f"UID:off\r\nDTSTART:{_d(2)}T150000\r\nDTEND:{_d(2)}T160000\r\nSTATUS:CANCELLED",
        f"UID:clash\r\nDTSTART:{_d(4)}T110000\r\nDTEND:{_d(4)}T130000",
        f"UID:over-slot\r\nDTSTART:{_d(5)}T093000\r\nDTEND:{_d(5)}T103000",
        f"UID:gone\r\nDTSTART:{_d(-3)}T100000\r\nDTEND:{_d(-3)}T110000",
        f"UID:far\r\nDTSTART:{_d(400)}T100000\r\nDTEND:{_d(400)}T110000",
        f"UID:night\r\nDTSTART:{_d(6)}T000000\r\nDTEND:{_d(6)}T050000",
        f"UID:weekly\r\nDTSTART:{_d(7)}T100000\r\nDTEND:{_d(7)}T110000\r\nRRULE:FREQ=WEEKLY",
    )

    response = await _import(api, owner, content)

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["format"] == "ics"
    assert report["events"] == 12
    assert report["created"] == 5
    assert report["ignored"] == {
        "free": 2,
        "past": 1,
        "too_far_ahead": 1,
        "outside_hours": 1,
        "recurring": 1,
    }
    assert report["skipped"] == [
        {
            "day": str(ahead(4)),
            "starts_at": "11:00:00",
            "ends_at": "13:00:00",
            "reason": "overlaps_booking",
            "uids": ["clash"],
        },
        {
            "day": str(ahead(5)),
            "starts_at": "09:00:00",
            "ends_at": "11:00:00",
            "reason": "overlaps_slot",
            "uids": ["over-slot"],
        },
    ]
    assert await _slots(session, owner) == [
        (ahead(2), "09:00", "12:00", "blocked"),
        (ahead(2), "22:00", "23:00", "blocked"),
        # A whole day is 06:00-23:00, in slots of at most 12 hours (AV-2).
        (ahead(3), "06:00", "18:00", "blocked"),
        (ahead(3), "18:00", "23:00", "blocked"),
        (ahead(4), "10:00", "12:00", "booked"),
        (ahead(5), "09:00", "10:00", "available"),
        (ahead(7), "10:00", "11:00", "blocked"),
    ]
    assert await _operations(session, owner) == [("import", "ics", "completed")]


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a calendar",
        b"%PDF-1.7\x00\x01\x02",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n",
        b"BEGIN:VEVENT\r\nDTSTART:20261205T100000\r\nEND:VEVENT\r\n",
        _ics("UID:x\r\nDTSTART:tomorrow"),
        _ics("UID:x\r\nSUMMARY:no start"),
        b"   ",
    ],
)
async def test_a_file_that_is_not_a_calendar_stores_nothing_but_the_failed_operation(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, content: bytes
) -> None:
    owner = await make_user(session, runtime)

    response = await _import(api, owner, content)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_calendar_file"
    assert response.json()["errors"][0]["field"] == "file"
    assert await _slots(session, owner) == []
    assert await _operations(session, owner) == [("import", "ics", "failed")]


async def test_one_bad_event_refuses_the_whole_file(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime)
    content = _ics(
        f"UID:good\r\nDTSTART:{_d(2)}T100000\r\nDTEND:{_d(2)}T110000",
        f"UID:bad\r\nDTSTART;VALUE=DATE:{_d(2)}\r\nDTEND:{_d(2)}T110000",
    )

    response = await _import(api, owner, content)

    assert response.status_code == 422
    assert "bad" in response.json()["detail"]
    assert await _slots(session, owner) == []


async def test_a_file_over_1_mb_is_413_and_stores_nothing(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime)
    event = f"UID:x\r\nDTSTART:{_d(2)}T100000\r\nDTEND:{_d(2)}T110000\r\nDESCRIPTION:" + "x" * 60
    content = _ics(event)
    content += b" " * (1024 * 1024 + 1 - len(content))

    response = await _import(api, owner, content)

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert await _slots(session, owner) == []
    assert await _operations(session, owner) == [("import", "ics", "failed")]


async def test_more_than_1000_events_is_refused(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime)
    events = [f"UID:{n}\r\nDTSTART:{_d(2)}T100000\r\nDTEND:{_d(2)}T110000" for n in range(1001)]

    response = await _import(api, owner, _ics(*events))
    at_limit = await _import(api, owner, _ics(*events[:1000]))

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "out_of_range"
    assert at_limit.status_code == 200, at_limit.text
    assert at_limit.json()["created"] == 1
    assert (
        await session.scalar(
            select(func.count()).select_from(CalendarSlot).where(CalendarSlot.user_id == owner.id)
        )
        == 1
    )


async def test_import_needs_a_signed_in_owner(api: AsyncClient) -> None:
    response = await api.post(
        "/v1/me/calendar/import", files={"file": ("busy.ics", _ics(), "text/calendar")}
    )

    assert response.status_code == 401


def _busy(intervals: list[tuple[date, str, str]]) -> list[tuple[date, str, str]]:
    """Touching intervals as one, so busy time compares whatever its slots."""
    merged: list[tuple[date, str, str]] = []
    for day, starts, ends in sorted(intervals):
        if merged and merged[-1][0] == day and merged[-1][2] == starts:
            merged[-1] = (day, merged[-1][1], ends)
        else:
            merged.append((day, starts, ends))
    return merged


async def test_an_ics_export_imported_elsewhere_gives_the_same_busy_times(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    cal = await _calendar(session, runtime, api)
    owner, day = cal["owner"], cal["day"]
    other = await make_user(session, runtime)
    exported = await _export(api, owner, "ics", **{"from": str(day), "to": str(ahead(3))})
    parsed = Calendar.from_ical(exported.content)
    busy_events = [e for e in parsed.walk("VEVENT") if str(e["TRANSP"]) == "OPAQUE"]
    assert len(busy_events) == 4  # blocked, booked, break, and the blocked day

    response = await _import(api, other, exported.content, "meera.ics")

    assert response.status_code == 200, response.text
    assert response.json()["ignored"]["free"] == 1
    source = [
        (d, s, e) for d, s, e, status in await _slots(session, owner) if status != "available"
    ] + [(ahead(3), "06:00", "23:00")]
    imported = await _slots(session, other)
    assert {status for *_, status in imported} == {"blocked"}
    assert _busy([(d, s, e) for d, s, e, _ in imported]) == _busy(source)


async def test_a_csv_export_imports_too(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    cal = await _calendar(session, runtime, api)
    owner, day = cal["owner"], cal["day"]
    other = await make_user(session, runtime)
    exported = await _export(api, owner, "csv", **{"from": str(day), "to": str(day)})

    response = await _import(api, other, exported.content, "meera.csv")
    garbage = await _import(api, other, b"when,what\r\nsoon,shoot\r\n", "bad.csv")

    assert response.status_code == 200, response.text
    assert response.json()["format"] == "csv"
    assert response.json()["ignored"]["free"] == 1
    assert await _slots(session, other) == [
        (day, "11:00", "12:00", "blocked"),
        (day, "14:00", "17:00", "blocked"),
    ]
    assert garbage.status_code == 422
    assert garbage.json()["code"] == "invalid_calendar_file"
    assert await _operations(session, other) == [
        ("import", "csv", "completed"),
        ("import", "csv", "failed"),
    ]


async def test_dates_at_the_end_of_the_calendar_are_answered_not_crashed(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    owner = await make_user(session, runtime)
    far = {"from": "9999-12-20"}

    exported = await _export(api, owner, "json", **far)
    stats = await api.get("/v1/me/calendar/stats", params=far, headers=owner.headers)
    seen = await api.get(
        f"/v1/professionals/{owner.id}/availability", params=far, headers=owner.headers
    )
    events = _ics(f"UID:huge\r\nDTSTART:{_d(2)}T100000Z\r\nDURATION:P99999999D")
    imported = await _import(api, owner, events)

    assert exported.status_code == 200
    assert json.loads(exported.content)["ends_on"] == "9999-12-30"
    assert stats.status_code == 200
    assert stats.json()["ends_on"] == "9999-12-30"
    assert seen.status_code == 422
    infinite = await api.get(
        "/v1/me/calendar/stats", params={"from": "9999-12-31"}, headers=owner.headers
    )
    assert infinite.status_code == 422
    assert imported.status_code == 422
    assert imported.json()["code"] == "invalid_calendar_file"
