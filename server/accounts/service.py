"""Sign-up, activation, re-verification and password flows."""

from __future__ import annotations

import aiosqlite
from cutout_wire import AccountState, PasswordChangeRequest, PasswordResetConfirm, RegisterRequest

from server.accounts import mails
from server.accounts.rules import consume_token, email_block_hash, issue_token, require_adult, user_row
from server.agreements import service as agreements
from server.auth import Principal
from server.context import DAY, Context, to_datetime
from server.credits.ledger import grant_lot
from server.errors import DomainError
from server.security import new_token, normalise_email


def check_mail_rate(ctx: Context, address: str) -> None:
    limiter = ctx.limits.mails_by_address
    retry = limiter.retry_after(address)
    if retry is not None:
        raise DomainError("rate_limited", "Too many requests from this address; try again later.", retry_after=retry)
    limiter.hit(address)


async def _refuse_taken_email(conn: aiosqlite.Connection, ctx: Context, email: str) -> None:
    async with conn.execute("SELECT 1 FROM users WHERE email = ?", (email,)) as cur:
        if await cur.fetchone() is not None:
            raise DomainError("email_taken", "An account with this email already exists. Sign in instead.")
    async with conn.execute(
        "SELECT until FROM email_blocks WHERE email_hash = ? AND until > ?", (email_block_hash(ctx, email), ctx.now())
    ) as cur:
        if await cur.fetchone() is not None:
            days = ctx.settings.email_block_days
            raise DomainError("email_blocked", f"This email belonged to a cancelled account; it can register again {days} days after the cancellation.")


async def register(ctx: Context, req: RegisterRequest, address: str) -> None:
    require_adult(ctx, req.birth_date)
    email, now = normalise_email(req.email), ctx.now()
    if req.password.strip().lower() == email:
        raise DomainError("weak_password", "The password must not be your email address.")
    check_mail_rate(ctx, address)
    password_hash = await ctx.passwords.hash(req.password)
    async with ctx.db.write() as conn:
        current = await agreements.require_all_current(conn, req.accepted, now)
        await _refuse_taken_email(conn, ctx, email)
        cur = await conn.execute(
            "INSERT INTO users (pseudonym, email, display_name, birth_date, created_at, last_active_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (new_token(16), email, req.display_name.strip(), req.birth_date.isoformat(), now, now),
        )
        user_id = cur.lastrowid
        await conn.execute(
            "INSERT INTO identities (user_id, provider, subject, password_hash, created_at) VALUES (?, 'password', ?, ?, ?)",
            (user_id, email, password_hash, now),
        )
        for ref in current:
            await agreements.accept(conn, user_id, ref, now)
        token = await issue_token(conn, ctx, user_id, "activate", ctx.settings.token_ttl_s)
    await mails.send(ctx, email, *mails.activation(ctx, token))


async def activate(ctx: Context, token: str) -> int:
    """Returns the number of free credits granted."""
    now, s = ctx.now(), ctx.settings
    async with ctx.db.write() as conn:
        user_id = await consume_token(conn, ctx, token, "activate")
        row = await user_row(conn, user_id)
        if row["activated_at"] is not None:
            raise DomainError("already_activated", "This account is already activated.")
        await conn.execute("UPDATE users SET activated_at = ?, last_active_at = ? WHERE id = ?", (now, now, user_id))
        if s.free_credits > 0:
            await grant_lot(conn, user_id, "free", s.free_credits, now, now + s.free_credit_days * DAY)
    return s.free_credits


async def resend_activation(ctx: Context, user: Principal, address: str) -> None:
    if user.activated_at is not None:
        raise DomainError("already_activated", "This account is already activated.")
    check_mail_rate(ctx, address)
    async with ctx.db.write() as conn:
        token = await issue_token(conn, ctx, user.user_id, "activate", ctx.settings.token_ttl_s)
    await mails.send(ctx, user.email, *mails.activation(ctx, token))


async def reverify(ctx: Context, token: str) -> None:
    now = ctx.now()
    async with ctx.db.write() as conn:
        user_id = await consume_token(conn, ctx, token, "reverify")
        await user_row(conn, user_id)
        await conn.execute("UPDATE users SET dormant_since = NULL, last_active_at = ? WHERE id = ?", (now, user_id))


async def send_reverification(ctx: Context, user_id: int, email: str) -> None:
    async with ctx.db.write() as conn:
        token = await issue_token(conn, ctx, user_id, "reverify", ctx.settings.token_ttl_s)
    await mails.send(ctx, email, *mails.reverify(ctx, token))


async def password_hash_of(conn: aiosqlite.Connection, user_id: int) -> str | None:
    async with conn.execute(
        "SELECT password_hash FROM identities WHERE user_id = ? AND provider = 'password'", (user_id,)
    ) as cur:
        row = await cur.fetchone()
    return row[0] if row else None


async def check_password(ctx: Context, user_id: int, password: str) -> None:
    async with ctx.db.read() as conn:
        stored = await password_hash_of(conn, user_id)
    if not await ctx.passwords.verify(stored, password):
        raise DomainError("invalid_credentials", "The password is not correct.")


async def _set_password(conn: aiosqlite.Connection, user_id: int, password_hash: str) -> None:
    await conn.execute(
        "UPDATE identities SET password_hash = ? WHERE user_id = ? AND provider = 'password'", (password_hash, user_id)
    )


async def change_password(ctx: Context, user: Principal, req: PasswordChangeRequest) -> None:
    """Re-authenticates with the current password; other sessions are revoked
    because whoever else was signed in may be the reason for the change."""
    await check_password(ctx, user.user_id, req.current_password)
    new_hash = await ctx.passwords.hash(req.new_password)
    async with ctx.db.write() as conn:
        await _set_password(conn, user.user_id, new_hash)
        await conn.execute("DELETE FROM sessions WHERE user_id = ? AND public_id <> ?", (user.user_id, user.session_id))


async def request_reset(ctx: Context, email: str, address: str) -> None:
    """Answers the same whether or not the account exists, so the endpoint
    does not reveal who has an account."""
    check_mail_rate(ctx, address)
    email = normalise_email(email)
    async with ctx.db.write() as conn:
        async with conn.execute("SELECT id FROM users WHERE email = ? AND cancelled_at IS NULL", (email,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return
        token = await issue_token(conn, ctx, row["id"], "reset", ctx.settings.reset_token_ttl_s)
    await mails.send(ctx, email, *mails.password_reset(ctx, token))


async def confirm_reset(ctx: Context, req: PasswordResetConfirm) -> None:
    new_hash = await ctx.passwords.hash(req.new_password)
    async with ctx.db.write() as conn:
        user_id = await consume_token(conn, ctx, req.token, "reset")
        await _set_password(conn, user_id, new_hash)
        await conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))


def account_state(user: Principal) -> AccountState:
    return AccountState(
        email=user.email, display_name=user.display_name, status=user.status, role=user.role,
        created_at=to_datetime(user.created_at),
        activated_at=to_datetime(user.activated_at) if user.activated_at is not None else None,
        restricted_reason=user.restricted_reason,
    )
