"""Server-side sessions and the request principal.

The session cookie holds a random token; the database holds only its hash.
Handlers get the signed-in account through the `user` / `admin` dependencies
or read the optional principal with `load_principal`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

import aiosqlite
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter

from server.context import DAY, Context
from server.errors import DomainError
from server.security import new_token, token_hash

log = logging.getLogger("server.auth")

TOUCH_EVERY_S = 300


@dataclass(frozen=True)
class Principal:
    user_id: int
    session_id: str
    role: str
    email: str
    display_name: str
    pseudonym: str
    created_at: int
    activated_at: int | None
    dormant_since: int | None
    restricted_reason: str | None
    dispute_reason: str | None

    @property
    def status(self) -> str:
        if self.activated_at is None:
            return "pending_activation"
        if self.dormant_since is not None:
            return "dormant"
        if self.restricted_reason is not None:
            return "restricted"
        return "active"


def session_cookie_name(ctx: Context) -> str:
    # __Host- cookies must be Secure, host-only and Path=/: browsers enforce it.
    return "__Host-cutout_session" if ctx.settings.cookie_secure else "cutout_session"


def session_cookie(ctx: Context, token: str | None) -> Cookie:
    return Cookie(
        key=session_cookie_name(ctx),
        value=token or "",
        path="/",
        httponly=True,
        secure=ctx.settings.cookie_secure,
        samesite="lax",
        max_age=ctx.settings.session_days * DAY if token else 0,
    )


async def create_session(conn: aiosqlite.Connection, ctx: Context, user_id: int, user_agent: str) -> str:
    token, now = new_token(), ctx.now()
    await conn.execute(
        "INSERT INTO sessions (token_hash, public_id, user_id, created_at, last_seen_at, expires_at, user_agent)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (token_hash(token), new_token(9), user_id, now, now, now + ctx.settings.session_days * DAY, user_agent[:200]),
    )
    return token


_PRINCIPAL_SQL = """
SELECT s.public_id, s.last_seen_at, u.id, u.role, u.email, u.display_name, u.pseudonym, u.created_at,
       u.activated_at, u.dormant_since, u.restricted_reason, u.dispute_reason, u.banned_reason
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = ? AND s.expires_at > ? AND u.cancelled_at IS NULL
"""


async def _lookup(ctx: Context, token: str) -> Principal | None:
    now = ctx.now()
    async with ctx.db.read() as conn:
        rows = await conn.execute_fetchall(_PRINCIPAL_SQL, (token_hash(token), now))
    if not rows:
        return None
    row = rows[0]
    if row["banned_reason"] is not None:
        raise DomainError("account_banned", "This account is banned: " + row["banned_reason"])
    if now - row["last_seen_at"] >= TOUCH_EVERY_S:
        await _touch(ctx, token, row["id"], now)
    return Principal(
        user_id=row["id"], session_id=row["public_id"], role=row["role"], email=row["email"],
        display_name=row["display_name"] or "", pseudonym=row["pseudonym"], created_at=row["created_at"],
        activated_at=row["activated_at"], dormant_since=row["dormant_since"],
        restricted_reason=row["restricted_reason"], dispute_reason=row["dispute_reason"],
    )


async def _touch(ctx: Context, token: str, user_id: int, now: int) -> None:
    """Throttled: at most one write per session every few minutes, so the
    sync endpoint stays a read."""
    async with ctx.db.write() as conn:
        await conn.execute("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", (now, token_hash(token)))
        await conn.execute("UPDATE users SET last_active_at = ? WHERE id = ?", (now, user_id))


async def account_principal(ctx: Context, token: str) -> Principal:
    principal = await _lookup(ctx, token)
    assert principal is not None, "session just created"
    return principal


def context_of(request: Request) -> Context:
    return request.app.state.ctx


def session_token(request: Request) -> str | None:
    return request.cookies.get(session_cookie_name(context_of(request))) or None


async def load_principal(request: Request) -> Principal | None:
    if "principal" not in request.state:
        token = session_token(request)
        request.state.principal = await _lookup(context_of(request), token) if token else None
    return request.state.principal


async def provide_user(request: Request) -> Principal:
    principal = await load_principal(request)
    if principal is None:
        raise DomainError("not_authenticated", "Sign in first.")
    return principal


async def provide_admin(request: Request) -> Principal:
    principal = await provide_user(request)
    if principal.role != "admin":
        raise DomainError("forbidden", "Only an administrator may do this.")
    return principal


async def provide_ctx(request: Request) -> Context:
    return context_of(request)


DEPENDENCIES = {"ctx": Provide(provide_ctx), "user": Provide(provide_user), "admin": Provide(provide_admin)}
# Handler parameter types: `ctx: Ctx`, `user: User` (signed in), `admin: Admin` (role admin).
Ctx = NamedDependency[Context]
User = NamedDependency[Principal]
Admin = NamedDependency[Principal]
# SQLite integers are 64-bit; larger ids from a client are simply not found.
RowId = Annotated[int, PathParameter(gt=0, le=2**63 - 1)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def with_session_cookie(response: Response, ctx: Context, token: str | None) -> Response:
    response.set_cookie(session_cookie(ctx, token))
    return response
