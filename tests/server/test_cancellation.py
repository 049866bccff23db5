"""Cancellation: every blocker, the emailed confirmation, erasure, the 10-day block."""

from __future__ import annotations

import sqlite3

from tests.server.support import PASSWORD, Browser, buy, register, signed_up, spend

ALLOWED = {"password": PASSWORD, "forfeit_balance": True}


def user_id(settings, email):
    with sqlite3.connect(settings.db_path) as db:
        return db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()[0]


def blockers(b: Browser, **body) -> list[str]:
    response = b.post("/api/cancellation", json={**ALLOWED, **body})
    if response.status_code == 202:
        return []
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "cancellation_blocked"
    return response.json()["blockers"]


def old_enough(clock):
    clock.advance(days=7, seconds=1)


def test_new_and_unactivated_accounts_cannot_cancel(browser, inbox):
    signed_up(browser, inbox, "fresh@example.org", activated=False)
    assert set(blockers(browser)) == {"not_activated", "account_too_new"}
    status = browser.get("/api/cancellation").json()
    assert status["can_request"] is False and status["irreversible"] is True


def test_wrong_password_is_refused(browser, inbox, clock):
    signed_up(browser, inbox, "pw@example.org")
    response = browser.post("/api/cancellation", json={"password": "not it", "forfeit_balance": True})
    assert response.status_code == 401


def test_remaining_balance_must_be_forfeited_explicitly(browser, inbox, clock):
    signed_up(browser, inbox, "balance@example.org")
    old_enough(clock)
    browser.post("/api/sessions", json={"email": "balance@example.org", "password": PASSWORD})
    assert blockers(browser, forfeit_balance=False) == ["balance_not_forfeited"]
    status = browser.get("/api/cancellation").json()
    assert status == {"can_request": True, "blockers": ["balance_not_forfeited"], "balance": 3,
                      "pending_confirmation": False, "irreversible": True}
    assert blockers(browser) == []


def test_pending_checkout_blocks_until_it_lapses(browser, inbox, clock):
    signed_up(browser, inbox, "pending@example.org")
    old_enough(clock)
    browser.post("/api/sessions", json={"email": "pending@example.org", "password": PASSWORD})
    assert browser.post("/api/payments/checkouts", json={"pack_id": "pack-10"}).status_code == 201
    assert blockers(browser) == ["checkout_pending"]
    clock.advance(hours=2)
    assert blockers(browser) == []


def test_dispute_blocks(new_browser, inbox, admin_browser, settings, clock):
    person = signed_up(new_browser(), inbox, "dispute@example.org")
    uid = user_id(settings, "dispute@example.org")
    admin_browser.post(f"/api/admin/users/{uid}/actions", json={"action": "dispute", "reason": "chargeback"})
    old_enough(clock)
    person.post("/api/sessions", json={"email": "dispute@example.org", "password": PASSWORD})
    assert blockers(person) == ["dispute_open"]


def cancel_fully(b: Browser, inbox, clock, email) -> None:
    signed_up(b, inbox, email)
    spend(b, "cancel-key-1")
    old_enough(clock)
    b.post("/api/sessions", json={"email": email, "password": PASSWORD})
    assert b.post("/api/cancellation", json=ALLOWED).status_code == 202
    mail = inbox.wait_for(email, "confirm the cancellation")
    assert "cannot be undone" in mail.body and "2 credits will be forfeited" in mail.body
    token = inbox.token(email, "confirm the cancellation", "/links/cancel")
    assert "cannot be undone" in b.get(f"/links/cancel?token={token}").text
    assert b.post("/api/cancellation/confirm", json={"token": token}).status_code == 200


