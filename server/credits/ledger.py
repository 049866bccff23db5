"""Ledger primitives, all called inside a write or read transaction.

Every change of credits is one ledger row tied to a lot; the balance and each
lot's remainder are sums over those rows, never stored counters."""

from __future__ import annotations

import aiosqlite
from cutout_wire import Balance, LedgerEntry, Lot

from server.context import to_datetime

_LOTS_SQL = """
SELECT l.id, l.source, l.amount, l.granted_at, l.expires_at, COALESCE(SUM(e.delta), 0) AS remaining
FROM credit_lots l LEFT JOIN ledger e ON e.lot_id = l.id
WHERE l.user_id = ?
GROUP BY l.id
HAVING remaining > 0
ORDER BY l.expires_at, l.id
"""


async def open_lots(conn: aiosqlite.Connection, user_id: int) -> list[aiosqlite.Row]:
    """Lots with credits left, soonest expiry first (expired ones included)."""
    return list(await conn.execute_fetchall(_LOTS_SQL, (user_id,)))


async def grant_lot(
    conn: aiosqlite.Connection, user_id: int, source: str, amount: int, now: int, expires_at: int,
    checkout_id: str | None = None,
) -> int:
    cur = await conn.execute(
        "INSERT INTO credit_lots (user_id, source, amount, granted_at, expires_at, checkout_id)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (user_id, source, amount, now, expires_at, checkout_id),
    )
    lot_id = cur.lastrowid
    await append(conn, user_id, lot_id, "grant", amount, now)
    return lot_id


async def append(
    conn: aiosqlite.Connection, user_id: int, lot_id: int, kind: str, delta: int, now: int,
    spend_id: int | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO ledger (user_id, lot_id, kind, delta, spend_id, at) VALUES (?, ?, ?, ?, ?, ?)",
        (user_id, lot_id, kind, delta, spend_id, now),
    )


async def write_off_expired(conn: aiosqlite.Connection, user_id: int, now: int) -> int:
    """Expired credits leave the balance through an 'expire' entry (not
    refundable). Returns how many credits were written off."""
    total = 0
    for lot in await open_lots(conn, user_id):
        if lot["expires_at"] <= now:
            await append(conn, user_id, lot["id"], "expire", -lot["remaining"], now)
            total += lot["remaining"]
    return total


async def has_expired_remainder(conn: aiosqlite.Connection, user_id: int, now: int) -> bool:
    return any(lot["expires_at"] <= now for lot in await open_lots(conn, user_id))


async def forfeit_all(conn: aiosqlite.Connection, user_id: int, now: int) -> int:
    total = 0
    for lot in await open_lots(conn, user_id):
        await append(conn, user_id, lot["id"], "forfeit", -lot["remaining"], now)
        total += lot["remaining"]
    return total


async def consume(conn: aiosqlite.Connection, user_id: int, cost: int, now: int, spend_id: int) -> None:
    """Take `cost` credits from the soonest-expiring unexpired lots. The
    caller has checked the balance inside the same transaction."""
    left = cost
    for lot in await open_lots(conn, user_id):
        if left == 0:
            break
        if lot["expires_at"] <= now:
            continue
        take = min(left, lot["remaining"])
        await append(conn, user_id, lot["id"], "spend", -take, now, spend_id)
        left -= take
    assert left == 0, "consume called without enough balance"


async def balance(conn: aiosqlite.Connection, user_id: int, now: int) -> Balance:
    return balance_of(await open_lots(conn, user_id), now)


def balance_of(open_lot_rows: list[aiosqlite.Row], now: int) -> Balance:
    lots = [
        Lot(
            lot_id=row["id"], source=row["source"], granted=row["amount"], remaining=row["remaining"],
            granted_at=to_datetime(row["granted_at"]), expires_at=to_datetime(row["expires_at"]),
        )
        for row in open_lot_rows
        if row["expires_at"] > now
    ]
    return Balance(total=sum(lot.remaining for lot in lots), lots=lots)


async def ledger_total(conn: aiosqlite.Connection, user_id: int) -> int:
    async with conn.execute("SELECT COALESCE(SUM(delta), 0) FROM ledger WHERE user_id = ?", (user_id,)) as cur:
        (total,) = await cur.fetchone()
    return total


async def entries(conn: aiosqlite.Connection, user_id: int, limit: int = 200) -> list[LedgerEntry]:
    async with conn.execute(
        "SELECT e.id, e.kind, e.delta, e.lot_id, e.at, l.expires_at FROM ledger e"
        " JOIN credit_lots l ON l.id = e.lot_id WHERE e.user_id = ? ORDER BY e.id DESC LIMIT ?",
        (user_id, limit),
    ) as cur:
        rows = await cur.fetchall()
    return [
        LedgerEntry(entry_id=r["id"], kind=r["kind"], delta=r["delta"], lot_id=r["lot_id"],
                    at=to_datetime(r["at"]), lot_expires_at=to_datetime(r["expires_at"]))
        for r in rows
    ]
