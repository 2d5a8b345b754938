"""HTTP endpoints of plans, entitlements, checkout, payments, receipts, webhooks and support."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request, status
from fastapi.responses import HTMLResponse

from getmygrapher.accounts import service as accounts_service
from getmygrapher.billing import service as billing_service
from getmygrapher.billing.models import BillingPeriod, Tier
from getmygrapher.billing.schemas import (
    BillingProfileRead,
    BillingProfileWrite,
    CheckoutRead,
    Entitlements,
    FeatureRead,
    FeatureUpdate,
    OrderCheckout,
    OrderPaymentProof,
    PaymentRead,
    PlansRead,
    PriceRead,
    PriceUpdate,
    ProGrant,
    ProRevoke,
    Receipt,
    RefundRequest,
    SubscriptionCheckout,
    SubscriptionPaymentProof,
    SubscriptionRead,
    VerificationResult,
)
from getmygrapher.core.db import DbSession
from getmygrapher.core.idempotency import RequiredIdempotencyKey
from getmygrapher.core.pagination import Cursor, Limit, Page
from getmygrapher.core.schemas import ResponseModel
from getmygrapher.core.security import Admin, CurrentUser, VerifiedUser

billing_router = APIRouter(prefix="/v1/billing", tags=["billing"])
me_billing_router = APIRouter(prefix="/v1/me", tags=["billing"])
webhook_router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
admin_billing_router = APIRouter(prefix="/v1/admin", tags=["admin"])


@billing_router.get("/plans", operation_id="list_plans")
async def list_plans(db: DbSession) -> PlansRead:
    """Public: tiers, prices (GST included) and what each tier may do."""
    return await billing_service.list_plans(db)


@me_billing_router.get("/entitlements", operation_id="get_entitlements")
async def get_entitlements(db: DbSession, user: CurrentUser) -> Entitlements:
    return await billing_service.get_entitlements(db, user_id=user.id)


@me_billing_router.get("/billing-profile", operation_id="get_billing_profile")
async def get_billing_profile(db: DbSession, user: CurrentUser) -> BillingProfileRead:
    return await billing_service.get_billing_profile(db, user_id=user.id)


@me_billing_router.put("/billing-profile", operation_id="save_billing_profile")
async def save_billing_profile(
    body: BillingProfileWrite, db: DbSession, user: CurrentUser
) -> BillingProfileRead:
    return await billing_service.save_billing_profile(db, user_id=user.id, data=body)


# Checkout ----------------------------------------------------------------------------------


@billing_router.post(
    "/subscriptions", status_code=status.HTTP_201_CREATED, operation_id="start_subscription"
)
async def start_subscription(
    body: SubscriptionCheckout,
    request: Request,
    db: DbSession,
    user: VerifiedUser,
    idempotency: RequiredIdempotencyKey,
) -> CheckoutRead:
    if (replay := await idempotency.replay(db, user.id)) is not None:
        return replay  # type: ignore[return-value]
    checkout = await billing_service.start_subscription(
        db, request.app.state.runtime, user_id=user.id, period=body.period
    )
    await idempotency.remember(db, user.id, checkout, status_code=201)
    return checkout


@billing_router.post("/subscriptions/verify", operation_id="verify_subscription_payment")
async def verify_subscription_payment(
    body: SubscriptionPaymentProof, request: Request, db: DbSession, user: CurrentUser
) -> VerificationResult:
    return await billing_service.verify_subscription_payment(
        db,
        request.app.state.runtime,
        user_id=user.id,
        payment_id=body.razorpay_payment_id,
        provider_subscription_id=body.razorpay_subscription_id,
        signature=body.razorpay_signature,
    )


@billing_router.post("/subscriptions/{subscription_id}/cancel", operation_id="cancel_subscription")
async def cancel_subscription(
    subscription_id: uuid.UUID, request: Request, db: DbSession, user: CurrentUser
) -> SubscriptionRead:
    """Stops renewal; Pro stays until the end of the paid period."""
    return await billing_service.cancel_at_period_end(
        db, request.app.state.runtime, user_id=user.id, subscription_id=subscription_id
    )


@billing_router.post("/subscriptions/{subscription_id}/resume", operation_id="resume_subscription")
async def resume_subscription(
    subscription_id: uuid.UUID, request: Request, db: DbSession, user: VerifiedUser
) -> CheckoutRead:
    """Undo a cancellation before the period ends: a subscription that starts at its end."""
    return await billing_service.undo_cancellation(
        db, request.app.state.runtime, user_id=user.id, subscription_id=subscription_id
    )


@billing_router.post("/orders", status_code=status.HTTP_201_CREATED, operation_id="start_order")
async def start_order(
    body: OrderCheckout,
    request: Request,
    db: DbSession,
    user: VerifiedUser,
    idempotency: RequiredIdempotencyKey,
) -> CheckoutRead:
    if (replay := await idempotency.replay(db, user.id)) is not None:
        return replay  # type: ignore[return-value]
    checkout = await billing_service.start_order(
        db, request.app.state.runtime, user_id=user.id, period=body.period
    )
    await idempotency.remember(db, user.id, checkout, status_code=201)
    return checkout


@billing_router.post("/orders/verify", operation_id="verify_order_payment")
async def verify_order_payment(
    body: OrderPaymentProof, request: Request, db: DbSession, user: CurrentUser
) -> VerificationResult:
    return await billing_service.verify_order_payment(
        db,
        request.app.state.runtime,
        user_id=user.id,
        order_id=body.razorpay_order_id,
        payment_id=body.razorpay_payment_id,
        signature=body.razorpay_signature,
    )


# Payments and receipts ------------------------------------------------------------------------


@billing_router.get("/payments", operation_id="list_payments")
async def list_payments(
    db: DbSession, user: CurrentUser, limit: Limit = None, cursor: Cursor = None
) -> Page[PaymentRead]:
    return await billing_service.list_payments(db, user_id=user.id, limit=limit, cursor=cursor)


async def _receipt(
    request: Request, db: DbSession, user_id: uuid.UUID, payment_id: uuid.UUID
) -> Receipt:
    name = await accounts_service.display_name(db, user_id=user_id)
    return await billing_service.get_receipt(
        db,
        request.app.state.runtime.settings,
        user_id=user_id,
        payment_id=payment_id,
        buyer_name=name,
    )


@billing_router.get("/payments/{payment_id}/receipt", operation_id="get_receipt")
async def get_receipt(
    payment_id: uuid.UUID, request: Request, db: DbSession, user: CurrentUser
) -> Receipt:
    return await _receipt(request, db, user.id, payment_id)


@billing_router.get(
    "/payments/{payment_id}/receipt.html",
    operation_id="get_receipt_html",
    response_class=HTMLResponse,
)
async def get_receipt_html(
    payment_id: uuid.UUID, request: Request, db: DbSession, user: CurrentUser
) -> HTMLResponse:
    receipt = await _receipt(request, db, user.id, payment_id)
    return HTMLResponse(
        billing_service.render_receipt_html(receipt),
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )


# Webhooks ------------------------------------------------------------------------------------


class Acknowledged(ResponseModel):
    status: str


@webhook_router.post("/razorpay", operation_id="receive_razorpay_webhook")
async def receive_razorpay_webhook(
    request: Request,
    db: DbSession,
    x_razorpay_signature: Annotated[str | None, Header()] = None,
    x_razorpay_event_id: Annotated[str | None, Header()] = None,
) -> Acknowledged:
    """Signed by Razorpay over the raw body; stored once, processed by a job."""
    body = await request.body()
    stored = await billing_service.receive_webhook(
        db,
        request.app.state.runtime,
        body=body,
        signature=x_razorpay_signature,
        event_id=x_razorpay_event_id,
    )
    return Acknowledged(status="accepted" if stored else "duplicate")


# Support and platform controls ----------------------------------------------------------------


class Ended(ResponseModel):
    ended: int


@admin_billing_router.post(
    "/users/{user_id}/pro", status_code=status.HTTP_201_CREATED, operation_id="grant_pro"
)
async def grant_pro(
    user_id: uuid.UUID, body: ProGrant, db: DbSession, admin: Admin
) -> SubscriptionRead:
    return await billing_service.grant_pro(
        db, actor=admin, user_id=user_id, months=body.months, reason=body.reason
    )


@admin_billing_router.post("/users/{user_id}/pro/revoke", operation_id="revoke_pro")
async def revoke_pro(
    user_id: uuid.UUID, body: ProRevoke, request: Request, db: DbSession, admin: Admin
) -> Ended:
    ended = await billing_service.revoke_pro(
        db, request.app.state.runtime, actor=admin, user_id=user_id, reason=body.reason
    )
    return Ended(ended=ended)


@admin_billing_router.post("/payments/{payment_id}/refund", operation_id="refund_payment")
async def refund_payment(
    payment_id: uuid.UUID, body: RefundRequest, request: Request, db: DbSession, admin: Admin
) -> PaymentRead:
    return await billing_service.refund_payment(
        db,
        request.app.state.runtime,
        actor=admin,
        payment_id=payment_id,
        amount_paise=body.amount_paise,
        reason=body.reason,
    )


@admin_billing_router.put("/plans/{tier}/features/{feature}", operation_id="set_plan_feature")
async def set_plan_feature(
    tier: Tier, feature: str, body: FeatureUpdate, db: DbSession, admin: Admin
) -> FeatureRead:
    return await billing_service.set_feature(
        db, actor=admin, tier=tier, feature=feature, value=body.value, reason=body.reason
    )


@admin_billing_router.put("/plans/pro/prices/{period}", operation_id="set_plan_price")
async def set_plan_price(
    period: BillingPeriod, body: PriceUpdate, db: DbSession, admin: Admin
) -> PriceRead:
    return await billing_service.set_price(
        db, actor=admin, period=period, amount_paise=body.amount_paise, reason=body.reason
    )
