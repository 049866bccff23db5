"""Cancellation: refused while any blocker holds; confirmed by an emailed
link; then personal data is erased and only pseudonymous records remain.

Kept after cancellation (pseudonymous: the user row keeps only its number,
a random pseudonym and timestamps): ledger and spends (accounting, disputes),
acceptances (proof of what was agreed and when), checkouts and admin actions.
Erased: email, display name, birth date, password hash, identities,
sessions, pending email tokens."""

from __future__ import annotations

import aiosqlite
from cutout_wire import CancellationRequest, CancellationStatus

from server.accounts import mails
from server.accounts.rules import consume_token, email_block_hash, issue_token, user_row
from server.accounts.service import check_password
from server.auth import Principal
from server.context import DAY, Context
from server.credits import ledger
from server.errors import DomainError
from server.payments.service import has_pending_checkout


async def blockers(conn: aiosqlite.Connection, ctx: Context, user_id: int, forfeit: bool) -> list[str]:
    now, row = ctx.now(), await user_row(conn, user_id)
    found = []
    if row["activated_at"] is None:
        found.append("not_activated")
    if now - row["created_at"] < ctx.settings.cancellation_min_age_days * DAY:
        found.append("account_too_new")
    if await has_pending_checkout(conn, ctx, user_id):
        found.append("checkout_pending")
    if row["dispute_reason"] is not None:
        found.append("dispute_open")
    if not forfeit and (await ledger.balance(conn, user_id, now)).total > 0:
        found.append("balance_not_forfeited")
    return found


BLOCKER_TEXT = {
    "not_activated": "the account is not activated",
    "account_too_new": "the account is less than 7 days old",
    "checkout_pending": "a purchase is still in progress",
    "dispute_open": "a dispute about this account is open",
    "balance_not_forfeited": "you still have credits: agree to forfeit them",
}


def _blocked(when: str, found: list[str]) -> DomainError:
    # The emailed-link page shows only the message, so it names every blocker too.
    reasons = "; ".join(BLOCKER_TEXT[b] for b in found)
    return DomainError("cancellation_blocked", f"The account cannot be cancelled {when}: {reasons}.", blockers=found)


async def status(ctx: Context, user: Principal) -> CancellationStatus:
    async with ctx.db.read() as conn:
        found = await blockers(conn, ctx, user.user_id, forfeit=False)
        balance = (await ledger.balance(conn, user.user_id, ctx.now())).total
        async with conn.execute(
            "SELECT 1 FROM cancellation_requests WHERE user_id = ? AND confirmed_at IS NULL", (user.user_id,)
        ) as cur:
            pending = await cur.fetchone() is not None
    hard = [b for b in found if b != "balance_not_forfeited"]
    return CancellationStatus(can_request=not hard, blockers=found, balance=balance, pending_confirmation=pending)


async def request(ctx: Context, user: Principal, req: CancellationRequest) -> None:
    await check_password(ctx, user.user_id, req.password)
    async with ctx.db.write() as conn:
        found = await blockers(conn, ctx, user.user_id, req.forfeit_balance)
        if found:
            raise _blocked("yet", found)
        balance = (await ledger.balance(conn, user.user_id, ctx.now())).total
        await conn.execute(
            "INSERT INTO cancellation_requests (user_id, requested_at, forfeit_acknowledged, forfeit_amount)"
            " VALUES (?, ?, ?, ?)",
            (user.user_id, ctx.now(), int(req.forfeit_balance), balance),
        )
        token = await issue_token(conn, ctx, user.user_id, "cancel", ctx.settings.token_ttl_s)
    await mails.send(ctx, user.email, *mails.cancellation_confirm(ctx, token, balance))


async def confirm(ctx: Context, token: str) -> None:
    """Irreversible. Blockers are checked again: a purchase may have started
    (or been paid) since the request, and only the balance the person agreed
    to forfeit at request time may be forfeited now."""
    now = ctx.now()
    async with ctx.db.write() as conn:
        user_id = await consume_token(conn, ctx, token, "cancel")
        balance = (await ledger.balance(conn, user_id, now)).total
        found = await blockers(conn, ctx, user_id, forfeit=balance <= await _acknowledged_forfeit(conn, user_id))
        if found:
            raise _blocked("now", found)
        email = (await user_row(conn, user_id))["email"]
        await ledger.forfeit_all(conn, user_id, now)
        await erase(conn, ctx, user_id, email, now)
    await mails.send(ctx, email, *mails.cancellation_done(ctx))


async def _acknowledged_forfeit(conn: aiosqlite.Connection, user_id: int) -> int:
    """Credits the latest open request agreed to forfeit (0 if it had none)."""
    async with conn.execute(
        "SELECT forfeit_amount * forfeit_acknowledged FROM cancellation_requests"
        " WHERE user_id = ? AND confirmed_at IS NULL ORDER BY id DESC LIMIT 1", (user_id,)
    ) as cur:
        row = await cur.fetchone()
    return row[0] if row else 0


async def erase(conn: aiosqlite.Connection, ctx: Context, user_id: int, email: str, now: int) -> None:
    until = now + ctx.settings.email_block_days * DAY
    await conn.execute(
        "INSERT INTO email_blocks (email_hash, until) VALUES (?, ?)"
        " ON CONFLICT (email_hash) DO UPDATE SET until = excluded.until",
        (email_block_hash(ctx, email), until),
    )
    await conn.execute(
        "UPDATE users SET email = NULL, display_name = NULL, birth_date = NULL, restricted_reason = NULL,"
        " banned_reason = NULL, dispute_reason = NULL, cancelled_at = ? WHERE id = ?",
        (now, user_id),
    )
    for table in ("identities", "sessions", "email_tokens"):
        await conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
    await conn.execute(
        "UPDATE cancellation_requests SET confirmed_at = ? WHERE user_id = ? AND confirmed_at IS NULL", (now, user_id)
    )
