"""Payment history and receipts with GST shown (PAY-12, BEY-14)."""

from __future__ import annotations

import html
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.billing.errors import PaymentNotFound
from getmygrapher.billing.models import Payment, PaymentStatus, SubscriptionKind
from getmygrapher.billing.repository import BillingRepository
from getmygrapher.billing.schemas import (
    BillingProfileRead,
    BillingProfileWrite,
    Party,
    PaymentRead,
    Receipt,
    ReceiptLine,
)
from getmygrapher.core.config import Settings
from getmygrapher.core.pagination import Page, decode_cursor, to_page

PAYMENTS_PAGE = 10


def payment_read(payment: Payment) -> PaymentRead:
    return PaymentRead(
        id=payment.id,
        subscription_id=payment.subscription_id,
        amount_paise=payment.amount_paise,
        amount_refunded_paise=payment.amount_refunded_paise,
        currency=payment.currency,
        method=payment.method,
        status=payment.status,
        receipt_number=payment.receipt_number,
        captured_at=payment.captured_at,
        created_at=payment.created_at,
    )


async def list_payments(
    session: AsyncSession, *, user_id: uuid.UUID, limit: int | None, cursor: str | None
) -> Page[PaymentRead]:
    """The caller's own payments, newest first, 10 a page by default."""
    size = max(1, min(limit or PAYMENTS_PAGE, 100))
    after = decode_cursor(cursor, arity=2)
    rows = await BillingRepository(session).list_payments(
        user_id, after=(after[0], after[1]) if after else None, limit=size
    )
    page = to_page(rows, limit=size, key=lambda p: (p.created_at, p.id))
    return Page(items=[payment_read(p) for p in page.items], next_cursor=page.next_cursor)


def gst_split(
    total_paise: int, *, rate_percent: int, intra_state: bool
) -> tuple[int, int, int, int]:
    """Prices include GST: (taxable value, CGST, SGST, IGST) in paise, summing to the total."""
    taxable = round(total_paise * 100 / (100 + rate_percent))
    tax = total_paise - taxable
    if intra_state:
        cgst = tax // 2
        return taxable, cgst, tax - cgst, 0
    return taxable, 0, 0, tax


async def get_receipt(
    session: AsyncSession,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    payment_id: uuid.UUID,
    buyer_name: str | None,
) -> Receipt:
    repo = BillingRepository(session)
    payment = await repo.get_payment(payment_id)
    if payment is None or payment.user_id != user_id or payment.receipt_number is None:
        raise PaymentNotFound("No receipt of yours has this id.")
    profile = await repo.billing_profile(user_id)
    buyer_state = profile.state if profile else None
    intra = buyer_state is not None and buyer_state == settings.seller_state
    taxable, cgst, sgst, igst = gst_split(
        payment.amount_paise, rate_percent=settings.gst_rate_percent, intra_state=intra
    )
    subscription = (
        await repo.get_subscription(payment.subscription_id) if payment.subscription_id else None
    )
    period = subscription.period.value if subscription and subscription.period else "monthly"
    renewing = subscription is not None and subscription.kind is SubscriptionKind.RECURRING
    description = f"GetMyGrapher Pro, {period}" + (" subscription" if renewing else " (one-off)")
    return Receipt(
        receipt_number=payment.receipt_number,
        issued_at=payment.captured_at or payment.created_at,
        payment_id=payment.id,
        provider_payment_id=payment.provider_payment_id,
        seller=Party(
            name=settings.seller_name,
            address=settings.seller_address,
            gstin=settings.seller_gstin,
            state=settings.seller_state,
        ),
        buyer=Party(
            name=(profile.legal_name if profile and profile.legal_name else buyer_name)
            or "GetMyGrapher member",
            gstin=profile.gstin if profile else None,
            state=buyer_state,
        ),
        line=ReceiptLine(
            description=description,
            sac_code=settings.sac_code,
            taxable_value_paise=taxable,
            cgst_paise=cgst,
            sgst_paise=sgst,
            igst_paise=igst,
            gst_rate_percent=settings.gst_rate_percent,
            total_paise=payment.amount_paise,
        ),
        amount_paid_paise=payment.amount_paise,
        amount_refunded_paise=payment.amount_refunded_paise,
        currency=payment.currency,
    )


