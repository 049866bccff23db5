"""Payment-provider adapters. A provider hosts the checkout page and later
tells us the outcome through a signed webhook.

TestProvider is the only adapter shipped: it is clearly labelled, enabled only
when settings.payment_provider == "test", and plays the provider's part
(hosted page, signed webhook) inside this server so the whole flow runs
locally and in tests. A real provider would implement the same interface."""

from __future__ import annotations

from typing import Protocol

import msgspec

from server.errors import DomainError
from server.security import same_text, sign


class EventData(msgspec.Struct):
    checkout_id: str


class WebhookEvent(msgspec.Struct):
    id: str
    type: str  # checkout.completed | checkout.cancelled
    created: int
    data: EventData


class PaymentProvider(Protocol):
    name: str

    def checkout_url(self, checkout_id: str) -> str: ...

    def verify(self, signature_header: str | None, body: bytes, now: int) -> WebhookEvent: ...


SIGNATURE_HEADER = "Cutout-Test-Signature"


def signature_header(secret: bytes, body: bytes, timestamp: int) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>." + body>`: the time is
    signed with the body, so an old delivery cannot be re-dated."""
    return f"t={timestamp},v1={sign(secret, str(timestamp).encode() + b'.' + body)}"


def _invalid(message: str) -> DomainError:
    return DomainError("signature_invalid", message)


class TestProvider:
    name = "test"
    __test__ = False  # not a pytest test class

    def __init__(self, secret: bytes, tolerance_s: int) -> None:
        self.secret, self.tolerance_s = secret, tolerance_s

    def checkout_url(self, checkout_id: str) -> str:
        return f"/test-payments/checkout/{checkout_id}"

    def verify(self, signature_header_value: str | None, body: bytes, now: int) -> WebhookEvent:
        parts = dict(p.split("=", 1) for p in (signature_header_value or "").split(",") if "=" in p)
        if "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
            raise _invalid(f"Missing or malformed {SIGNATURE_HEADER} header.")
        timestamp = int(parts["t"])
        if abs(now - timestamp) > self.tolerance_s:
            raise _invalid("The webhook timestamp is outside the tolerance window.")
        expected = signature_header(self.secret, body, timestamp).split("v1=", 1)[1]
        if not same_text(expected, parts["v1"]):
            raise _invalid("The webhook signature does not match.")
        try:
            return msgspec.json.decode(body, type=WebhookEvent)
        except msgspec.DecodeError as exc:
            raise _invalid(f"The webhook body is not a valid event: {exc}") from exc
