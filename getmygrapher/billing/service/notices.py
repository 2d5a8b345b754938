"""Mails about money: receipts and changes to Pro (transactional, always sent)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.accounts import service as accounts_service
from getmygrapher.billing.repository import BillingRepository
from getmygrapher.billing.service.receipts import format_rupees
from getmygrapher.core.mail import Mail
from getmygrapher.core.runtime import Runtime

_NOTICES = {
    "payment_retry": (
        "Your GetMyGrapher Pro payment did not go through",
        "We could not renew your Pro subscription. Razorpay will retry over the "
        "next few days and Pro stays on meanwhile. Please update your payment "
        "method to keep Pro.",
    ),
    "pro_ended": (
        "Your GetMyGrapher Pro has ended",
        "Your Pro membership has ended and your account is on the Free plan. Nothing "
        "was deleted: upgrade again at any time to get every Pro feature back.",
    ),
}


async def send_billing_notice(
    session: AsyncSession, runtime: Runtime, *, user_id: uuid.UUID, kind: str
) -> None:
    contact = await accounts_service.contact_email(session, user_id=user_id)
    if contact is None or kind not in _NOTICES:
        return
    subject, text = _NOTICES[kind]
    await runtime.mailer.send(Mail(to=contact, subject=subject, text=text))


async def send_receipt(session: AsyncSession, runtime: Runtime, *, payment_id: uuid.UUID) -> None:
    payment = await BillingRepository(session).get_payment(payment_id)
    if payment is None or payment.receipt_number is None:
        return
    contact = await accounts_service.contact_email(session, user_id=payment.user_id)
    if contact is None:
        return
    link = f"{runtime.settings.base_url}/v1/billing/payments/{payment.id}/receipt.html"
    await runtime.mailer.send(
        Mail(
            to=contact,
            subject=f"Receipt {payment.receipt_number} for GetMyGrapher Pro",
            text=f"Thank you. We received {format_rupees(payment.amount_paise)} (GST included).\n\n"
            f"Receipt number: {payment.receipt_number}\nView or print it: {link}",
        )
    )
