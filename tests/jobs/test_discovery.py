"""Discovery (JOB-8, JOB-9): exact nearest-first, text search, filters, sorts and pages."""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.places import haversine_km
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.time import today_ist, utcnow
from getmygrapher.jobs import discovery
from tests.factories import Person, make_user
from tests.jobs.helpers import KOCHI, insert_jobs, job_row, make_pro, post_job

# Corners of India, where a flat-earth shortcut would go most wrong.
KANYAKUMARI = (8.0883, 77.5385)
LEH = (34.1526, 77.5771)
KIBITHU = (28.2833, 97.0167)  # the far north-east
KOTESHWAR = (23.6833, 68.5333)  # the far west
DELHI = (28.6139, 77.2090)
CENTRES = [KANYAKUMARI, LEH, KIBITHU, KOTESHWAR, DELHI, KOCHI]

TYPES = ["Wedding Photographer", "Event Photographer", "Portrait Photographer"]
URGENCIES = ["Normal", "Urgent", "Emergency"]


@pytest.fixture
async def client(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, onboarded=True, full_name="Arjun Menon")


@pytest.fixture
async def seeker(session: AsyncSession, runtime: Runtime) -> Person:
    """A Pro professional, so every radius up to 500 km is allowed."""
    person = await make_user(session, runtime, onboarded=True)
    await make_pro(session, person)
    return person


def _spread(rng: random.Random, count: int) -> list[tuple[float, float]]:
    """Points over India's extent, with extra density near the corners we test."""
    points = []
    for index in range(count):
        if index % 3 == 0:
            lat, lng = CENTRES[index % len(CENTRES)]
            lat += rng.uniform(-4, 4)
            lng += rng.uniform(-4, 4)
        else:
            lat, lng = rng.uniform(6.0, 37.6), rng.uniform(68.0, 97.5)
        points.append((min(max(lat, 6.0), 37.6), min(max(lng, 68.0), 97.5)))
    return points


