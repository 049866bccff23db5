"""Concurrent spends against a real server process, and a crash mid-burst."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import httpx

from server.credits.audit import audit
from tests.server.support import Browser, signed_up


def signed_in_client(server, inbox, email) -> tuple[dict, dict]:
    """Sign up and in over HTTP; returns the cookies and headers the app would send."""
    b = signed_up(Browser(httpx.Client(base_url=server.url)), inbox, email)
    cookies = {c.name: c.value for c in b.cookies.jar}
    return cookies, {"X-CSRF-Token": cookies["cutout_csrf"]}


async def spend_burst(server, cookies, headers, keys, concurrency=100) -> list[int]:
    limits = httpx.Limits(max_connections=concurrency)
    gate = asyncio.Semaphore(concurrency)

    async with httpx.AsyncClient(base_url=server.url, cookies=cookies, headers=headers, limits=limits,
                                 timeout=60) as client:
        async def one(key: str) -> int:
            async with gate:
                try:
                    response = await client.post("/api/credits/spend",
                                                 json={"idempotency_key": key, "fingerprint": "ab" * 32})
                except httpx.TransportError:
                    return -1  # the server went away before answering
                return response.status_code

        return await asyncio.gather(*(one(k) for k in keys))


def totals(db_path, email) -> tuple[int, int]:
    with sqlite3.connect(db_path) as db:
        (uid,) = db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
        balance = db.execute("SELECT COALESCE(SUM(delta), 0) FROM ledger WHERE user_id = ?", (uid,)).fetchone()[0]
        spends = db.execute("SELECT COUNT(*) FROM spends WHERE user_id = ?", (uid,)).fetchone()[0]
    return balance, spends


def test_100_concurrent_spends_against_10_credits(live_server, inbox):
    server = live_server(free_credits=10)
    cookies, headers = signed_in_client(server, inbox, "burst@example.org")
    statuses = asyncio.run(spend_burst(server, cookies, headers, [f"burst-key-{i:03d}" for i in range(100)]))
    assert statuses.count(200) == 10
    assert statuses.count(402) == 90
    assert totals(server.db, "burst@example.org") == (0, 10)
    with sqlite3.connect(server.db) as db:
        assert audit(db) == []


def test_killing_the_server_mid_burst_leaves_a_consistent_ledger(live_server, inbox, tmp_path):
    db_path = tmp_path / "crash.sqlite3"
    server = live_server(db_path, free_credits=1000)
    cookies, headers = signed_in_client(server, inbox, "crash@example.org")
    keys = [f"crash-key-{i:04d}" for i in range(600)]

    def kill_when_spending() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and totals(db_path, "crash@example.org")[1] < 30:
            time.sleep(0.01)
        server.kill()

    killer = threading.Thread(target=kill_when_spending)
    killer.start()
    statuses = asyncio.run(spend_burst(server, cookies, headers, keys, concurrency=20))
    killer.join()
    assert server.process.returncode == -9
    answered = statuses.count(200)
    assert answered >= 1 and -1 in statuses, "the kill should land mid-burst"

    restarted = live_server(db_path, free_credits=1000)
    with sqlite3.connect(db_path) as db:
        assert audit(db) == []
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    balance, spends = totals(db_path, "crash@example.org")
    assert spends >= answered  # every spend the client saw succeed was durable
    assert balance == 1000 - spends  # and nothing half-written
    # Retrying the whole burst after the restart charges only the keys that never landed.
    statuses = asyncio.run(spend_burst(restarted, cookies, headers, keys, concurrency=20))
    assert statuses == [200] * len(keys)
    assert totals(db_path, "crash@example.org") == (1000 - len(keys), len(keys))