def format_rupees(paise: int) -> str:
    rupees, rest = divmod(paise, 100)
    digits = str(rupees)
    if len(digits) > 3:  # Indian grouping: 1,00,000
        head, tail = digits[:-3], digits[-3:]
        groups = [head[max(0, i - 2) : i] for i in range(len(head), 0, -2)][::-1]
        digits = ",".join([*groups, tail])
    return f"₹{digits}.{rest:02d}"


def render_receipt_html(receipt: Receipt) -> str:
    """A printable page; every value is escaped."""
    e = html.escape
    line = receipt.line
    taxes = [("CGST", line.cgst_paise), ("SGST", line.sgst_paise), ("IGST", line.igst_paise)]
    tax_rows = "".join(
        f"<tr><td>{name} ({line.gst_rate_percent // (2 if name != 'IGST' else 1)}%)</td>"
        f"<td class=n>{format_rupees(amount)}</td></tr>"
        for name, amount in taxes
        if amount
    )
    refunded = (
        f"<p>Refunded: {format_rupees(receipt.amount_refunded_paise)}</p>"
        if receipt.amount_refunded_paise
        else ""
    )
    buyer_gstin = f"<br>GSTIN {e(receipt.buyer.gstin)}" if receipt.buyer.gstin else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Receipt {e(receipt.receipt_number)}</title>
<style>body{{font-family:sans-serif;max-width:42rem;margin:2rem auto}}td{{padding:.3rem .6rem}}
.n{{text-align:right}}table{{border-collapse:collapse;width:100%}}tr{{border-bottom:1px solid #ddd}}
</style></head><body>
<h1>Receipt</h1>
<p>Receipt number {e(receipt.receipt_number)}<br>Date {receipt.issued_at.date().isoformat()}<br>
Payment {e(receipt.provider_payment_id)}</p>
<p><strong>{e(receipt.seller.name)}</strong><br>{e(receipt.seller.address or "")}<br>
GSTIN {e(receipt.seller.gstin or "")}</p>
<p>Billed to: <strong>{e(receipt.buyer.name)}</strong>{buyer_gstin}</p>
<table><tr><th>Description</th><th>SAC</th><th class=n>Amount</th></tr>
<tr><td>{e(line.description)}</td><td>{e(line.sac_code)}</td>
<td class=n>{format_rupees(line.taxable_value_paise)}</td></tr>{tax_rows}
<tr><td><strong>Total (GST included)</strong></td><td></td>
<td class=n><strong>{format_rupees(line.total_paise)}</strong></td></tr></table>{refunded}
</body></html>
"""


async def get_billing_profile(session: AsyncSession, *, user_id: uuid.UUID) -> BillingProfileRead:
    profile = await BillingRepository(session).billing_profile(user_id)
    if profile is None:
        return BillingProfileRead(legal_name=None, gstin=None, state=None)
    return BillingProfileRead(
        legal_name=profile.legal_name, gstin=profile.gstin, state=profile.state
    )


async def save_billing_profile(
    session: AsyncSession, *, user_id: uuid.UUID, data: BillingProfileWrite
) -> BillingProfileRead:
    values = data.model_dump()
    profile = await BillingRepository(session).save_billing_profile(user_id, values)
    return BillingProfileRead(
        legal_name=profile.legal_name, gstin=profile.gstin, state=profile.state
    )


def is_refundable(payment: Payment) -> bool:
    return (
        payment.status is PaymentStatus.SUCCESS
        and payment.amount_refunded_paise < payment.amount_paise
    )


async def export_user(session: AsyncSession, *, user_id: uuid.UUID) -> dict[str, object]:
    repo = BillingRepository(session)
    payments = await repo.list_payments(user_id, after=None, limit=10_000)
    profile = await repo.billing_profile(user_id)
    return {
        "payments": [payment_read(p).model_dump(mode="json") for p in payments],
        "billing_profile": {
            "legal_name": profile.legal_name,
            "gstin": profile.gstin,
            "state": profile.state,
        }
        if profile
        else None,
    }