async def _load(
    session: AsyncSession, client: Person, count: int, seed: int = 7
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    today = today_ist()
    rows = []
    for index, (lat, lng) in enumerate(_spread(rng, count)):
        low = rng.randrange(500, 50_000, 500)
        date = today + dt.timedelta(days=rng.randint(2, 200))
        starts = dt.datetime.combine(date, dt.time(9), tzinfo=dt.UTC)
        rows.append(
            job_row(
                client.id,
                lat,
                lng,
                id=uuid.uuid4(),
                title=f"Job {index}",
                category="Photography",
                professional_types=[TYPES[index % 3]],
                urgency=URGENCIES[rng.randrange(3)],
                budget_min=low,
                budget_max=low + rng.randrange(0, 50_000, 500),
                budget_type=["fixed", "hourly", "project"][index % 3],
                job_date=date,
                starts_at=starts,
                applications_close_at=starts,
                published_at=utcnow() - dt.timedelta(seconds=rng.randint(0, 10**6)),
            )
        )
    await insert_jobs(session, rows)
    return rows


async def _all_pages(
    api: AsyncClient, person: Person | None, **params: Any
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(200):
        query = params | ({"cursor": cursor} if cursor else {})
        response = await api.get("/v1/jobs", params=query, headers=person.headers if person else {})
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


def _nearest(
    rows: list[dict[str, Any]],
    lat: float,
    lng: float,
    radius: float,
    keep: Callable[[dict[str, Any]], bool] = lambda row: True,
) -> list[tuple[float, uuid.UUID]]:
    found = [
        (haversine_km(lat, lng, row["lat"], row["lng"]), row["id"]) for row in rows if keep(row)
    ]
    return sorted((d, job_id) for d, job_id in found if d <= radius)


@pytest.mark.parametrize("radius", [5, 25, 100, 500])
async def test_nearby_is_exactly_the_brute_force_answer_at_the_edges_of_india(
    api: AsyncClient, session: AsyncSession, client: Person, seeker: Person, radius: int
) -> None:
    rows = await _load(session, client, 3000)

    for lat, lng in CENTRES:
        expected = _nearest(rows, lat, lng, radius)
        items = await _all_pages(api, seeker, lat=lat, lng=lng, radius_km=radius, limit=100)

        assert [item["id"] for item in items] == [str(job_id) for _, job_id in expected]
        assert [item["distance_km"] for item in items] == [round(d, 1) for d, _ in expected]


async def test_a_500_km_circle_from_kanyakumari_reaches_past_the_flat_earth_box(
    api: AsyncClient, session: AsyncSession, client: Person, seeker: Person
) -> None:
    lat, lng = KANYAKUMARI
    # 499.5 km due north and due east (longitude degrees are shorter than latitude's).
    north = (lat + 499.5 / 111.195, lng)
    low, high = lng, lng + 10
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if haversine_km(lat, lng, lat, middle) < 499.5 else (low, middle)
    east_lng = low
    rows = [
        job_row(client.id, *north, id=uuid.uuid4(), title="North edge"),
        job_row(client.id, lat, east_lng, id=uuid.uuid4(), title="East edge"),
        job_row(client.id, lat + 4.6, lng + 0.0, id=uuid.uuid4(), title="Beyond"),
    ]
    await insert_jobs(session, rows)

    items = await _all_pages(api, seeker, lat=lat, lng=lng, radius_km=500)

    expected = _nearest(rows, lat, lng, 500)
    assert [item["id"] for item in items] == [str(job_id) for _, job_id in expected]
    assert {item["title"] for item in items} == {"North edge", "East edge"}
    assert all(499 <= item["distance_km"] <= 500 for item in items)


FILTERS: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
    (
        {"professional_types": ["Wedding Photographer", "Portrait Photographer"]},
        lambda r: r["professional_types"][0] in {"Wedding Photographer", "Portrait Photographer"},
    ),
    ({"urgency": ["Urgent", "Emergency"]}, lambda r: r["urgency"] in {"Urgent", "Emergency"}),
    (
        {"budget_min": 20000, "budget_max": 30000},
        lambda r: r["budget_max"] >= 20000 and r["budget_min"] <= 30000,
    ),
    ({"budget_type": "hourly"}, lambda r: r["budget_type"] == "hourly"),
    ({"category": "Photography"}, lambda r: True),
    ({"category": "Audio Production"}, lambda r: False),
]


@pytest.mark.parametrize(("params", "keep"), FILTERS)
async def test_filters_combine_with_the_radius(
    api: AsyncClient,
    session: AsyncSession,
    client: Person,
    seeker: Person,
    params: dict[str, Any],
    keep: Callable[[dict[str, Any]], bool],
) -> None:
    rows = await _load(session, client, 1500)
    lat, lng = DELHI

    items = await _all_pages(api, seeker, lat=lat, lng=lng, radius_km=400, limit=50, **params)

    expected = _nearest(rows, lat, lng, 400, keep)
    assert [item["id"] for item in items] == [str(job_id) for _, job_id in expected]


async def test_a_date_range_keeps_jobs_on_those_days(
    api: AsyncClient, session: AsyncSession, client: Person, seeker: Person
) -> None:
    rows = await _load(session, client, 1500)
    start, end = today_ist() + dt.timedelta(days=30), today_ist() + dt.timedelta(days=60)

    items = await _all_pages(
        api,
        seeker,
        lat=DELHI[0],
        lng=DELHI[1],
        radius_km=500,
        date_from=start.isoformat(),
        date_to=end.isoformat(),
    )

    expected = _nearest(rows, *DELHI, 500, lambda r: start <= r["job_date"] <= end)
    assert [item["id"] for item in items] == [str(job_id) for _, job_id in expected]


def _sorted_ids(rows: list[dict[str, Any]], sort: str, centre: tuple[float, float]) -> list[str]:
    inside = [r for r in rows if haversine_km(*centre, r["lat"], r["lng"]) <= 300]

    def distance(row: dict[str, Any]) -> float:
        return haversine_km(*centre, row["lat"], row["lng"])

    ranks = {"Normal": 1, "Urgent": 2, "Emergency": 3}
    keys: dict[str, tuple[Callable[[dict[str, Any]], Any], bool]] = {
        "date_posted": (lambda r: (r["published_at"], r["id"]), True),
        "job_date": (lambda r: (r["starts_at"], r["id"]), False),
        "budget_high_to_low": (lambda r: (r["budget_max"], r["id"]), True),
        "budget_low_to_high": (lambda r: (r["budget_min"], r["id"]), False),
        "urgency": (lambda r: (-ranks[r["urgency"]], distance(r), r["id"]), False),
    }
    key, reverse = keys[sort]
    return [str(r["id"]) for r in sorted(inside, key=key, reverse=reverse)]


@pytest.mark.parametrize(
    "sort", ["date_posted", "job_date", "budget_high_to_low", "budget_low_to_high", "urgency"]
)
async def test_every_sort_pages_through_every_job_once(
    api: AsyncClient, session: AsyncSession, client: Person, seeker: Person, sort: str
) -> None:
    rows = await _load(session, client, 1200)
    # Ties on the sort key, so the id tie-breaker is exercised too.
    for row in rows[::4]:
        row["budget_max"], row["budget_min"] = 40000, 5000
    await session.execute(
        text("UPDATE jobs SET budget_max = 40000, budget_min = 5000 WHERE id = ANY(:ids)"),
        {"ids": [row["id"] for row in rows[::4]]},
    )

    items = await _all_pages(
        api, seeker, lat=KOCHI[0], lng=KOCHI[1], radius_km=300, sort=sort, limit=7
    )

    assert [item["id"] for item in items] == _sorted_ids(rows, sort, KOCHI)


async def test_only_open_approved_listed_jobs_of_others_are_found(
    api: AsyncClient, session: AsyncSession, client: Person, seeker: Person
) -> None:
    lat, lng = KOCHI
    past = utcnow() - dt.timedelta(minutes=1)
    hidden = {
        "draft": {"status": "draft"},
        "closed": {"status": "closed"},
        "expired": {"status": "expired"},
        "completed": {"status": "completed"},
        "deleted": {"deleted_at": utcnow()},
        "flagged": {"moderation_status": "flagged"},
        "pending": {"moderation_status": "pending"},
        "past deadline": {"applications_close_at": past},  # still 'active': the clock decides
    }
    rows = [job_row(client.id, lat, lng, title=title, **values) for title, values in hidden.items()]
    rows.append(job_row(client.id, lat, lng, title="listed"))
    rows.append(job_row(seeker.id, lat, lng, title="my own"))
    await insert_jobs(session, rows)

    items = await _all_pages(api, seeker, lat=lat, lng=lng)
    anonymous = await _all_pages(api, None, lat=lat, lng=lng)

    assert [item["title"] for item in items] == ["listed"]
    assert sorted(item["title"] for item in anonymous) == ["listed", "my own"]


async def test_an_expired_job_vanishes_before_any_task_runs(
    api: AsyncClient, session: AsyncSession, client: Person, seeker: Person
) -> None:
    await make_pro(session, client)
    job = await post_job(api, client)
    before = await _all_pages(api, seeker)
    await session.execute(
        text("UPDATE jobs SET applications_close_at = now() - interval '1 second'")
    )

    after = await _all_pages(api, seeker)
    page = (await api.get(f"/v1/jobs/{job['id']}", headers=seeker.headers)).json()
    status = await session.scalar(text("SELECT status FROM jobs"))

    assert [item["id"] for item in before] == [job["id"]]
    assert after == []
    assert page["open_for_applications"] is False
    assert status == "active"  # nothing has moved it yet


async def test_the_radius_is_capped_by_plan(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, seeker: Person
) -> None:
    free = await make_user(session, runtime, onboarded=True)

    asked = {"lat": KOCHI[0], "lng": KOCHI[1], "radius_km": 300}
    free_page = (await api.get("/v1/jobs", params=asked, headers=free.headers)).json()
    anonymous = (await api.get("/v1/jobs", params=asked)).json()
    pro_page = (await api.get("/v1/jobs", params=asked, headers=seeker.headers)).json()
    default = (await api.get("/v1/jobs", headers=seeker.headers)).json()

    assert (free_page["radius_km_applied"], free_page["radius_capped"]) == (25, True)
    assert (anonymous["radius_km_applied"], anonymous["radius_capped"]) == (25, True)
    assert (pro_page["radius_km_applied"], pro_page["radius_capped"]) == (300, False)
    assert default["radius_km_applied"] == 25


async def test_a_free_seeker_never_sees_past_25_km(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, client: Person
) -> None:
    free = await make_user(session, runtime, onboarded=True)
    lat, lng = KOCHI
    await insert_jobs(
        session,
        [
            job_row(client.id, lat + 0.2, lng, title="22 km"),
            job_row(client.id, lat + 0.3, lng, title="33 km"),
        ],
    )

    items = await _all_pages(api, free, lat=lat, lng=lng, radius_km=500)

    assert [item["title"] for item in items] == ["22 km"]


async def test_the_centre_comes_from_coordinates_a_pin_code_the_profile_or_kochi(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, seeker: Person
) -> None:
    from tests.profiles.helpers import make_professional

    based = await make_professional(
        session, runtime, lat=19.076, lng=72.8777, city="Mumbai", state="Maharashtra"
    )

    by_pin = (await api.get("/v1/jobs", params={"pin_code": "110001"})).json()["centre"]
    by_profile = (await api.get("/v1/jobs", headers=based.headers)).json()["centre"]
    default = (await api.get("/v1/jobs", headers=seeker.headers)).json()["centre"]
    anonymous = (await api.get("/v1/jobs")).json()["centre"]
    unknown_pin = await api.get("/v1/jobs", params={"pin_code": "999999"})

    assert by_pin["source"] == "pin_code"
    assert round(by_pin["lat"]) == 29
    assert (by_profile["source"], by_profile["lat"]) == ("profile", 19.076)
    assert default["source"] == anonymous["source"] == "default"
    assert round(default["lat"], 1) == 9.9
    assert unknown_pin.json()["errors"][0]["field"] == "pin_code"


async def test_text_search_ranks_title_matches_first_and_tolerates_typos(
    api: AsyncClient, session: AsyncSession, client: Person, seeker: Person
) -> None:
    lat, lng = KOCHI
    await insert_jobs(
        session,
        [
            job_row(
                client.id,
                lat,
                lng + 0.05,
                title="Candid wedding photographer",
                description="Two-day Hindu wedding in Thrissur.",
            ),
            job_row(
                client.id,
                lat,
                lng,
                title="Event photographer",
                description="Corporate event, and a short wedding anniversary segment.",
            ),
            job_row(client.id, lat, lng, title="Product shoot", description="Catalogue of sarees."),
            job_row(
                client.id,
                lat,
                lng + 0.01,
                title="Mixing engineer",
                description="Mix a wedding album of eight songs.",
                category="Audio Production",
                professional_types=["Mixing Engineer"],
            ),
        ],
    )

    wedding = await _all_pages(api, seeker, q="wedding")
    typo = await _all_pages(api, seeker, q="weding photographer")
    phrase = await _all_pages(api, seeker, q='"wedding album"')
    excluded = await _all_pages(api, seeker, q="wedding -album")
    by_type = await _all_pages(api, seeker, q="mixing engineer")
    nearest = await _all_pages(api, seeker, q="wedding", sort="distance")

    assert wedding[0]["title"] == "Candid wedding photographer"
    assert {item["title"] for item in wedding} == {
        "Candid wedding photographer",
        "Event photographer",
        "Mixing engineer",
    }
    assert [r["relevance"] for r in wedding] == sorted(
        (r["relevance"] for r in wedding), reverse=True
    )
    assert typo[0]["title"] == "Candid wedding photographer"
    assert [item["title"] for item in phrase] == ["Mixing engineer"]
    assert "Mixing engineer" not in {item["title"] for item in excluded}
    assert by_type[0]["title"] == "Mixing engineer"
    assert [item["title"] for item in nearest] == [
        "Event photographer",
        "Mixing engineer",
        "Candid wedding photographer",
    ]


async def test_relevance_pages_without_repeats(
    api: AsyncClient, session: AsyncSession, client: Person, seeker: Person
) -> None:
    lat, lng = KOCHI
    rows = [
        job_row(
            client.id,
            lat + i * 0.001,
            lng,
            id=uuid.uuid4(),
            title="Wedding photographer" if i % 2 else "Photographer for a wedding day",
            description="wedding " * (i % 5 + 1),
        )
        for i in range(45)
    ]
    await insert_jobs(session, rows)

    items = await _all_pages(api, seeker, q="wedding photographer", limit=4)

    assert sorted(item["id"] for item in items) == sorted(str(row["id"]) for row in rows)


async def test_hostile_text_is_only_text(
    api: AsyncClient, session: AsyncSession, client: Person, seeker: Person
) -> None:
    await insert_jobs(session, [job_row(client.id, *KOCHI, title="Wedding photographer")])

    for q in [
        "'; DROP TABLE jobs; --",
        "<script>alert(1)</script>",
        "wedding & | ! ( :*",
        "\\x00\\\\",
        "%_%",
        "\u0928\u092e\u0938\u094d\u0924\u0947 wedding",
    ]:
        response = await api.get("/v1/jobs", params={"q": q}, headers=seeker.headers)
        assert response.status_code == 200, (q, response.text)

    assert await session.scalar(text("SELECT count(*) FROM jobs")) == 1


def _forged(parts: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 10.0}, "lat"),
        ({"lat": 51.5, "lng": -0.1}, "lat"),
        ({"radius_km": 0}, "radius_km"),
        ({"radius_km": 501}, "radius_km"),
        ({"radius_km": "far"}, "radius_km"),
        ({"q": "a"}, "q"),
        ({"q": "a" * 101}, "q"),
        ({"sort": "relevance"}, "sort"),
        ({"sort": "random"}, "sort"),
        ({"urgency": "Whenever"}, "urgency.0"),
        ({"category": "Cooking"}, "category"),
        ({"budget_type": "daily"}, "budget_type"),
        ({"date_from": "2030-02-01", "date_to": "2030-01-01"}, "date_from"),
        ({"pin_code": "12345"}, "pin_code"),
        ({"limit": 0}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": _forged(["far", "away"])}, "cursor"),
        ({"cursor": _forged([1e400, str(uuid.uuid4())])}, "cursor"),
        (
            {"sort": "budget_low_to_high", "cursor": _forged([2**40, {"u": str(uuid.uuid4())}])},
            "cursor",
        ),
        ({"professional_types": ["x" * 61]}, "professional_types.0"),
        ({"professional_types": [f"Type {i}" for i in range(21)]}, "professional_types"),
    ],
)
async def test_bad_discovery_parameters_are_clear_problems(
    api: AsyncClient, seeker: Person, params: dict[str, Any], field: str
) -> None:
    response = await api.get("/v1/jobs", params=params, headers=seeker.headers)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_a_page_is_at_most_a_hundred(
    api: AsyncClient, session: AsyncSession, client: Person, seeker: Person
) -> None:
    await insert_jobs(
        session, [job_row(client.id, KOCHI[0] + i * 0.0005, KOCHI[1]) for i in range(130)]
    )

    page = (await api.get("/v1/jobs", params={"limit": 1000}, headers=seeker.headers)).json()
    default = (await api.get("/v1/jobs", headers=seeker.headers)).json()

    assert len(page["items"]) == 100
    assert len(default["items"]) == 20


