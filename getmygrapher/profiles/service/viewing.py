"""What other people see of a profile, computed on the server for each viewer (PRV-1, PRV-2,
PV-1, PV-2, ANL-1)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.billing import service as billing_service
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Principal, keyed_hash
from getmygrapher.core.time import today_ist
from getmygrapher.moderation import service as moderation_service
from getmygrapher.profiles.errors import ProfileNotFound
from getmygrapher.profiles.models import Profile, ProfileVisibility
from getmygrapher.profiles.repository import ProfileRepository
from getmygrapher.profiles.schemas import (
    Badges,
    Permissions,
    PublicProfileRead,
    RatingSummary,
    ViewContext,
)
from getmygrapher.profiles.service.editing import equipment_read, pricing_read
from getmygrapher.profiles.service.portfolio import limit_for_others, portfolio_reads

# Later areas say whether two users are connected (a conversation, a booking, an application:
# PRV-1 private profiles) or have blocked each other (GEN-15). Each hook answers for a pair.
PairCheck = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[bool]]
CONNECTION_CHECKS: list[PairCheck] = []
BLOCK_CHECKS: list[PairCheck] = []
HIDDEN = "This profile does not exist or is not visible to you."


# And the set of users someone has blocked or been blocked by, for lists (GEN-15).
BlockedIds = Callable[[AsyncSession, uuid.UUID], Awaitable[set[uuid.UUID]]]
BLOCKED_ID_PROVIDERS: list[BlockedIds] = []


def register_blocked_ids(provider: BlockedIds) -> None:
    BLOCKED_ID_PROVIDERS.append(provider)


async def blocked_ids(session: AsyncSession, user_id: uuid.UUID) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for provider in BLOCKED_ID_PROVIDERS:
        found |= await provider(session, user_id)
    return found


def register_connection_check(check: PairCheck) -> None:
    CONNECTION_CHECKS.append(check)


def register_block_check(check: PairCheck) -> None:
    BLOCK_CHECKS.append(check)


async def blocked(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    return any([await check(session, a, b) for check in BLOCK_CHECKS])


async def _connected(session: AsyncSession, a: uuid.UUID, b: uuid.UUID) -> bool:
    return any([await check(session, a, b) for check in CONNECTION_CHECKS])


@dataclass(frozen=True)
class Access:
    profile: Profile
    account: accounts_service.AccountSummary
    own: bool


async def access_profile(
    session: AsyncSession, *, viewer: Principal | None, profile_id: uuid.UUID
) -> Access:
    """The profile as this viewer may see it, or 404: unknown, suspended, blocked, not yet
    onboarded, or hidden by its visibility (PV-1). Moderators see every profile."""
    profile = await ProfileRepository(session).get(profile_id)
    account = await accounts_service.account_summary(session, user_id=profile_id)
    if profile is None or account is None:
        raise ProfileNotFound(HIDDEN)
    own = viewer is not None and viewer.id == profile_id
    if own or (viewer is not None and viewer.acts_as_staff):
        return Access(profile, account, own)
    if not account.usable or not account.onboarded:
        raise ProfileNotFound(HIDDEN)
    if viewer is not None and await blocked(session, viewer.id, profile_id):
        raise ProfileNotFound(HIDDEN)
    if profile.visibility is ProfileVisibility.PROFESSIONAL_NETWORK and viewer is None:
        raise ProfileNotFound(HIDDEN)
    if profile.visibility is ProfileVisibility.PRIVATE and (
        viewer is None or not await _connected(session, viewer.id, profile_id)
    ):
        raise ProfileNotFound(HIDDEN)
    return Access(profile, account, own)


async def view_profile(
    session: AsyncSession,
    runtime: Runtime,
    *,
    viewer: Principal | None,
    profile_id: uuid.UUID,
    context: ViewContext,
    client_ip: str,
    user_agent: str | None,
) -> PublicProfileRead:
    """The viewer's projection; never phone, e-mail, exact coordinates or street address."""
    access = await access_profile(session, viewer=viewer, profile_id=profile_id)
    profile, account = access.profile, access.account
    repo = ProfileRepository(session)
    owner_is_pro = await billing_service.is_pro(session, user_id=profile_id)
    show_instagram = viewer is not None and await billing_service.has_feature(
        session, user_id=profile_id, feature="instagram_integration"
    )
    verified_badge = profile.identity_verified and await billing_service.has_feature(
        session, user_id=profile_id, feature="verified_badge"
    )
    equipment = None
    if profile.show_equipment or access.own:
        equipment = [equipment_read(item) for item in await repo.equipment(profile_id)]
    cap = None if access.own else await limit_for_others(session, profile_id)
    shown = await repo.portfolio(
        profile_id, visible_only=True, limit=12 if cap is None else min(12, cap)
    )
    portfolio = await portfolio_reads(runtime, shown)
    signed_in = viewer is not None and not access.own
    saved = viewer is not None and await repo.saved(viewer.id, profile_id) is not None
    can_contact = signed_in and viewer is not None and viewer.is_verified
    await _record_view(
        session,
        runtime,
        profile_id=profile_id,
        viewer=viewer,
        context=context,
        client_ip=client_ip,
        user_agent=user_agent,
    )
    return PublicProfileRead(
        user_id=profile_id,
        full_name=account.full_name,
        gender=profile.gender if profile.show_gender or access.own else None,
        about=profile.about,
        category=profile.category,
        professional_type=profile.professional_type,
        specializations=list(profile.specializations),
        experience=profile.experience,
        city=profile.city,
        state=profile.state,
        locality=profile.locality,
        work_radius_km=profile.work_radius_km,
        instagram_handle=profile.instagram_handle if show_instagram or access.own else None,
        portfolio_links=list(profile.portfolio_links),
        pricing=pricing_read(profile) if profile.show_pricing or access.own else None,
        equipment=equipment,
        portfolio=portfolio,
        badges=Badges(
            pro=owner_is_pro,
            verified=verified_badge,
            top_rated=profile.is_top_rated,
            featured=profile.is_featured,
        ),
        # Reviews and the calendar join in their own areas; until then nothing is invented.
        rating=RatingSummary(count=0, average=None),
        next_available_date=None,
        saved=saved,
        permissions=Permissions(
            can_message=can_contact,
            can_request_booking=False,
            can_request_contact=can_contact,
            can_review=False,
            can_save=signed_in,
        ),
        canonical_url=canonical_url(runtime, profile_id),
    )


