"""Free credits, FIFO spending by expiry, idempotency, expiry write-off,
signed grants, append-only ledger, no transfers."""

from __future__ import annotations

import sqlite3

import pytest

from server.credits.audit import audit
from tests.server.support import FINGERPRINT, buy, signed_up, spend


def ledger_rows(settings, email):
    with sqlite3.connect(settings.db_path) as db:
        return db.execute(
            "SELECT e.kind, e.delta, l.source FROM ledger e JOIN credit_lots l ON l.id = e.lot_id"
            " JOIN users u ON u.id = e.user_id WHERE u.email = ? ORDER BY e.id", (email,)
        ).fetchall()


def test_activation_grants_free_credits_with_their_lifetime(browser, inbox, clock):
    signed_up(browser, inbox, "free@example.org")
    balance = browser.get("/api/credits").json()["balance"]
    assert balance["total"] == 3
    (lot,) = balance["lots"]
    assert lot["source"] == "free" and lot["remaining"] == 3
    assert lot["expires_at"].startswith("2026-07-01")  # 30 days after 2026-06-01


def test_spend_returns_a_signed_grant_over_the_fingerprint(browser, inbox, settings):
    signed_up(browser, inbox, "grant@example.org")
    grant = spend(browser, "grant-key-1").json()
    assert grant["fingerprint"] == FINGERPRINT and grant["kind"] == "hd_export" and grant["balance"] == 2
    with sqlite3.connect(settings.db_path) as db:
        (user_id, pseudonym) = db.execute("SELECT id, pseudonym FROM users WHERE email = 'grant@example.org'").fetchone()
    assert grant["subject"] == pseudonym and str(user_id) != grant["subject"]
    assert "grant@example.org" not in str(grant)
    assert browser.post("/api/credits/grants/verify", json=grant).json() == {"valid": True}
    for field, value in (("fingerprint", "cd" * 32), ("subject", "someone-else"), ("issued_at", grant["issued_at"] + 1)):
        assert browser.post("/api/credits/grants/verify", json={**grant, field: value}).json() == {"valid": False}


def test_fingerprint_must_be_a_sha256_not_data(browser, inbox):
    signed_up(browser, inbox, "fp@example.org")
    response = browser.post("/api/credits/spend", json={"idempotency_key": "fp-key-01", "fingerprint": "data:image/png;base64,AAAA"})
    assert response.status_code == 400


def test_same_idempotency_key_charges_once_and_returns_the_same_grant(browser, inbox):
    signed_up(browser, inbox, "idem@example.org")
    first, second = spend(browser, "idem-key-1").json(), spend(browser, "idem-key-1").json()
    assert first == second
    assert browser.get("/api/credits").json()["balance"]["total"] == 2
    conflict = spend(browser, "idem-key-1", fingerprint="ef" * 32)
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"


def test_balance_never_goes_below_zero(browser, inbox, settings):
    signed_up(browser, inbox, "zero@example.org")
    assert [spend(browser, f"zero-key-{i}").status_code for i in range(4)] == [200, 200, 200, 402]
    refused = spend(browser, "zero-key-9")
    assert refused.json()["code"] == "insufficient_credits"
    assert browser.get("/api/credits").json()["balance"]["total"] == 0
    with sqlite3.connect(settings.db_path) as db:
        assert audit(db) == []


def test_spending_takes_the_soonest_expiring_lot_first(browser, inbox, settings):
    signed_up(browser, inbox, "fifo@example.org")
    buy(browser)  # 10 credits valid a year; the 3 free ones expire in 30 days
    spend(browser, "fifo-key-1")
    lots = {lot["source"]: lot["remaining"] for lot in browser.get("/api/credits").json()["balance"]["lots"]}
    assert lots == {"free": 2, "purchase": 10}
    for i in range(2, 5):
        spend(browser, f"fifo-key-{i}")
    lots = {lot["source"]: lot["remaining"] for lot in browser.get("/api/credits").json()["balance"]["lots"]}
    assert lots == {"purchase": 9}


def test_expired_credits_are_written_off_and_not_spendable(browser, inbox, clock, settings):
    signed_up(browser, inbox, "expire@example.org")
    spend(browser, "exp-key-1")
    clock.advance(days=29)
    browser.post("/api/sessions", json={"email": "expire@example.org", "password": "correct horse battery"})
    clock.advance(days=2)
    refused = spend(browser, "exp-key-2")
    assert refused.status_code == 402
    history = browser.get("/api/credits").json()
    assert history["balance"]["total"] == 0
    assert [(e["kind"], e["delta"]) for e in history["entries"]][:1] == [("expire", -2)]
    assert ledger_rows(settings, "expire@example.org") == [("grant", 3, "free"), ("spend", -1, "free"), ("expire", -2, "free")]


def test_history_lists_entries_with_lot_expiry(browser, inbox):
    signed_up(browser, inbox, "hist@example.org")
    spend(browser, "hist-key-1")
    entries = browser.get("/api/credits").json()["entries"]
    assert [e["kind"] for e in entries] == ["spend", "grant"]
    assert all(e["lot_expires_at"].startswith("2026-07-01") for e in entries)


def test_ledger_is_append_only(browser, inbox, settings):
    signed_up(browser, inbox, "append@example.org")
    spend(browser, "append-key-1")
    with sqlite3.connect(settings.db_path) as db:
        for sql in ("UPDATE ledger SET delta = 100", "DELETE FROM ledger", "UPDATE spends SET cost = 0"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(sql)


def test_credits_cannot_be_moved_between_accounts(client):
    """Non-transferable: no operation takes a target account, and a spend
    body naming one is refused."""
    schema = client.get("/schema/openapi.json").json()
    paths = " ".join(schema["paths"]).lower()
    assert "transfer" not in paths and "gift" not in paths
    spend_body = schema["components"]["schemas"]["SpendRequest"]
    assert set(spend_body["properties"]) == {"idempotency_key", "fingerprint"}


def test_packs_are_listed(client):
    packs = client.get("/api/credits/packs").json()
    assert {p["pack_id"]: p["credits"] for p in packs} == {"pack-10": 10, "pack-50": 50}
    assert all(p["lifetime_days"] == 365 for p in packs)
