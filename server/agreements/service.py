"""Agreement versions are published by operators and take effect at their
effective time; acceptances are appended, never edited."""

from __future__ import annotations

import hashlib

import aiosqlite
from cutout_wire import AgreementRef, AgreementVersion

from server.context import Context, to_datetime
from server.errors import DomainError

DOCUMENTS = ("terms", "privacy")

_CURRENT_SQL = """
SELECT v.* FROM agreement_versions v
WHERE v.effective_at <= :now AND NOT EXISTS (
    SELECT 1 FROM agreement_versions w
    WHERE w.document = v.document AND w.effective_at <= :now
      AND (w.effective_at > v.effective_at OR (w.effective_at = v.effective_at AND w.version > v.version)))
ORDER BY v.document
"""


def to_wire(row: aiosqlite.Row) -> AgreementVersion:
    return AgreementVersion(
        document=row["document"], version=row["version"], title=row["title"], content=row["content"],
        sha256=row["sha256"], effective_at=to_datetime(row["effective_at"]),
    )


async def current_versions(conn: aiosqlite.Connection, now: int) -> list[aiosqlite.Row]:
    return list(await conn.execute_fetchall(_CURRENT_SQL, {"now": now}))


async def current_refs(conn: aiosqlite.Connection, now: int) -> list[AgreementRef]:
    return [AgreementRef(r["document"], r["version"]) for r in await current_versions(conn, now)]


async def get_version(conn: aiosqlite.Connection, document: str, version: int) -> AgreementVersion:
    async with conn.execute(
        "SELECT * FROM agreement_versions WHERE document = ? AND version = ?", (document, version)
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        raise DomainError("not_found", f"There is no version {version} of the {document} document.")
    return to_wire(row)


async def pending_for(conn: aiosqlite.Connection, user_id: int, now: int) -> list[AgreementRef]:
    """Current versions this account has not accepted yet."""
    rows = await conn.execute_fetchall(
        f"SELECT v.document, v.version FROM ({_CURRENT_SQL}) v WHERE NOT EXISTS ("
        " SELECT 1 FROM acceptances a WHERE a.user_id = :user AND a.document = v.document AND a.version = v.version)"
        " ORDER BY v.document",
        {"now": now, "user": user_id},
    )
    return [AgreementRef(r["document"], r["version"]) for r in rows]


async def require_accepted(conn: aiosqlite.Connection, user_id: int, now: int) -> None:
    pending = await pending_for(conn, user_id, now)
    if pending:
        names = ", ".join(f"{r.document} version {r.version}" for r in pending)
        raise DomainError("agreement_outdated", f"Please read and accept the new {names} first.", required=pending)


async def accept(conn: aiosqlite.Connection, user_id: int, ref: AgreementRef, now: int) -> None:
    current = await current_refs(conn, now)
    if ref not in current:
        raise DomainError(
            "agreement_outdated", f"{ref.document} version {ref.version} is not the version in effect.",
            required=[r for r in current if r.document == ref.document],
        )
    await conn.execute(
        "INSERT INTO acceptances (user_id, document, version, accepted_at) VALUES (?, ?, ?, ?)",
        (user_id, ref.document, ref.version, now),
    )


async def require_all_current(conn: aiosqlite.Connection, accepted: list[AgreementRef], now: int) -> list[AgreementRef]:
    """At sign-up every current version must be among the accepted ones."""
    current = await current_refs(conn, now)
    missing = [ref for ref in current if ref not in accepted]
    if missing:
        raise DomainError(
            "agreement_outdated", "Please accept the current terms of service and privacy policy.", required=missing
        )
    return current


async def publish(
    ctx: Context, document: str, title: str, content: str, effective_at: int, version: int | None = None
) -> AgreementVersion:
    if document not in DOCUMENTS:
        raise DomainError("invalid_request", f"Unknown document {document!r}; use one of {', '.join(DOCUMENTS)}.")
    digest = hashlib.sha256(content.encode()).hexdigest()
    async with ctx.db.write() as conn:
        if version is None:
            async with conn.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM agreement_versions WHERE document = ?", (document,)
            ) as cur:
                (version,) = await cur.fetchone()
        async with conn.execute("SELECT 1 FROM agreement_versions WHERE document = ? AND version = ?",
                                (document, version)) as cur:
            if await cur.fetchone() is not None:
                raise DomainError("invalid_request", f"{document} version {version} already exists.")
        await conn.execute(
            "INSERT INTO agreement_versions (document, version, title, content, sha256, effective_at, published_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (document, version, title, content, digest, effective_at, ctx.now()),
        )
        return await get_version(conn, document, version)


async def seed_defaults(ctx: Context) -> None:
    """A fresh database gets version 1 of each document, so sign-up works
    out of the box; operators publish real texts with the admin command."""
    from server.agreements.texts import DEFAULT_TEXTS

    async with ctx.db.read() as conn:
        async with conn.execute("SELECT COUNT(*) FROM agreement_versions") as cur:
            (count,) = await cur.fetchone()
    if count:
        return
    for document, (title, content) in DEFAULT_TEXTS.items():
        await publish(ctx, document, title, content, effective_at=0, version=1)
