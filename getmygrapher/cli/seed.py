"""Demo data: a few hundred onboarded professionals and clients' jobs around Indian cities;
and synthetic data at scale."""

from __future__ import annotations

import json
import random
import secrets

from rich.progress import Progress
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.accounts.models import User
from getmygrapher.cli import synthetic
from getmygrapher.core import places
from getmygrapher.core.config import Settings
from getmygrapher.core.db import create_engine, transaction
from getmygrapher.core.taxonomy import (
    CATEGORIES,
    EQUIPMENT_CATALOGUE,
    EXPERIENCE_BANDS,
    WORK_RADIUS_PRESETS_KM,
    normalised_name,
)
from getmygrapher.core.time import utcnow
from getmygrapher.jobs.models import Job
from getmygrapher.main import build_runtime
from getmygrapher.profiles import service as profiles_service
from getmygrapher.profiles.models import EquipmentItem, Onboarding, OnboardingStatus, Profile

DEMO_DOMAIN = "demo.getmygrapher.in"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published for the demo accounts

FIRST_NAMES = [
    "Aarav",
    "Aditi",
    "Akhil",
    "Ananya",
    "Anjali",
    "Arjun",
    "Deepa",
    "Devika",
    "Farhan",
    "Gaurav",
    "Ishaan",
    "Kavya",
    "Lakshmi",
    "Manoj",
    "Meera",
    "Nikhil",
    "Nisha",
    "Pooja",
    "Priya",
    "Rahul",
    "Rajesh",
    "Riya",
    "Rohan",
    "Sanjay",
    "Sneha",
    "Suresh",
    "Tanvi",
    "Varun",
    "Vidya",
    "Zoya",
    "Abhishek",
    "Fathima",
    "Harpreet",
    "Joseph",
    "Karthik",
    "Nandini",
    "Sayan",
    "Tenzin",
]
SURNAMES = [
    "Iyer",
    "Nair",
    "Menon",
    "Pillai",
    "Sharma",
    "Verma",
    "Gupta",
    "Reddy",
    "Rao",
    "Patel",
    "Shah",
    "Desai",
    "Kulkarni",
    "Joshi",
    "Mukherjee",
    "Banerjee",
    "Das",
    "Singh",
    "Khan",
    "Fernandes",
    "Kurian",
    "Thomas",
    "Varghese",
    "Chatterjee",
    "Bose",
    "Gill",
    "Hegde",
    "Naidu",
    "Bhat",
    "Dutta",
]
CITIES = (
    "Mumbai",
    "Delhi",
    "Bengaluru",
    "Chennai",
    "Kochi",
    "Hyderabad",
    "Pune",
    "Kolkata",
    "Ahmedabad",
    "Jaipur",
    "Thiruvananthapuram",
    "Kozhikode",
    "Thrissur",
    "Coimbatore",
    "Madurai",
    "Mysuru",
    "Mangaluru",
    "Chandigarh",
    "Lucknow",
    "Indore",
    "Bhopal",
    "Nagpur",
    "Visakhapatnam",
    "Vijayawada",
    "Guwahati",
    "Bhubaneswar",
    "Patna",
    "Dehradun",
    "Udaipur",
    "Varanasi",
    "Surat",
    "Vadodara",
    "Nashik",
    "Amritsar",
    "Panaji",
    "Shillong",
)
CATEGORY_WEIGHTS = {
    "Photography": 50,
    "Videography & Film": 25,
    "Audio Production": 8,
    "Design & Creative": 9,
    "Multi-Disciplinary": 8,
}
GEAR_BY_CATEGORY = {
    "Photography": ("cameras", "lenses", "lighting"),
    "Videography & Film": ("cameras", "support_gear", "audio"),
    "Audio Production": ("audio", "other"),
    "Design & Creative": ("other",),
    "Multi-Disciplinary": ("cameras", "audio"),
}
ABOUTS = (
    "{years} behind the camera, mostly {speciality} in and around {city}.",
    "I love telling stories through {speciality}. Based in {city}, happy to travel.",
    "{speciality} for families and brands across {state}. Quick turnaround, honest pricing.",
    "Calm on busy days: {speciality} with a small, reliable team from {city}.",
)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _profile_values(rng: random.Random, place: places.Place) -> dict[str, object]:
    category = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
    types, specs = CATEGORIES[category]["types"], CATEGORIES[category]["specializations"]
    chosen = rng.sample(specs, k=rng.randint(1, min(3, len(specs))))
    lat = min(37.5, max(6.1, place.lat + rng.uniform(-0.12, 0.12)))
    lng = min(97.4, max(68.1, place.lng + rng.uniform(-0.12, 0.12)))
    experience = rng.choice(EXPERIENCE_BANDS)
    pricing_type = rng.choice(("per_hour", "per_day", "per_event"))
    low, high = {"per_hour": (500, 5000), "per_day": (5000, 40000), "per_event": (10000, 100000)}[
        pricing_type
    ]
    return {
        "category": category,
        "professional_type": rng.choice(types),
        "specializations": chosen,
        "experience": experience,
        "pricing_type": pricing_type,
        "rate_rupees": rng.randrange(low, high + 1, 500),
        "rate_negotiable": rng.random() < 0.4,
        "lat": round(lat, 6),
        "lng": round(lng, 6),
        "city": place.name,
        "state": place.state,
        "pin_code": places.nearest_pin(lat, lng),
        "work_radius_km": rng.choice(WORK_RADIUS_PRESETS_KM),
        "about": _sentence(
            rng.choice(ABOUTS).format(
                years=experience, speciality=chosen[0].lower(), city=place.name, state=place.state
            )
        ),
        "instagram_handle": None,
        "show_gender": False,
    }


