"""Everything a request handler needs, built once per app in the lifespan and
kept on app.state.ctx. Services take the context explicitly."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone

from server.db import Database
from server.mail import Mailer, make_mailer
from server.ratelimit import SlidingWindow
from server.security import CsrfTokens, Passwords, derive_key
from server.settings import Settings


@dataclass
class Limits:
    login_by_address: SlidingWindow
    login_failures_by_account: SlidingWindow
    mails_by_address: SlidingWindow


@dataclass
class Context:
    settings: Settings
    db: Database
    mailer: Mailer
    passwords: Passwords
    limits: Limits
    secret: bytes = b""
    csrf: CsrfTokens = field(init=False)

    def now(self) -> int:
        return int(self.settings.clock().timestamp())

    def key(self, purpose: str) -> bytes:
        return derive_key(self.secret, purpose)

    def link(self, path: str) -> str:
        return self.settings.public_origin.rstrip("/") + path

    async def start(self) -> None:
        await self.db.open()
        self.secret = self.settings.secret_key or await _stored_secret(self.db)
        self.csrf = CsrfTokens(self.secret)

    async def stop(self) -> None:
        await self.db.close()


async def _stored_secret(db: Database) -> bytes:
    """A random server secret created on first start and kept in the
    database, so sessions, CSRF tokens and grants survive restarts."""
    async with db.write() as conn:
        async with conn.execute("SELECT value FROM meta WHERE key = 'secret_key'") as cur:
            row = await cur.fetchone()
        if row is not None:
            return bytes(row[0])
        secret = secrets.token_bytes(32)
        await conn.execute("INSERT INTO meta VALUES ('secret_key', ?)", (secret,))
        return secret


def build_context(settings: Settings) -> Context:
    def now() -> float:
        return settings.clock().timestamp()

    rl = settings.rate_limits
    limits = Limits(
        login_by_address=SlidingWindow(rl.login_per_address, rl.window_s, now),
        login_failures_by_account=SlidingWindow(rl.login_failures_per_account, rl.window_s, now),
        mails_by_address=SlidingWindow(rl.mails_per_address, rl.window_s, now),
    )
    return Context(
        settings=settings,
        db=Database(settings.db_path),
        mailer=make_mailer(settings),
        passwords=Passwords(settings.password_hashing),
        limits=limits,
    )


def to_datetime(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


DAY = 86400
