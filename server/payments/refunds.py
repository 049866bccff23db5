"""Payments owed back. A lapsed checkout no longer blocks cancellation, so it
can still be paid after the account was erased; credits on that record could
never be used, so the webhook records a refund due instead of a lot.

The test provider has no refund call: an operator refunds at the provider and
then marks it here (`python -m server.admin refunds-due` / `mark-refunded`)."""

from __future__ import annotations

import aiosqlite
import msgspec

from server.context import Context, to_datetime
from server.errors import DomainError


class RefundDue(msgspec.Struct):
    checkout_id: str
    provider: str
    amount: str
    user_id: int
    event_id: str | None
    recorded_at: str


async def record_due(conn: aiosqlite.Connection, checkout: aiosqlite.Row, event_id: str, now: int) -> None:
    # OR IGNORE: a second paid event for the same checkout owes nothing more.
    await conn.execute(
        "INSERT OR IGNORE INTO refunds (checkout_id, kind, user_id, provider, amount_cents, currency, event_id,"
        " actor, at) VALUES (?, 'due', ?, ?, ?, ?, ?, 'webhook', ?)",
        (checkout["id"], checkout["user_id"], checkout["provider"], checkout["price_cents"], checkout["currency"],
         event_id, now),
    )


async def awaiting(ctx: Context) -> list[RefundDue]:
    async with ctx.db.read() as conn, conn.execute(
        "SELECT * FROM refunds d WHERE kind = 'due' AND NOT EXISTS"
        " (SELECT 1 FROM refunds r WHERE r.checkout_id = d.checkout_id AND r.kind = 'refunded') ORDER BY d.id"
    ) as cur:
        rows = await cur.fetchall()
    return [
        RefundDue(row["checkout_id"], row["provider"], f"{row['amount_cents'] / 100:.2f} {row['currency']}",
                  row["user_id"], row["event_id"], to_datetime(row["at"]).isoformat())
        for row in rows
    ]


async def mark_refunded(ctx: Context, checkout_id: str, note: str, actor: str) -> None:
    async with ctx.db.write() as conn:
        async with conn.execute("SELECT * FROM refunds WHERE checkout_id = ? AND kind = 'due'", (checkout_id,)) as cur:
            due = await cur.fetchone()
        if due is None:
            raise DomainError("not_found", f"No refund is due for checkout {checkout_id!r}.")
        cur = await conn.execute(
            "INSERT OR IGNORE INTO refunds (checkout_id, kind, user_id, provider, amount_cents, currency, note,"
            " actor, at) VALUES (?, 'refunded', ?, ?, ?, ?, ?, ?, ?)",
            (checkout_id, due["user_id"], due["provider"], due["amount_cents"], due["currency"], note.strip(),
             actor, ctx.now()),
        )
        if cur.rowcount == 0:
            raise DomainError("already_refunded", f"Checkout {checkout_id!r} is already marked refunded.")