async def seed_demo(settings: Settings, database_url: str, *, count: int = 300) -> int:
    """Onboarded demo professionals (password `demo-pass-2026`); safe to run twice."""
    runtime = build_runtime(settings, database_url)
    rng = random.Random(2026)  # noqa: S311 - demo data, not secrets
    cities = [place for name in CITIES if (place := places.find_place(name)) is not None]
    ctx = accounts_service.AuthContext.of(runtime)
    password_hash = await ctx.passwords.hash(DEMO_PASSWORD)
    created = 0
    try:
        with Progress() as progress:
            bar = progress.add_task("demo professionals", total=count)
            for start in range(0, count, 50):
                async with transaction(runtime.sessionmaker) as session:
                    for index in range(start, min(start + 50, count)):
                        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
                        user = await accounts_service.create_account(
                            session,
                            email=f"user{index:04d}@{DEMO_DOMAIN}",
                            email_verified=True,
                            password_hash=password_hash,
                            full_name=f"{first} {last}",
                            phone=f"+91900{index:07d}",
                            phone_verified=True,
                            onboarded_at=utcnow(),
                        )
                        progress.advance(bar)
                        if user is None:
                            continue
                        created += 1
                        values = _profile_values(rng, rng.choice(cities))
                        values["instagram_handle"] = f"{first}.{last}.{index}".lower()[:30]
                        profile = await session.get(Profile, user.id)
                        onboarding = await session.get(Onboarding, user.id)
                        assert profile is not None  # noqa: S101 - made with the account
                        assert onboarding is not None  # noqa: S101 - made with the account
                        for key, value in values.items():
                            setattr(profile, key, value)
                        onboarding.status = OnboardingStatus.COMPLETED
                        onboarding.completed_steps = [
                            "category_selection",
                            "type_selection",
                            "location_setup",
                            "basic_profile",
                            "professional_details",
                            "availability_setup",
                        ]
                        onboarding.completed_at = utcnow()
                        for gear_category in GEAR_BY_CATEGORY[str(values["category"])]:
                            name = rng.choice(EQUIPMENT_CATALOGUE[gear_category])
                            session.add(
                                EquipmentItem(
                                    user_id=user.id,
                                    category=gear_category,
                                    name=name,
                                    normalized_name=normalised_name(name),
                                    condition=rng.choice(("new", "excellent", "good")),
                                    support_kind="other"
                                    if gear_category == "support_gear"
                                    else None,
                                )
                            )
                        await session.flush()
                        await profiles_service.recompute_completion(session, profile)
        async with transaction(runtime.sessionmaker) as session:
            await _demo_jobs(session, rng, password_hash)
    finally:
        await runtime.aclose()
    return created


DEMO_CLIENTS = 40
DEMO_JOBS = 400


async def _demo_jobs(session: AsyncSession, rng: random.Random, password_hash: str) -> None:
    """Clients (client0000@…) with open jobs spread like the professionals."""
    clients = []
    for index in range(DEMO_CLIENTS):
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        user = await accounts_service.create_account(
            session,
            email=f"client{index:04d}@{DEMO_DOMAIN}",
            email_verified=True,
            password_hash=password_hash,
            full_name=f"{first} {last}",
            onboarded_at=utcnow(),
        )
        if user is not None:
            clients.append(user.id)
    if clients:
        rows = [
            dict(zip(synthetic.JOB_COLUMNS, record, strict=True))
            for record in synthetic.job_records(rng, DEMO_JOBS, clients)
        ]
        for row in rows:
            row["time_slots"] = json.loads(row["time_slots"])
        await session.execute(insert(Job), rows)


async def seed_scale(database_url: str, *, jobs: int) -> int:
    """N synthetic jobs (with a client for every 50 and a professional for every 5), by COPY."""
    engine = create_engine(database_url, pool_size=2)
    try:
        with Progress() as progress:
            bar = progress.add_task("synthetic jobs", total=jobs)
            loaded = await synthetic.load(
                engine,
                jobs=jobs,
                professionals=max(1, jobs // 5),
                clients=max(1, jobs // 50),
                seed=secrets.randbits(32),
                advance=lambda kind, n: progress.advance(bar, n) if kind == "jobs" else None,
            )
    finally:
        await engine.dispose()
    return loaded.jobs


async def seed_demo_once(settings: Settings, database_url: str) -> None:
    runtime = build_runtime(settings, database_url)
    try:
        async with runtime.sessionmaker() as session:
            seeded = await session.scalar(
                select(func.count()).select_from(User).where(User.email.like(f"%@{DEMO_DOMAIN}"))
            )
    finally:
        await runtime.aclose()
    if not seeded:
        await seed_demo(settings, database_url)
