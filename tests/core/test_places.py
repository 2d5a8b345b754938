from __future__ import annotations

import csv
import socket
import time
from importlib import resources

import pytest

from getmygrapher.core.india import STATES
from getmygrapher.core.places import (
    KOCHI,
    Place,
    find_place,
    haversine_km,
    in_india,
    nearest_pin,
    nearest_place,
    resolve_pin,
    search_places,
)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the gazetteer must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _resolved(pin: str) -> Place:
    place = resolve_pin(pin)
    assert place is not None, pin
    return place


def test_infopark_pin_resolves_to_kochi_with_its_post_office_as_locality(offline: None) -> None:
    place = _resolved("682042")
    assert (place.name, place.state, place.pin_code) == ("Kochi", "Kerala", "682042")
    assert haversine_km(place.lat, place.lng, 9.97, 76.28) < 10
    assert place.locality == "Infopark Kochi"


def test_pin_accepts_surrounding_and_inner_spaces() -> None:
    assert resolve_pin(" 682 042 ") == resolve_pin("682042")


def test_connaught_place_pin_is_in_delhi() -> None:
    place = _resolved("110001")
    assert place.name in {"New Delhi", "Delhi"}
    assert place.state == "Delhi"
    assert place.locality == "New Delhi GPO"


def test_fort_pin_is_mumbai() -> None:
    place = _resolved("400001")
    assert (place.name, place.state) == ("Mumbai", "Maharashtra")


def test_leh_pin_is_in_ladakh_not_jammu_and_kashmir() -> None:
    place = _resolved("194101")
    assert (place.name, place.state, place.locality) == ("Leh", "Ladakh", "Leh")


def test_port_blair_pin_is_in_the_andamans() -> None:
    place = _resolved("744101")
    assert (place.name, place.state) == ("Port Blair", "Andaman and Nicobar Islands")


def test_pin_centre_ignores_offices_geocoded_far_from_the_delivery_office() -> None:
    # Half of 700001's offices are recorded ~30 km south-west of Kolkata GPO.
    kolkata = _resolved("700001")
    assert kolkata.name == "Kolkata"
    assert haversine_km(kolkata.lat, kolkata.lng, 22.5736, 88.3483) < 3
    # Two of 201301's three offices are recorded in Madhya Pradesh.
    noida = _resolved("201301")
    assert (noida.name, noida.state) == ("Noida", "Uttar Pradesh")


def test_pin_placed_on_a_namesake_in_another_state_falls_back_to_its_district_city() -> None:
    # India Post puts Aurangabad (Bihar)'s 824102 on Aurangabad, Maharashtra.
    place = _resolved("824102")
    aurangabad_bihar = find_place("Aurangabad", "Bihar")
    assert aurangabad_bihar is not None
    assert (place.name, place.state) == ("Aurangabad", "Bihar")
    assert haversine_km(place.lat, place.lng, aurangabad_bihar.lat, aurangabad_bihar.lng) < 50


def test_pin_state_is_canonicalised_from_india_posts_spelling() -> None:
    # India Post writes "THE DADRA AND NAGAR HAVELI AND DAMAN AND DIU".
    place = _resolved("396210")
    assert (place.name, place.state) == ("Daman", "Dadra and Nagar Haveli and Daman and Diu")


def test_pin_without_coordinates_is_placed_at_its_district_city() -> None:
    place = _resolved("483222")
    jabalpur = find_place("Jabalpur", "Madhya Pradesh")
    assert jabalpur is not None
    assert (place.name, place.state, place.lat, place.lng) == (
        "Jabalpur",
        "Madhya Pradesh",
        jabalpur.lat,
        jabalpur.lng,
    )


def test_counter_pin_without_a_state_takes_the_state_of_the_city_it_is_in() -> None:
    place = _resolved("380010")
    assert (place.name, place.state, place.locality) == ("Ahmedabad", "Gujarat", "NDC Ellisbridge")


def test_pin_with_neither_coordinates_nor_a_findable_city_resolves_to_nothing() -> None:
    assert resolve_pin("682555") is None  # Kavaratti: no coordinates, no city in the gazetteer


@pytest.mark.parametrize("pin", ["000000", "99999", "abcdef", "1234567", "", "012345", "999999"])
def test_unknown_or_malformed_pin_resolves_to_nothing(pin: str) -> None:
    assert resolve_pin(pin) is None


@pytest.mark.parametrize("query", ["Cochin", "kochi ", "KOCHI", "കൊച്ചി", "Ernakulam", "Ko chi"])
def test_old_native_and_sloppy_spellings_of_kochi_find_kochi_first(query: str) -> None:
    found = search_places(query)
    assert found
    assert (found[0].name, found[0].state) == ("Kochi", "Kerala")


def test_bangalore_and_bengaluru_are_the_same_place() -> None:
    by_old, by_new, by_kannada = (
        search_places(query)[0] for query in ("Bangalore", "Bengaluru", "ಬೆಂಗಳೂರು")
    )
    assert by_old == by_new == by_kannada
    assert (by_new.name, by_new.state) == ("Bengaluru", "Karnataka")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("Trivandrum", "Thiruvananthapuram"),
        ("തിരുവനന്തപുരം", "Thiruvananthapuram"),
        ("Bombay", "Mumbai"),
        ("Gurgaon", "Gurugram"),
        ("Banaras", "Varanasi"),
        ("Bengalūru", "Bengaluru"),
    ],
)
def test_well_known_aliases_find_the_modern_name(query: str, name: str) -> None:
    assert search_places(query)[0].name == name


