"""Spending credits: one transaction, soonest-expiring lots first, never
below zero, idempotent per key."""

from __future__ import annotations

import msgspec
from cutout_wire import CreditHistory, SpendGrant, SpendRequest

from server.accounts.rules import require_can_transact
from server.auth import Principal
from server.context import Context
from server.credits import ledger
from server.credits.grants import issue_grant
from server.errors import DomainError

HD_EXPORT_COST = 1


async def spend(ctx: Context, user: Principal, req: SpendRequest) -> SpendGrant:
    now = ctx.now()
    async with ctx.db.write() as conn:
        async with conn.execute(
            "SELECT fingerprint, grant_json FROM spends WHERE user_id = ? AND idempotency_key = ?",
            (user.user_id, req.idempotency_key),
        ) as cur:
            earlier = await cur.fetchone()
        if earlier is not None:
            if earlier["fingerprint"] != req.fingerprint:
                raise DomainError("idempotency_conflict", "This idempotency key was already used for another image.")
            return msgspec.json.decode(earlier["grant_json"], type=SpendGrant)
        await require_can_transact(conn, user.user_id, now, "spend credits")
        await ledger.write_off_expired(conn, user.user_id, now)
        available = await ledger.ledger_total(conn, user.user_id)
        if available < HD_EXPORT_COST:
            raise DomainError("insufficient_credits", "You have no credits left. Buy a pack, or export a preview for free.")
        grant = issue_grant(ctx.key("grant"), user.pseudonym, req.fingerprint, now, available - HD_EXPORT_COST)
        cur = await conn.execute(
            "INSERT INTO spends (user_id, idempotency_key, fingerprint, cost, grant_json, at) VALUES (?, ?, ?, ?, ?, ?)",
            (user.user_id, req.idempotency_key, req.fingerprint, HD_EXPORT_COST, msgspec.json.encode(grant).decode(), now),
        )
        await ledger.consume(conn, user.user_id, HD_EXPORT_COST, now, cur.lastrowid)
        await conn.execute("UPDATE users SET last_active_at = ? WHERE id = ?", (now, user.user_id))
    return grant


async def history(ctx: Context, user: Principal) -> CreditHistory:
    await write_off_if_due(ctx, user.user_id)
    now = ctx.now()
    async with ctx.db.read() as conn:
        return CreditHistory(
            balance=await ledger.balance(conn, user.user_id, now),
            entries=await ledger.entries(conn, user.user_id),
        )


async def write_off_if_due(ctx: Context, user_id: int) -> None:
    """Reads stay reads unless a lot has expired with credits left; then the
    write-off entry is appended before the balance is shown."""
    now = ctx.now()
    async with ctx.db.read() as conn:
        due = await ledger.has_expired_remainder(conn, user_id, now)
    if due:
        async with ctx.db.write() as conn:
            await ledger.write_off_expired(conn, user_id, now)
