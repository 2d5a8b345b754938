"""Demo data: realistic accounts now; later areas add their own records here."""

from __future__ import annotations

import random

from rich.progress import Progress
from sqlalchemy import func, select

from getmygrapher.accounts import service as accounts_service
from getmygrapher.accounts.models import User
from getmygrapher.core.config import Settings
from getmygrapher.core.db import transaction
from getmygrapher.main import build_runtime

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
    "D'Souza",
    "Kurian",
    "Thomas",
    "Varghese",
    "Chatterjee",
    "Bose",
]


async def seed_demo(settings: Settings, database_url: str, *, count: int = 300) -> int:
    """Verified demo accounts (password `demo-pass-2026`); safe to run twice."""
    runtime, engine = build_runtime(settings, database_url)
    rng = random.Random(2026)  # noqa: S311 - demo data, not secrets
    ctx = accounts_service.AuthContext.of(runtime)
    password_hash = await ctx.passwords.hash(DEMO_PASSWORD)
    created = 0
    try:
        with Progress() as progress:
            bar = progress.add_task("demo accounts", total=count)
            for start in range(0, count, 50):
                async with transaction(runtime.sessionmaker) as session:
                    for index in range(start, min(start + 50, count)):
                        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
                        user = await accounts_service.create_account(
                            session,
                            email=f"user{index:04d}@{DEMO_DOMAIN}",
                            email_verified=True,
                            password_hash=password_hash,
                            full_name=name,
                        )
                        created += user is not None
                        progress.advance(bar)
    finally:
        await runtime.http.aclose()
        await engine.dispose()
    return created


async def seed_demo_once(settings: Settings, database_url: str) -> None:
    runtime, engine = build_runtime(settings, database_url)
    try:
        async with runtime.sessionmaker() as session:
            seeded = await session.scalar(
                select(func.count()).select_from(User).where(User.email.like(f"%@{DEMO_DOMAIN}"))
            )
    finally:
        await runtime.http.aclose()
        await engine.dispose()
    if not seeded:
        await seed_demo(settings, database_url)
