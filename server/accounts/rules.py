"""Rules shared by several areas: age, who may transact, single-use tokens."""

from __future__ import annotations

from datetime import date

import aiosqlite

from server.agreements import service as agreements
from server.context import Context
from server.errors import DomainError
from server.security import new_token, sign, token_hash


def age_on(birth_date: date, today: date) -> int:
    had_birthday = (today.month, today.day) >= (birth_date.month, birth_date.day)
    return today.year - birth_date.year - (0 if had_birthday else 1)


def require_adult(ctx: Context, birth_date: date) -> None:
    today = ctx.settings.clock().date()
    if birth_date > today:
        raise DomainError("invalid_request", "The date of birth is in the future.")
    if age_on(birth_date, today) < ctx.settings.minimum_age:
        raise DomainError(
            "underage", f"You must be {ctx.settings.minimum_age} or older to create an account."
        )


async def user_row(conn: aiosqlite.Connection, user_id: int) -> aiosqlite.Row:
    async with conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)) as cur:
        row = await cur.fetchone()
    if row is None or row["cancelled_at"] is not None:
        raise DomainError("not_authenticated", "This account no longer exists.")
    return row


async def require_can_transact(conn: aiosqlite.Connection, user_id: int, now: int, action: str) -> aiosqlite.Row:
    """Spending and buying credits need an activated, verified, unrestricted
    account that has accepted the agreements in effect."""
    row = await user_row(conn, user_id)
    if row["banned_reason"] is not None:
        raise DomainError("account_banned", "This account is banned: " + row["banned_reason"])
    if row["activated_at"] is None:
        raise DomainError("account_not_activated", f"Activate your account from the email we sent before you {action}.")
    if row["dormant_since"] is not None:
        raise DomainError("reverification_required", "Confirm your email address again before you continue.")
    if row["restricted_reason"] is not None:
        raise DomainError("account_restricted", f"This account may not {action}: " + row["restricted_reason"])
    await agreements.require_accepted(conn, user_id, now)
    return row


async def issue_token(conn: aiosqlite.Connection, ctx: Context, user_id: int, purpose: str, ttl_s: int) -> str:
    token, now = new_token(), ctx.now()
    await conn.execute(
        "INSERT INTO email_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        (token_hash(token), user_id, purpose, now, now + ttl_s),
    )
    return token


async def consume_token(conn: aiosqlite.Connection, ctx: Context, token: str, purpose: str) -> int:
    """Mark the token used and return its account; a token works once, before
    it expires, for its own purpose only."""
    async with conn.execute(
        "UPDATE email_tokens SET used_at = :now WHERE token_hash = :hash AND purpose = :purpose"
        " AND used_at IS NULL AND expires_at > :now RETURNING user_id",
        {"now": ctx.now(), "hash": token_hash(token), "purpose": purpose},
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        raise DomainError("token_invalid", "This link is invalid, expired or already used. Ask for a new one.")
    return row[0]


def email_block_hash(ctx: Context, email: str) -> str:
    """Keyed, so the stored value cannot be reversed by hashing a list of
    known addresses without the server key."""
    return sign(ctx.key("email-block"), email.encode())