def test_other_alternative_names_match_too() -> None:
    assert search_places("Fort Cochin")[0].name == "Kochi"
    assert search_places("Calicut")[0].name == "Kozhikode"


def test_well_known_alias_outranks_a_small_town_with_that_name() -> None:
    found = search_places("Baroda")
    assert [(place.name, place.state) for place in found[:2]] == [
        ("Vadodara", "Gujarat"),
        ("Baroda", "Madhya Pradesh"),
    ]


def test_a_city_name_outranks_another_city_listing_it_as_an_alias() -> None:
    assert search_places("New Delhi")[0].name == "New Delhi"


def test_state_filter_narrows_namesakes() -> None:
    everywhere = {
        place.state for place in search_places("Aurangabad") if place.name == "Aurangabad"
    }
    assert {"Maharashtra", "Bihar"} <= everywhere
    in_bihar = search_places("Aurangabad", state="Bihar")
    assert [(place.name, place.state) for place in in_bihar] == [("Aurangabad", "Bihar")]
    assert search_places("aurangabad", state="MAHARASHTRA")[0].state == "Maharashtra"
    assert search_places("Mumbai", state="Kerala") == []
    assert search_places("Mumbai", state="Atlantis") == []


def test_exact_matches_come_before_prefix_matches() -> None:
    found = search_places("Delhi", limit=3)
    assert found[0].name == "Delhi"
    assert all("delhi" in place.name.casefold() for place in found)


def test_search_limit_is_respected_and_capped() -> None:
    assert len(search_places("pur", limit=3)) == 3
    assert len(search_places("pur", limit=500)) == 20
    assert search_places("pur", limit=0) == []
    assert search_places("   ") == []


def test_find_place_takes_only_whole_names() -> None:
    cochin = find_place("Cochin")
    assert cochin is not None
    assert cochin.name == "Kochi"
    assert find_place("Kochi", "Kerala") == cochin
    assert find_place("ochi") is None
    assert find_place("Kochi", "Goa") is None


def test_nearest_place_to_the_default_centre_is_kochi() -> None:
    place = nearest_place(KOCHI.lat, KOCHI.lng)
    assert place is not None
    assert (place.name, place.state) == ("Kochi", "Kerala")


def test_nearest_place_far_out_in_the_arabian_sea_is_nothing() -> None:
    assert nearest_place(9.9312, 74.44) is None
    assert nearest_place(9.9312, 74.44, within_km=250) is not None


def test_nearest_place_takes_any_radius_and_rejects_nonsense() -> None:
    assert nearest_place(KOCHI.lat, KOCHI.lng, within_km=20_000) == nearest_place(
        KOCHI.lat, KOCHI.lng
    )
    assert nearest_place(float("nan"), KOCHI.lng) is None
    assert nearest_place(KOCHI.lat, KOCHI.lng, within_km=-1) is None


def test_nearest_place_is_fast() -> None:
    nearest_place(KOCHI.lat, KOCHI.lng)
    started = time.perf_counter()
    for step in range(1000):
        nearest_place(8.0 + step * 0.02, 77.0)
    assert time.perf_counter() - started < 1.0


def test_nearest_pin_is_found_offline_and_only_inside_india(offline: None) -> None:
    assert nearest_pin(28.6315, 77.2167) == "110001"  # Connaught Place
    assert nearest_pin(0.0, 0.0) is None
    assert nearest_pin(float("nan"), 76.0) is None


@pytest.mark.parametrize(
    ("lat", "lng", "inside"),
    [
        (8.08, 77.55, True),  # Kanyakumari
        (5.9, 80.0, False),
        (34.15, 77.58, True),  # Leh
        (28.28, 97.02, True),  # Kibithu
        (37.7, 75.0, False),
        (20.0, 67.9, False),
    ],
)
def test_in_india_follows_the_gen_11_box(lat: float, lng: float, inside: bool) -> None:
    assert in_india(lat, lng) is inside


def test_haversine_mumbai_to_delhi() -> None:
    assert haversine_km(19.0760, 72.8777, 28.6139, 77.2090) == pytest.approx(1148, abs=10)
    assert haversine_km(KOCHI.lat, KOCHI.lng, KOCHI.lat, KOCHI.lng) == 0


def test_bundled_csv_covers_india_with_canonical_states() -> None:
    source = resources.files("getmygrapher.core").joinpath("data").joinpath("places.csv")
    rows = list(csv.DictReader(source.read_text(encoding="utf-8").splitlines()))
    assert len(rows) > 3000
    assert list(rows[0]) == ["name", "state", "lat", "lng", "population", "aliases"]
    assert {row["state"] for row in rows} <= set(STATES)
    assert all(in_india(float(row["lat"]), float(row["lng"])) for row in rows)
    assert all(len(row["aliases"].split("|")) <= 12 for row in rows)
