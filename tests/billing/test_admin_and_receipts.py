from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.billing.service.receipts import format_rupees, gst_split
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Role
from tests.billing.helpers import deliver_all, start, subscribe, tier
from tests.factories import make_user
from tests.fakes.razorpay import FakeRazorpay

GRANT = {"months": 2, "reason": "Compensation for an outage"}


async def test_admins_grant_and_revoke_pro_with_an_audit_trail(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    person = await make_user(session, runtime)

    granted = await api.post(f"/v1/admin/users/{person.id}/pro", json=GRANT, headers=admin.headers)

    assert granted.status_code == 201
    assert granted.json()["kind"] == "admin_grant"
    assert await tier(api, person) == "pro"
    revoked = await api.post(
        f"/v1/admin/users/{person.id}/pro/revoke",
        json={"reason": "Granted by mistake"},
        headers=admin.headers,
    )
    assert revoked.json() == {"ended": 1}
    assert await tier(api, person) == "free"
    actions = (
        await session.execute(
            text("SELECT action, reason FROM audit_log WHERE target_id = :id ORDER BY at, action"),
            {"id": str(person.id)},
        )
    ).all()
    assert [tuple(a) for a in actions] == [
        ("billing.pro_granted", GRANT["reason"]),
        ("billing.pro_revoked", "Granted by mistake"),
    ]


async def test_only_admins_grant_pro(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    person = await make_user(session, runtime)
    moderator = await make_user(session, runtime, role=Role.MODERATOR, totp=True)

    to_self = await api.post(f"/v1/admin/users/{person.id}/pro", json=GRANT, headers=person.headers)
    by_moderator = await api.post(
        f"/v1/admin/users/{person.id}/pro", json=GRANT, headers=moderator.headers
    )
    anonymous = await api.post(f"/v1/admin/users/{person.id}/pro", json=GRANT)

    assert (to_self.status_code, by_moderator.status_code, anonymous.status_code) == (403, 403, 401)
    assert await tier(api, person) == "free"


@pytest.mark.parametrize(
    "body",
    [
        {"months": 0, "reason": "Support"},
        {"months": 25, "reason": "Support"},
        {"months": 1},
        {"months": 1, "reason": "x"},
        {"months": "1 month", "reason": "Support"},
    ],
)
async def test_grants_are_validated(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, body: dict[str, object]
) -> None:
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    person = await make_user(session, runtime)
    response = await api.post(f"/v1/admin/users/{person.id}/pro", json=body, headers=admin.headers)
    assert response.status_code == 422


async def test_granting_to_nobody_is_a_404(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    response = await api.post(
        "/v1/admin/users/00000000-0000-0000-0000-000000000001/pro",
        json=GRANT,
        headers=admin.headers,
    )
    assert response.status_code == 404


async def test_revoking_a_recurring_subscription_stops_it_at_razorpay(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    person = await make_user(session, runtime)
    checkout = await subscribe(api, connection, razorpay, person)

    await api.post(
        f"/v1/admin/users/{person.id}/pro/revoke",
        json={"reason": "Fraud report"},
        headers=admin.headers,
    )

    assert razorpay.subscriptions[checkout["razorpay_subscription_id"]]["status"] == "cancelled"
    assert await tier(api, person) == "free"


async def test_refunds_are_admin_only_and_never_exceed_the_payment(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    person = await make_user(session, runtime)
    await subscribe(api, connection, razorpay, person)
    [payment] = (await api.get("/v1/billing/payments", headers=person.headers)).json()["items"]
    url = f"/v1/admin/payments/{payment['id']}/refund"

    by_user = await api.post(url, json={"reason": "Please"}, headers=person.headers)
    too_much = await api.post(
        url, json={"amount_paise": 30_000, "reason": "Overcharge"}, headers=admin.headers
    )
    partial = await api.post(
        url, json={"amount_paise": 10_000, "reason": "Late activation"}, headers=admin.headers
    )
    rest = await api.post(
        url, json={"reason": "Cancelled in the first week"}, headers=admin.headers
    )
    again = await api.post(url, json={"reason": "Twice"}, headers=admin.headers)

    assert by_user.status_code == 403
    assert too_much.status_code == 422
    assert partial.json()["amount_refunded_paise"] == 10_000
    assert rest.json()["amount_refunded_paise"] == 29_900
    assert again.status_code == 409
    refunds = [r["amount"] for r in razorpay.refunds.values()]
    assert sorted(refunds) == [10_000, 19_900]
    await deliver_all(api, connection, razorpay)
    payments = (await api.get("/v1/billing/payments", headers=person.headers)).json()["items"]
    assert payments[0]["status"] == "refunded"


async def test_receipts_show_gst_included_and_belong_to_their_owner(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime, full_name="Anjali Menon")
    stranger = await make_user(session, runtime)
    await subscribe(api, connection, razorpay, person)
    [payment] = (await api.get("/v1/billing/payments", headers=person.headers)).json()["items"]
    url = f"/v1/billing/payments/{payment['id']}/receipt"

    receipt = (await api.get(url, headers=person.headers)).json()
    foreign = await api.get(url, headers=stranger.headers)

    assert foreign.status_code == 404
    assert receipt["receipt_number"] == payment["receipt_number"]
    assert receipt["seller"]["gstin"] == runtime.settings.seller_gstin
    assert receipt["buyer"]["name"] == "Anjali Menon"
    line = receipt["line"]
    assert line["sac_code"] == "998439"
    assert line["total_paise"] == 29_900
    assert line["taxable_value_paise"] + line["igst_paise"] == 29_900
    assert (line["cgst_paise"], line["sgst_paise"]) == (0, 0)  # no buyer state: inter-state
    assert receipt["prices_include_gst"] is True


async def test_a_buyer_in_the_sellers_state_gets_cgst_and_sgst(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    saved = await api.put(
        "/v1/me/billing-profile",
        headers=person.headers,
        json={"legal_name": "Menon Studios <LLP>", "gstin": "32ABCDE1234F1Z5", "state": "kerala"},
    )
    await subscribe(api, connection, razorpay, person)
    [payment] = (await api.get("/v1/billing/payments", headers=person.headers)).json()["items"]

    receipt = (
        await api.get(f"/v1/billing/payments/{payment['id']}/receipt", headers=person.headers)
    ).json()
    page = await api.get(
        f"/v1/billing/payments/{payment['id']}/receipt.html", headers=person.headers
    )

    assert saved.json()["state"] == "Kerala"
    assert receipt["buyer"]["gstin"] == "32ABCDE1234F1Z5"
    line = receipt["line"]
    assert line["igst_paise"] == 0
    assert line["cgst_paise"] + line["sgst_paise"] + line["taxable_value_paise"] == 29_900
    assert page.headers["content-type"].startswith("text/html")
    assert "Menon Studios &lt;LLP&gt;" in page.text
    assert "<LLP>" not in page.text
    assert "₹299.00" in page.text
    assert "CGST (9%)" in page.text


@pytest.mark.parametrize(
    "body",
    [
        {"gstin": "32abcde1234f1z5"},
        {"gstin": "123"},
        {"state": "Atlantis"},
        {"legal_name": "A"},
        {"legal_name": "Line\nbreak"},
        {"pan": "ABCDE1234F"},
    ],
)
async def test_billing_profiles_are_validated(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, body: dict[str, object]
) -> None:
    person = await make_user(session, runtime)
    response = await api.put("/v1/me/billing-profile", headers=person.headers, json=body)
    assert response.status_code == 422
    assert (await api.get("/v1/me/billing-profile", headers=person.headers)).json() == {
        "legal_name": None,
        "gstin": None,
        "state": None,
    }


async def test_payment_history_is_paged_newest_first(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    runtime: Runtime,
    razorpay: FakeRazorpay,
) -> None:
    person = await make_user(session, runtime)
    for _ in range(3):
        checkout = await start(api, person, kind="orders")
        proof = razorpay.pay_order(checkout["razorpay_order_id"])
        await api.post("/v1/billing/orders/verify", json=proof, headers=person.headers)

    first = (
        await api.get("/v1/billing/payments", params={"limit": 2}, headers=person.headers)
    ).json()
    second = (
        await api.get(
            "/v1/billing/payments",
            params={"limit": 2, "cursor": first["next_cursor"]},
            headers=person.headers,
        )
    ).json()

    assert len(first["items"]) == 2
    assert len(second["items"]) == 1
    assert second["next_cursor"] is None
    items = first["items"] + second["items"]
    assert len({p["id"] for p in items}) == 3
    created = [p["created_at"] for p in items]
    assert created == sorted(created, reverse=True)


async def test_admins_change_limits_and_prices_as_data(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, razorpay: FakeRazorpay
) -> None:
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    person = await make_user(session, runtime)

    limit = await api.put(
        "/v1/admin/plans/free/features/messaging_limit",
        headers=admin.headers,
        json={"value": 15, "reason": "Diwali promotion"},
    )
    flag = await api.put(
        "/v1/admin/plans/free/features/ad_free",
        headers=admin.headers,
        json={"value": 2, "reason": "Oops"},
    )
    unknown = await api.put(
        "/v1/admin/plans/free/features/teleport",
        headers=admin.headers,
        json={"value": 1, "reason": "Future"},
    )
    price = await api.put(
        "/v1/admin/plans/pro/prices/monthly",
        headers=admin.headers,
        json={"amount_paise": 34_900, "reason": "New pricing"},
    )
    by_user = await api.put(
        "/v1/admin/plans/pro/prices/monthly",
        headers=person.headers,
        json={"amount_paise": 100, "reason": "Cheaper for me"},
    )

    assert limit.json()["value"] == 15
    assert flag.status_code == 422
    assert unknown.status_code == 404
    assert price.json()["amount_paise"] == 34_900
    assert by_user.status_code == 403
    checkout = await start(api, person)
    assert checkout["amount_paise"] == 34_900
    plans = (await api.get("/v1/billing/plans")).json()["items"]
    free = {f["key"]: f["value"] for f in plans[0]["features"]}
    assert free["messaging_limit"] == 15


def test_gst_split_adds_up_and_rupees_use_indian_grouping() -> None:
    assert gst_split(29_900, rate_percent=18, intra_state=False) == (25_339, 0, 0, 4_561)
    assert sum(gst_split(299_900, rate_percent=18, intra_state=True)) == 299_900
    assert format_rupees(10_000_000) == "₹1,00,000.00"
    assert format_rupees(29_900) == "₹299.00"