def canonical_url(runtime: Runtime, profile_id: uuid.UUID) -> str:
    return f"{runtime.settings.app_url}/p/{profile_id}"


async def _record_view(
    session: AsyncSession,
    runtime: Runtime,
    *,
    profile_id: uuid.UUID,
    viewer: Principal | None,
    context: ViewContext,
    client_ip: str,
    user_agent: str | None,
) -> None:
    """ANL-1: once per viewer per profile per IST day; the owner's own views do not count.
    The viewer is the session's user, or for anonymous visitors a keyed hash of network and
    browser, so the client cannot pose as someone else."""
    if viewer is not None and viewer.id == profile_id:
        return
    day = today_ist()
    if viewer is not None:
        key = f"u:{viewer.id}"
    else:
        key = (
            "a:"
            + keyed_hash(
                runtime.settings.secret, "view", client_ip, user_agent or "", day.isoformat()
            )[:40]
        )
    await ProfileRepository(session).record_view(
        profile_id=profile_id,
        viewer_key=key,
        viewed_on=day,
        source=context.source,
        device=context.device,
    )


async def report_profile(
    session: AsyncSession,
    *,
    reporter: Principal,
    profile_id: uuid.UUID,
    reason: str,
    details: str | None,
) -> uuid.UUID:
    """PV-2: one open report per reporter and profile, with a snapshot of what was shown."""
    access = await access_profile(session, viewer=reporter, profile_id=profile_id)
    if access.own:
        raise ValidationFailed.field("profile_id", "not_allowed", "You cannot report yourself.")
    profile = access.profile
    report = await moderation_service.file_report(
        session,
        reporter_id=reporter.id,
        target_type="profile",
        target_id=profile_id,
        reason=reason,
        details=details,
        snapshot={
            "full_name": access.account.full_name,
            "about": profile.about,
            "professional_type": profile.professional_type,
            "city": profile.city,
            "instagram_handle": profile.instagram_handle,
            "portfolio_links": list(profile.portfolio_links),
        },
    )
    return report.id