@pytest.mark.parametrize("sort", ["distance", "date_posted"])
async def test_pages_never_repeat_or_skip_while_jobs_are_posted(
    api: AsyncClient, session: AsyncSession, client: Person, seeker: Person, sort: str
) -> None:
    lat, lng = KOCHI
    rng = random.Random(3)
    original = [
        job_row(
            client.id,
            lat + rng.uniform(-0.15, 0.15),
            lng + rng.uniform(-0.15, 0.15),
            id=uuid.uuid4(),
            published_at=utcnow() - dt.timedelta(hours=i),
        )
        for i in range(60)
    ]
    await insert_jobs(session, original)

    seen: list[str] = []
    cursor = None
    for round_ in range(30):
        params = {"lat": lat, "lng": lng, "limit": 7, "sort": sort}
        page = (
            await api.get(
                "/v1/jobs",
                params=params | ({"cursor": cursor} if cursor else {}),
                headers=seeker.headers,
            )
        ).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # New jobs arrive between pages: nearer, farther, newer.
        await insert_jobs(
            session,
            [
                job_row(
                    client.id,
                    lat + rng.uniform(-0.15, 0.15),
                    lng + rng.uniform(-0.15, 0.15),
                    title=f"new {round_}.{n}",
                )
                for n in range(3)
            ],
        )

    assert len(seen) == len(set(seen))
    assert {str(row["id"]) for row in original} <= set(seen)


