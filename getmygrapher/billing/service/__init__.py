"""Plans, quotas, subscriptions and payments; the only module other areas call."""

from getmygrapher.billing.service.admin import (
    grant_pro,
    refund_payment,
    revoke_pro,
    set_feature,
    set_price,
)
from getmygrapher.billing.service.checkout import (
    cancel_at_period_end,
    start_order,
    start_subscription,
    undo_cancellation,
    verify_order_payment,
    verify_subscription_payment,
)
from getmygrapher.billing.service.entitlements import (
    check_held,
    consume,
    feature_value,
    feature_value_query,
    get_entitlements,
    has_feature,
    is_pro,
    list_plans,
    month_bounds,
    register_held_counter,
    require_feature,
)
from getmygrapher.billing.service.lifecycle import end_due
from getmygrapher.billing.service.notices import send_billing_notice, send_receipt
from getmygrapher.billing.service.receipts import (
    export_user,
    get_billing_profile,
    get_receipt,
    list_payments,
    render_receipt_html,
    save_billing_profile,
)
from getmygrapher.billing.service.sync import (
    due_work,
    handle_provider_event,
    receive_webhook,
    reconcile_payment,
    reconcile_subscription,
    settle_due,
)

__all__ = [
    "cancel_at_period_end",
    "check_held",
    "consume",
    "due_work",
    "end_due",
    "export_user",
    "feature_value",
    "feature_value_query",
    "get_billing_profile",
    "get_entitlements",
    "get_receipt",
    "grant_pro",
    "handle_provider_event",
    "has_feature",
    "is_pro",
    "list_payments",
    "list_plans",
    "month_bounds",
    "receive_webhook",
    "reconcile_payment",
    "reconcile_subscription",
    "refund_payment",
    "register_held_counter",
    "render_receipt_html",
    "require_feature",
    "revoke_pro",
    "save_billing_profile",
    "send_billing_notice",
    "send_receipt",
    "set_feature",
    "set_price",
    "settle_due",
    "start_order",
    "start_subscription",
    "undo_cancellation",
    "verify_order_payment",
    "verify_subscription_payment",
]