def test_confirmed_cancellation_erases_personal_data_and_keeps_pseudonymous_records(browser, inbox, clock, settings):
    uid_email = "gone@example.org"
    register(browser, "bystander@example.org")
    cancel_fully(browser, inbox, clock, uid_email)
    assert browser.get("/api/account").status_code == 401
    inbox.wait_for(uid_email, "is cancelled")
    with sqlite3.connect(settings.db_path) as db:
        row = db.execute("SELECT email, display_name, birth_date, cancelled_at, pseudonym FROM users"
                         " WHERE cancelled_at IS NOT NULL").fetchone()
        assert row[:3] == (None, None, None) and row[3] and row[4]
        uid = db.execute("SELECT id FROM users WHERE cancelled_at IS NOT NULL").fetchone()[0]
        for table in ("identities", "sessions", "email_tokens"):
            assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (uid,)).fetchone() == (0,)
        kinds = [k for (k,) in db.execute("SELECT kind FROM ledger WHERE user_id = ? ORDER BY id", (uid,))]
        assert kinds == ["grant", "spend", "forfeit"]
        assert db.execute("SELECT SUM(delta) FROM ledger WHERE user_id = ?", (uid,)).fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM acceptances WHERE user_id = ?", (uid,)).fetchone() == (2,)
        dump = "\n".join(db.iterdump())
    assert "gone@example.org" not in dump and "bystander@example.org" in dump


def test_confirmation_link_works_once_and_cancelled_login_fails(browser, inbox, clock):
    cancel_fully(browser, inbox, clock, "once@example.org")
    token = inbox.token("once@example.org", "confirm the cancellation", "/links/cancel")
    assert browser.post("/api/cancellation/confirm", json={"token": token}).json()["code"] == "token_invalid"
    login = browser.post("/api/sessions", json={"email": "once@example.org", "password": PASSWORD})
    assert login.status_code == 401


def test_same_email_cannot_register_for_ten_days(browser, inbox, clock):
    cancel_fully(browser, inbox, clock, "back@example.org")
    blocked = register(browser, "Back@example.org")
    assert blocked.status_code == 409 and blocked.json()["code"] == "email_blocked"
    clock.advance(days=9, hours=23)
    assert register(browser, "back@example.org").status_code == 409
    clock.advance(hours=2)
    assert register(browser, "back@example.org").status_code == 201


def test_blocker_arising_after_the_request_stops_confirmation(browser, inbox, clock):
    signed_up(browser, inbox, "race@example.org")
    old_enough(clock)
    browser.post("/api/sessions", json={"email": "race@example.org", "password": PASSWORD})
    assert browser.post("/api/cancellation", json=ALLOWED).status_code == 202
    browser.post("/api/payments/checkouts", json={"pack_id": "pack-10"})
    token = inbox.token("race@example.org", "confirm the cancellation", "/links/cancel")
    refused = browser.post("/api/cancellation/confirm", json={"token": token})
    assert refused.status_code == 409 and refused.json()["blockers"] == ["checkout_pending"]
    assert browser.get("/api/account").status_code == 200


def test_credits_bought_after_the_request_must_be_forfeited_again(browser, inbox, clock):
    """The request acknowledged forfeiting 3 credits; a pack paid for since
    then is not silently forfeited: confirmation asks for a new request."""
    signed_up(browser, inbox, "later-buy@example.org")
    old_enough(clock)
    browser.post("/api/sessions", json={"email": "later-buy@example.org", "password": PASSWORD})
    assert browser.post("/api/cancellation", json=ALLOWED).status_code == 202
    token = inbox.token("later-buy@example.org", "confirm the cancellation", "/links/cancel")
    buy(browser)
    refused = browser.post("/api/cancellation/confirm", json={"token": token})
    assert refused.status_code == 409 and refused.json()["blockers"] == ["balance_not_forfeited"]
    assert browser.post("/api/cancellation", json=ALLOWED).status_code == 202
    assert "13 credits will be forfeited" in inbox.wait_for("later-buy@example.org", "confirm the cancellation").body
    assert browser.post("/api/cancellation/confirm", json={"token": token}).status_code == 200
