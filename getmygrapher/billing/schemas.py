"""Request and response models of plans, checkout, subscriptions, payments and receipts."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import Field

from getmygrapher.billing.models import (
    BillingPeriod,
    FeatureKind,
    PaymentStatus,
    SubscriptionKind,
    SubscriptionStatus,
    Tier,
)
from getmygrapher.core.india import State
from getmygrapher.core.schemas import PlainText, RequestModel, ResponseModel

ProviderId = Annotated[str, Field(min_length=5, max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
Signature = Annotated[str, Field(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")]
Reason = Annotated[str, PlainText(3, 500)]
GSTIN_PATTERN = r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$"


class FeatureRead(ResponseModel):
    key: str
    kind: FeatureKind
    value: int


class PriceRead(ResponseModel):
    period: BillingPeriod
    amount_paise: int
    currency: str


class PlanRead(ResponseModel):
    tier: Tier
    prices: list[PriceRead]
    features: list[FeatureRead]


class PlansRead(ResponseModel):
    items: list[PlanRead]
    next_cursor: None = None


class Usage(ResponseModel):
    used: int
    limit: int
    remaining: int | None  # None: unlimited
    resets_at: dt.datetime | None  # None: held, not monthly


class EntitlementFeature(ResponseModel):
    key: str
    kind: FeatureKind
    value: int
    usage: Usage | None = None


class SubscriptionRead(ResponseModel):
    id: uuid.UUID
    kind: SubscriptionKind
    period: BillingPeriod | None
    status: SubscriptionStatus
    amount_paise: int
    current_period_start: dt.datetime | None
    current_period_end: dt.datetime | None
    grace_until: dt.datetime | None
    cancel_at_period_end: bool
    auto_renew: bool
    scheduled_period: BillingPeriod | None
    created_at: dt.datetime


class Entitlements(ResponseModel):
    tier: Tier
    period_end: dt.datetime | None
    auto_renew: bool
    subscription: SubscriptionRead | None
    features: list[EntitlementFeature]


class SubscriptionCheckout(RequestModel):
    period: BillingPeriod


class OrderCheckout(RequestModel):
    period: BillingPeriod


class CheckoutRead(ResponseModel):
    """What the client passes to Razorpay Checkout; amounts come from the plan table."""

    subscription: SubscriptionRead
    key_id: str
    razorpay_subscription_id: str | None = None
    razorpay_order_id: str | None = None
    amount_paise: int
    currency: Literal["INR"] = "INR"
    plan_switch: bool = False


class SubscriptionPaymentProof(RequestModel):
    razorpay_payment_id: ProviderId
    razorpay_subscription_id: ProviderId
    razorpay_signature: Signature


class OrderPaymentProof(RequestModel):
    razorpay_order_id: ProviderId
    razorpay_payment_id: ProviderId
    razorpay_signature: Signature


class PaymentRead(ResponseModel):
    id: uuid.UUID
    subscription_id: uuid.UUID | None
    amount_paise: int
    amount_refunded_paise: int
    currency: str
    method: str | None
    status: PaymentStatus
    receipt_number: str | None
    captured_at: dt.datetime | None
    created_at: dt.datetime


class VerificationResult(ResponseModel):
    status: Literal["active", "processing"]
    subscription: SubscriptionRead


class ReceiptLine(ResponseModel):
    description: str
    sac_code: str
    taxable_value_paise: int
    cgst_paise: int
    sgst_paise: int
    igst_paise: int
    gst_rate_percent: int
    total_paise: int


class Party(ResponseModel):
    name: str
    address: str | None = None
    gstin: str | None = None
    state: str | None = None


class Receipt(ResponseModel):
    receipt_number: str
    issued_at: dt.datetime
    payment_id: uuid.UUID
    provider_payment_id: str
    seller: Party
    buyer: Party
    line: ReceiptLine
    amount_paid_paise: int
    amount_refunded_paise: int
    currency: str
    prices_include_gst: Literal[True] = True


class BillingProfileWrite(RequestModel):
    legal_name: Annotated[str, PlainText(2, 100, multiline=False)] | None = None
    gstin: Annotated[str, Field(pattern=GSTIN_PATTERN)] | None = None
    state: State | None = None


class BillingProfileRead(ResponseModel):
    legal_name: str | None
    gstin: str | None
    state: str | None


class ProGrant(RequestModel):
    months: Annotated[int, Field(ge=1, le=24)]
    reason: Reason


class ProRevoke(RequestModel):
    reason: Reason


class RefundRequest(RequestModel):
    amount_paise: Annotated[int, Field(ge=100)] | None = None
    reason: Reason


class FeatureUpdate(RequestModel):
    value: Annotated[int, Field(ge=-1, le=1_000_000)]
    reason: Reason


class PriceUpdate(RequestModel):
    amount_paise: Annotated[int, Field(ge=100, le=10_000_000)]
    reason: Reason
