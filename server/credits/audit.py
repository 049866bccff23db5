"""Ledger consistency checks, on a plain sqlite3 connection so operators and
tests can run them against a database file whatever happened to the server."""

from __future__ import annotations

import sqlite3

CHECKS = {
    "lot remainder outside 0..amount": """
        SELECT l.id FROM credit_lots l JOIN ledger e ON e.lot_id = l.id
        GROUP BY l.id HAVING SUM(e.delta) < 0 OR SUM(e.delta) > l.amount""",
    "lot without exactly one matching grant entry": """
        SELECT l.id FROM credit_lots l
        WHERE (SELECT COUNT(*) FROM ledger e WHERE e.lot_id = l.id AND e.kind = 'grant' AND e.delta = l.amount) <> 1
           OR (SELECT COUNT(*) FROM ledger e WHERE e.lot_id = l.id AND e.kind = 'grant') <> 1""",
    "spend whose entries do not add up to its cost": """
        SELECT s.id FROM spends s
        WHERE (SELECT COALESCE(SUM(e.delta), 0) FROM ledger e WHERE e.spend_id = s.id) <> -s.cost""",
    "spend entry without a spend record": """
        SELECT e.id FROM ledger e WHERE e.kind = 'spend' AND e.spend_id IS NULL""",
    "entry sign does not match its kind": """
        SELECT e.id FROM ledger e WHERE (e.kind = 'grant') <> (e.delta > 0)""",
    "account with a negative balance": """
        SELECT user_id FROM ledger GROUP BY user_id HAVING SUM(delta) < 0""",
    "entry owned by another account than its lot": """
        SELECT e.id FROM ledger e JOIN credit_lots l ON l.id = e.lot_id WHERE e.user_id <> l.user_id""",
}


def audit(conn: sqlite3.Connection) -> list[str]:
    """Returns one line per problem; an empty list means the ledger is consistent."""
    problems = []
    for name, sql in CHECKS.items():
        ids = [row[0] for row in conn.execute(sql).fetchall()]
        if ids:
            problems.append(f"{name}: {ids[:20]}")
    return problems
