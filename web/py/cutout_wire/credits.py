"""Credits: lots with expiries, the ledger, spending and buying packs."""

from datetime import datetime
from typing import Annotated

import msgspec

IdempotencyKey = Annotated[str, msgspec.Meta(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_\-]+$")]
# SHA-256 of the image bytes, computed in the browser. Never the image itself.
Fingerprint = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
PackId = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[a-z0-9\-]+$")]


class Lot(msgspec.Struct):
    lot_id: int
    source: str  # free | purchase
    granted: int
    remaining: int
    granted_at: datetime
    expires_at: datetime


class Balance(msgspec.Struct):
    total: int
    lots: list[Lot]


class LedgerEntry(msgspec.Struct):
    entry_id: int
    kind: str  # grant | spend | expire | forfeit
    delta: int
    lot_id: int
    at: datetime
    lot_expires_at: datetime


class CreditHistory(msgspec.Struct):
    balance: Balance
    entries: list[LedgerEntry]


class SpendRequest(msgspec.Struct):
    """Spend one credit on an HD export of the image with this fingerprint."""

    idempotency_key: IdempotencyKey
    fingerprint: Fingerprint


class SpendGrant(msgspec.Struct):
    """Proof that an HD export was paid for. `subject` is a pseudonymous id,
    not the account; `signature` is HMAC-SHA256 by the server over the other
    fields (see server/credits/grants.py)."""

    grant_id: str
    subject: str
    fingerprint: str
    kind: str
    issued_at: int
    signature: str
    balance: int


class CreditPack(msgspec.Struct):
    pack_id: str
    credits: int
    price_cents: int
    currency: str
    lifetime_days: int


class CheckoutRequest(msgspec.Struct):
    pack_id: PackId


class CheckoutCreated(msgspec.Struct):
    checkout_id: str
    provider: str
    redirect_url: str


class GrantVerdict(msgspec.Struct):
    valid: bool
