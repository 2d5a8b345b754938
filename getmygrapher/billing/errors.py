"""What can go wrong with plans, payments and subscriptions; each has a stable code."""

from __future__ import annotations

from getmygrapher.core.errors import (
    BadRequest,
    Conflict,
    DomainError,
    NotFound,
    ServiceUnavailable,
)


class BillingNotConfigured(ServiceUnavailable):
    code = "billing_not_configured"


class ProviderUnavailable(DomainError):
    status, code = 502, "payment_provider_error"


class InvalidSignature(BadRequest):
    code = "invalid_signature"


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"


class PaymentNotFound(NotFound):
    code = "payment_not_found"


class AlreadySubscribed(Conflict):
    code = "already_subscribed"


class CheckoutPending(Conflict):
    code = "checkout_pending"


class NotCancellable(Conflict):
    code = "subscription_not_cancellable"


class RefundNotAllowed(Conflict):
    code = "refund_not_allowed"


class UserNotFound(NotFound):
    code = "user_not_found"


class UnknownFeature(NotFound):
    code = "unknown_feature"
