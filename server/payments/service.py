"""Checkouts and webhook events. A checkout is pending until the provider's
webhook says it was paid or cancelled; only a paid one adds a credit lot, and
only while its account exists (otherwise see refunds.py)."""

from __future__ import annotations

import logging

import aiosqlite
from cutout_wire import CheckoutCreated

from server.accounts.rules import require_can_transact
from server.auth import Principal
from server.context import DAY, Context
from server.credits.ledger import grant_lot
from server.errors import DomainError
from server.payments import refunds
from server.payments.provider import PaymentProvider, TestProvider, WebhookEvent
from server.security import new_token

log = logging.getLogger("server.payments")


def provider_of(ctx: Context) -> PaymentProvider:
    name = ctx.settings.payment_provider
    if name == "test":
        return TestProvider(webhook_secret(ctx), ctx.settings.webhook_tolerance_s)
    raise DomainError("payments_unavailable", "Buying credits is not available on this server.")


def webhook_secret(ctx: Context) -> bytes:
    return ctx.settings.payment_webhook_secret or ctx.key("payment-webhook")


async def create_checkout(ctx: Context, user: Principal, pack_id: str) -> CheckoutCreated:
    provider = provider_of(ctx)
    pack = next((p for p in ctx.settings.packs if p.pack_id == pack_id), None)
    if pack is None:
        raise DomainError("unknown_pack", f"There is no credit pack {pack_id!r}.")
    now, checkout_id = ctx.now(), "co_" + new_token(18)
    async with ctx.db.write() as conn:
        # Restricted accounts may not buy either: credits they cannot spend
        # would be money taken for nothing.
        await require_can_transact(conn, user.user_id, now, "buy credits")
        await conn.execute(
            "INSERT INTO checkouts (id, user_id, provider, pack_id, credits, price_cents, currency, status,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
            (checkout_id, user.user_id, provider.name, pack.pack_id, pack.credits, pack.price_cents,
             pack.currency, now, now),
        )
    return CheckoutCreated(checkout_id, provider.name, provider.checkout_url(checkout_id))


async def checkout_row(conn: aiosqlite.Connection, checkout_id: str) -> aiosqlite.Row:
    async with conn.execute("SELECT * FROM checkouts WHERE id = ?", (checkout_id,)) as cur:
        row = await cur.fetchone()
    if row is None:
        raise DomainError("not_found", "There is no such checkout.")
    return row


async def has_pending_checkout(conn: aiosqlite.Connection, ctx: Context, user_id: int) -> bool:
    """Pending and not yet abandoned (older than the checkout lifetime)."""
    async with conn.execute(
        "SELECT 1 FROM checkouts WHERE user_id = ? AND status = 'pending' AND created_at > ?",
        (user_id, ctx.now() - ctx.settings.checkout_ttl_s),
    ) as cur:
        return await cur.fetchone() is not None


async def handle_webhook(ctx: Context, signature: str | None, body: bytes) -> str:
    """Verify, then apply once: a repeated event id is acknowledged and ignored."""
    now = ctx.now()
    event = provider_of(ctx).verify(signature, body, now)
    async with ctx.db.write() as conn:
        cur = await conn.execute(
            "INSERT OR IGNORE INTO webhook_events (event_id, type, checkout_id, received_at) VALUES (?, ?, ?, ?)",
            (event.id, event.type, event.data.checkout_id, now),
        )
        if cur.rowcount == 0:
            return "duplicate"
        return await _apply(conn, ctx, event, now)


async def _apply(conn: aiosqlite.Connection, ctx: Context, event: WebhookEvent, now: int) -> str:
    row = await checkout_row(conn, event.data.checkout_id)
    if row["status"] != "pending":
        log.warning("event %s for checkout %s in status %s ignored", event.id, row["id"], row["status"])
        return "ignored"
    if event.type == "checkout.completed":
        await conn.execute("UPDATE checkouts SET status = 'paid', updated_at = ? WHERE id = ?", (now, row["id"]))
        if await _cancelled(conn, row["user_id"]):
            # The money was taken, but credits on an erased account can never
            # be used: owe it back. Still 2xx, or the provider retries forever.
            log.warning("checkout %s paid after its account was cancelled: refund due", row["id"])
            await refunds.record_due(conn, row, event.id, now)
            return "refund_due"
        expires = now + ctx.settings.paid_credit_days * DAY
        await grant_lot(conn, row["user_id"], "purchase", row["credits"], now, expires, row["id"])
        return "processed"
    if event.type == "checkout.cancelled":
        await conn.execute("UPDATE checkouts SET status = 'cancelled', updated_at = ? WHERE id = ?", (now, row["id"]))
        return "processed"
    return "ignored"


async def _cancelled(conn: aiosqlite.Connection, user_id: int) -> bool:
    async with conn.execute("SELECT cancelled_at FROM users WHERE id = ?", (user_id,)) as cur:
        return (await cur.fetchone())[0] is not None
