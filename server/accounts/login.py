"""Sign-in with rate limits, session rotation, session listing and revocation."""

from __future__ import annotations

from cutout_wire import LoginRequest, SessionInfo

from server.accounts.service import send_reverification
from server.auth import Principal, create_session
from server.context import Context, to_datetime
from server.errors import DomainError
from server.security import normalise_email, token_hash

_LOGIN_SQL = """
SELECT u.id, u.banned_reason, u.dormant_since, i.password_hash
FROM identities i JOIN users u ON u.id = i.user_id
WHERE i.provider = 'password' AND i.subject = ? AND u.cancelled_at IS NULL
"""


def _check_limits(ctx: Context, address: str, email: str) -> None:
    for limiter, key in (
        (ctx.limits.login_by_address, address),
        (ctx.limits.login_failures_by_account, email),
    ):
        retry = limiter.retry_after(key)
        if retry is not None:
            raise DomainError("rate_limited", "Too many sign-in attempts; try again later.", retry_after=retry)


async def login(ctx: Context, req: LoginRequest, address: str, old_token: str | None, user_agent: str) -> str:
    """Returns a new session token. Any session the browser already had is
    deleted, so a session id planted before sign-in is worthless after it."""
    email = normalise_email(req.email)
    _check_limits(ctx, address, email)
    ctx.limits.login_by_address.hit(address)
    async with ctx.db.read() as conn:
        async with conn.execute(_LOGIN_SQL, (email,)) as cur:
            row = await cur.fetchone()
    if not await ctx.passwords.verify(row["password_hash"] if row else None, req.password):
        ctx.limits.login_failures_by_account.hit(email)
        raise DomainError("invalid_credentials", "The email or password is not correct.")
    ctx.limits.login_failures_by_account.clear(email)
    if row["banned_reason"] is not None:
        raise DomainError("account_banned", "This account is banned: " + row["banned_reason"])
    if row["dormant_since"] is not None:
        await send_reverification(ctx, row["id"], email)
        raise DomainError(
            "reverification_required",
            "This account was unused for a long time. We sent you a mail: open its link, then sign in.",
        )
    async with ctx.db.write() as conn:
        if old_token:
            await conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash(old_token),))
        token = await create_session(conn, ctx, row["id"], user_agent)
        await conn.execute("UPDATE users SET last_active_at = ? WHERE id = ?", (ctx.now(), row["id"]))
    return token


async def logout(ctx: Context, token: str | None) -> None:
    if not token:
        return
    async with ctx.db.write() as conn:
        await conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash(token),))


async def list_sessions(ctx: Context, user: Principal) -> list[SessionInfo]:
    async with ctx.db.read() as conn:
        async with conn.execute(
            "SELECT * FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC",
            (user.user_id, ctx.now()),
        ) as cur:
            rows = await cur.fetchall()
    return [
        SessionInfo(
            session_id=r["public_id"], created_at=to_datetime(r["created_at"]),
            last_seen_at=to_datetime(r["last_seen_at"]), expires_at=to_datetime(r["expires_at"]),
            user_agent=r["user_agent"], current=r["public_id"] == user.session_id,
        )
        for r in rows
    ]


async def revoke_session(ctx: Context, user: Principal, session_id: str) -> None:
    """Only the owner's own sessions: another account's id reads as unknown."""
    async with ctx.db.write() as conn:
        cur = await conn.execute(
            "DELETE FROM sessions WHERE public_id = ? AND user_id = ?", (session_id, user.user_id)
        )
        if cur.rowcount == 0:
            raise DomainError("not_found", "There is no such session.")
