"""Admin actions. Each is recorded in admin_actions with its reason and actor."""

from __future__ import annotations

import aiosqlite
import msgspec

from server.accounts.rules import user_row
from server.context import DAY, Context, to_datetime
from server.credits import ledger
from server.errors import DomainError
from server.security import normalise_email

# action -> (users column, value set: the reason or NULL)
FLAGS = {
    "restrict": ("restricted_reason", True),
    "unrestrict": ("restricted_reason", False),
    "ban": ("banned_reason", True),
    "unban": ("banned_reason", False),
    "dispute": ("dispute_reason", True),
    "resolve_dispute": ("dispute_reason", False),
}


class AdminUserView(msgspec.Struct):
    user_id: int
    email: str | None
    role: str
    created_at: str
    activated: bool
    dormant: bool
    restricted_reason: str | None
    banned_reason: str | None
    dispute_reason: str | None
    cancelled: bool
    balance: int


async def find_user_id(conn: aiosqlite.Connection, email_or_id: str) -> int:
    if email_or_id.isdigit():
        query, value = "SELECT id FROM users WHERE id = ?", int(email_or_id)
    else:
        query, value = "SELECT id FROM users WHERE email = ?", normalise_email(email_or_id)
    async with conn.execute(query, (value,)) as cur:
        row = await cur.fetchone()
    if row is None:
        raise DomainError("not_found", f"No account {email_or_id!r}.")
    return row[0]


async def set_flag(ctx: Context, user_id: int, action: str, reason: str, actor: str) -> None:
    column, on = FLAGS[action]
    if on and not reason.strip():
        raise DomainError("invalid_request", "Give a reason; it is recorded and shown to the person.")
    now = ctx.now()
    async with ctx.db.write() as conn:
        await user_row(conn, user_id)
        await conn.execute(f"UPDATE users SET {column} = ? WHERE id = ?", (reason.strip() if on else None, user_id))
        if action == "ban":
            # A ban ends every session now, not at their expiry.
            await conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
        await conn.execute(
            "INSERT INTO admin_actions (user_id, action, reason, actor, at) VALUES (?, ?, ?, ?, ?)",
            (user_id, action, reason.strip(), actor, now),
        )


async def set_role(ctx: Context, user_id: int, role: str, actor: str) -> None:
    async with ctx.db.write() as conn:
        await user_row(conn, user_id)
        await conn.execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))
        await conn.execute(
            "INSERT INTO admin_actions (user_id, action, reason, actor, at) VALUES (?, 'set_role', ?, ?, ?)",
            (user_id, role, actor, ctx.now()),
        )


async def view(ctx: Context, user_id: int) -> AdminUserView:
    now = ctx.now()
    async with ctx.db.read() as conn:
        async with conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            raise DomainError("not_found", f"No account {user_id}.")
        balance = (await ledger.balance(conn, user_id, now)).total
    return AdminUserView(
        user_id=row["id"], email=row["email"], role=row["role"],
        created_at=to_datetime(row["created_at"]).isoformat(), activated=row["activated_at"] is not None,
        dormant=row["dormant_since"] is not None, restricted_reason=row["restricted_reason"],
        banned_reason=row["banned_reason"], dispute_reason=row["dispute_reason"],
        cancelled=row["cancelled_at"] is not None, balance=balance,
    )


async def sweep_dormant(ctx: Context) -> int:
    """Flag accounts unused for settings.dormant_after_days; they must confirm
    their email again (at next sign-in) before use. Their sessions end."""
    now = ctx.now()
    cutoff = now - ctx.settings.dormant_after_days * DAY
    async with ctx.db.write() as conn:
        async with conn.execute(
            "UPDATE users SET dormant_since = ? WHERE last_active_at < ? AND dormant_since IS NULL"
            " AND cancelled_at IS NULL RETURNING id",
            (now, cutoff),
        ) as cur:
            ids = [row[0] for row in await cur.fetchall()]
        for user_id in ids:
            await conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
    return len(ids)


async def expire_credits(ctx: Context) -> int:
    """Write off every expired lot that still has credits. Returns credits written off."""
    now = ctx.now()
    async with ctx.db.write() as conn:
        async with conn.execute(
            "SELECT DISTINCT user_id FROM credit_lots WHERE expires_at <= ?", (now,)
        ) as cur:
            users = [row[0] for row in await cur.fetchall()]
        return sum([await ledger.write_off_expired(conn, user_id, now) for user_id in users])


async def purge_email_blocks(ctx: Context) -> int:
    async with ctx.db.write() as conn:
        cur = await conn.execute("DELETE FROM email_blocks WHERE until <= ?", (ctx.now(),))
        return cur.rowcount