async def _load_words(
    session: AsyncSession, client: Person, count: int, *, every: int, seed: int = 11
) -> list[dict[str, Any]]:
    """Jobs near Kochi; one in `every` is about a podcast."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        about = "podcast recording" if index % every == 0 else "reception coverage"
        rows.append(
            job_row(
                client.id,
                KOCHI[0] + rng.uniform(-1.5, 1.5),
                KOCHI[1] + rng.uniform(-1.5, 1.5),
                id=uuid.uuid4(),
                title=f"Engineer for {about}",
                description=f"Help with {about} near the city.",
                urgency=URGENCIES[index % 3],
            )
        )
    await insert_jobs(session, rows)
    return rows


@pytest.mark.parametrize(("count", "every"), [(1500, 3), (6000, 2000)])
async def test_search_nearest_first_is_exact_on_a_walk_and_through_the_text_index(
    api: AsyncClient,
    session: AsyncSession,
    client: Person,
    seeker: Person,
    count: int,
    every: int,
) -> None:
    # Common words are met on the walk; rare ones (3 in 6,000, beyond the walk's reach)
    # come through the text index. Both answers must be the brute-force one.
    rows = await _load_words(session, client, count, every=every)

    items = await _all_pages(
        api,
        seeker,
        lat=KOCHI[0],
        lng=KOCHI[1],
        radius_km=200,
        q="podcast",
        sort="distance",
        limit=9,
    )
    urgent = await _all_pages(
        api,
        seeker,
        lat=KOCHI[0],
        lng=KOCHI[1],
        radius_km=200,
        q="podcast",
        sort="distance",
        urgency=["Urgent"],
    )

    expected = _nearest(rows, *KOCHI, 200, lambda r: "podcast" in r["title"])
    assert [item["id"] for item in items] == [str(job_id) for _, job_id in expected]
    assert [item["distance_km"] for item in items] == [round(d, 1) for d, _ in expected]
    expected_urgent = _nearest(
        rows, *KOCHI, 200, lambda r: "podcast" in r["title"] and r["urgency"] == "Urgent"
    )
    assert [item["id"] for item in urgent] == [str(job_id) for _, job_id in expected_urgent]


@pytest.mark.parametrize(("count", "every"), [(1500, 3), (6000, 2000)])
async def test_relevance_ranks_the_nearest_matches_on_a_walk_and_through_the_text_index(
    api: AsyncClient,
    session: AsyncSession,
    client: Person,
    seeker: Person,
    count: int,
    every: int,
) -> None:
    rows = await _load_words(session, client, count, every=every)

    items = await _all_pages(
        api, seeker, lat=KOCHI[0], lng=KOCHI[1], radius_km=200, q="podcast", limit=7
    )

    matches = _nearest(rows, *KOCHI, 200, lambda r: "podcast" in r["title"])
    ranked = [(-item["relevance"], item["distance_km"]) for item in items]
    assert ranked == sorted(ranked)
    assert len(items) == min(len(matches), 50)
    assert len({item["id"] for item in items}) == len(items)
    # Every candidate is one of the matches, and the nearest match is always among them.
    assert {item["id"] for item in items} <= {str(job_id) for _, job_id in matches}
    assert str(matches[0][1]) in {item["id"] for item in items}


async def test_a_misspelt_word_is_searched_as_the_nearest_known_word(
    api: AsyncClient, session: AsyncSession, client: Person, seeker: Person
) -> None:
    await _load_words(session, client, 30, every=3)

    page = (
        await api.get(
            "/v1/jobs", params={"q": "podcsat recordin", "radius_km": 300}, headers=seeker.headers
        )
    ).json()
    exact = (await api.get("/v1/jobs", params={"q": "podcast"}, headers=seeker.headers)).json()
    nonsense = (await api.get("/v1/jobs", params={"q": "qqqxxzz"}, headers=seeker.headers)).json()

    assert page["searched_for"] == "podcast recording"
    assert len(page["items"]) == 10
    assert exact["searched_for"] is None
    assert nonsense["items"] == []
    assert nonsense["searched_for"] is None


async def test_a_word_is_no_longer_corrected_once_a_job_uses_it(
    api: AsyncClient, session: AsyncSession, client: Person, seeker: Person
) -> None:
    lat, lng = KOCHI
    await insert_jobs(session, [job_row(client.id, lat, lng, title="Concert photographer")])

    async def search(q: str) -> dict[str, Any]:
        response = await api.get("/v1/jobs", params={"q": q}, headers=seeker.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    before = await search("concrt")
    known = await search("concert")
    again = await search("concert")  # a known word: answered without asking for spellings
    await insert_jobs(session, [job_row(client.id, lat, lng, title="Concrt studio opening")])
    after = await search("concrt")

    assert before["searched_for"] == "concert"
    assert [item["title"] for item in before["items"]] == ["Concert photographer"]
    assert known["searched_for"] is again["searched_for"] is None
    assert known["items"] == again["items"]
    assert after["searched_for"] is None  # the correction was never remembered
    assert [item["title"] for item in after["items"]] == ["Concrt studio opening"]


@pytest.mark.parametrize("walk", [40, discovery.NEWEST_WALK_LIMIT])
async def test_newest_first_is_exact_whether_the_walk_fills_a_page_or_gives_up(
    api: AsyncClient,
    session: AsyncSession,
    client: Person,
    seeker: Person,
    monkeypatch: pytest.MonkeyPatch,
    walk: int,
) -> None:
    """A short walk (40 of the newest jobs, most far away) gives up on most pages and sorts
    the radius instead; a long one fills every page; both give the same exact order."""
    monkeypatch.setattr(discovery, "NEWEST_WALK_LIMIT", walk)
    rows = await _load(session, client, 1200, seed=11)
    newest = sorted(rows, key=lambda r: (r["published_at"], r["id"]), reverse=True)[:walk]
    met = sum(haversine_km(*KOCHI, r["lat"], r["lng"]) <= 300 for r in newest)
    assert (met < 8) == (walk == 40)  # the short walk cannot fill even the first page

    items = await _all_pages(
        api, seeker, lat=KOCHI[0], lng=KOCHI[1], radius_km=300, sort="date_posted", limit=7
    )

    assert [item["id"] for item in items] == _sorted_ids(rows, "date_posted", KOCHI)
    assert len(items) > 14  # several pages
