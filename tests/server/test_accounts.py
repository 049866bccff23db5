"""Sign-up rules, activation by real SMTP mail, sessions and passwords."""

from __future__ import annotations

import sqlite3

import pytest

from tests.server.support import PASSWORD, Browser, activate, login, register, signed_up, spend


def test_signup_refuses_people_under_18_with_a_reason(browser, clock):
    # The fake clock says 2026-06-01: born 2008-06-02 is one day short of 18.
    response = register(browser, "young@example.org", birth_date="2008-06-02")
    assert response.status_code == 422
    assert response.json()["code"] == "underage"
    assert "18 or older" in response.json()["message"]


def test_signup_accepts_someone_turning_18_today(browser, inbox):
    assert register(browser, "just18@example.org", birth_date="2008-06-01").status_code == 201
    inbox.wait_for("just18@example.org", "activate")


def test_birth_date_in_the_future_is_refused(browser):
    assert register(browser, "future@example.org", birth_date="2030-01-01").status_code == 400


def test_one_account_per_email_after_normalisation(browser):
    assert register(browser, "Someone@Example.org").status_code == 201
    again = register(browser, "  someone@EXAMPLE.org ")
    assert again.status_code == 409
    assert again.json()["code"] == "email_taken"


def test_signup_requires_the_current_agreements(browser):
    response = register(browser, "noterms@example.org", accepted=[{"document": "terms", "version": 1}])
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "agreement_outdated"
    assert body["required"] == [{"document": "privacy", "version": 1}]


def test_signup_records_acceptances(browser, settings):
    assert register(browser, "accepts@example.org").status_code == 201
    with sqlite3.connect(settings.db_path) as db:
        rows = db.execute("SELECT document, version FROM acceptances ORDER BY document").fetchall()
    assert rows == [("privacy", 1), ("terms", 1)]


def test_password_equal_to_email_is_refused(browser):
    response = register(browser, "same@example.org", password="same@example.org")
    assert response.json()["code"] == "weak_password"


def test_short_password_is_refused(browser):
    assert register(browser, "short@example.org", password="abc").status_code == 400


def test_password_is_stored_as_argon2id(browser, settings):
    register(browser, "hash@example.org")
    with sqlite3.connect(settings.db_path) as db:
        (stored,) = db.execute("SELECT password_hash FROM identities").fetchone()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_activation_mail_is_sent_over_smtp_and_its_link_activates(browser, inbox):
    register(browser, "act@example.org")
    mail = inbox.wait_for("act@example.org", "activate")
    assert "http://testserver.local/links/activate?token=" in mail.body
    assert activate(browser, inbox, "act@example.org").status_code == 200
    again = activate(browser, inbox, "act@example.org")
    assert again.status_code == 400 and again.json()["code"] == "token_invalid"


def test_activation_link_page_activates_with_a_form_post(browser, inbox):
    register(browser, "page@example.org")
    token = inbox.token("page@example.org", "activate", "/links/activate")
    page = browser.get(f"/links/activate?token={token}")
    assert page.status_code == 200 and 'name="token"' in page.text
    done = browser.client.post("/links/activate", data={"token": token})
    assert done.status_code == 200 and "Account activated" in done.text
    assert login(browser, "page@example.org").json()["status"] == "active"


def test_unactivated_account_can_sign_in_but_not_spend_or_buy(browser, inbox):
    signed_up(browser, inbox, "idle@example.org", activated=False)
    assert browser.get("/api/account").json()["status"] == "pending_activation"
    refused = spend(browser, "key-00000001")
    assert refused.status_code == 403 and refused.json()["code"] == "account_not_activated"
    buy = browser.post("/api/payments/checkouts", json={"pack_id": "pack-10"})
    assert buy.status_code == 403 and buy.json()["code"] == "account_not_activated"


def test_activation_mail_can_be_resent(browser, inbox):
    signed_up(browser, inbox, "resend@example.org", activated=False)
    assert browser.post("/api/accounts/activation-mail").status_code == 202
    assert len(inbox.to("resend@example.org")) == 2


def test_session_cookie_is_httponly_samesite_and_not_secure_over_http(browser, inbox):
    register(browser, "cookie@example.org")
    response = login(browser, "cookie@example.org")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("cutout_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie


def test_session_cookie_is_secure_behind_https(make_client, inbox):
    browser = Browser(make_client(public_origin="https://cutout.example"))
    register(browser, "secure@example.org")
    cookie = login(browser, "secure@example.org").headers["set-cookie"]
    assert cookie.startswith("__Host-cutout_session=") and "Secure" in cookie


def test_login_rotates_the_session_id(browser, inbox):
    register(browser, "rotate@example.org")
    login(browser, "rotate@example.org")
    first = browser.cookie("cutout_session")
    login(browser, "rotate@example.org")
    second = browser.cookie("cutout_session")
    assert first and second and first != second
    stale = Browser(browser.client)
    stale.cookies.set("cutout_session", first, domain="testserver.local")
    assert stale.get("/api/account").status_code == 401
    assert browser.get("/api/account").status_code == 200


def test_wrong_password_and_unknown_email_read_the_same(browser):
    register(browser, "known@example.org")
    wrong = login(browser, "known@example.org", "not the password")
    unknown = login(browser, "nobody@example.org")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_logout_ends_the_session(browser, inbox):
    signed_up(browser, inbox, "bye@example.org")
    assert browser.delete("/api/sessions/current").status_code == 200
    assert browser.get("/api/account").status_code == 401


def test_list_and_revoke_own_sessions_only(client, inbox):
    laptop, phone, other = Browser(client), Browser(client), Browser(client)
    signed_up(laptop, inbox, "two@example.org")
    login(phone, "two@example.org")
    signed_up(other, inbox, "other@example.org")
    sessions = laptop.get("/api/sessions").json()
    assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
    phone_id = next(s["session_id"] for s in sessions if not s["current"])
    other_id = other.get("/api/sessions").json()[0]["session_id"]
    assert laptop.delete(f"/api/sessions/{other_id}").status_code == 404
    assert other.get("/api/account").status_code == 200
    assert laptop.delete(f"/api/sessions/{phone_id}").status_code == 204
    assert phone.get("/api/account").status_code == 401


def test_password_change_needs_the_current_password_and_ends_other_sessions(client, inbox):
    me, elsewhere = Browser(client), Browser(client)
    signed_up(me, inbox, "change@example.org")
    login(elsewhere, "change@example.org")
    bad = me.post("/api/account/password", json={"current_password": "wrong", "new_password": "a new long password"})
    assert bad.status_code == 401
    ok = me.post("/api/account/password", json={"current_password": PASSWORD, "new_password": "a new long password"})
    assert ok.status_code == 200
    assert elsewhere.get("/api/account").status_code == 401
    assert me.get("/api/account").status_code == 200
    assert login(Browser(client), "change@example.org", "a new long password").status_code == 200


def test_reset_link_works_once(browser, inbox):
    register(browser, "reset@example.org")
    assert browser.post("/api/password-resets", json={"email": "RESET@example.org"}).status_code == 202
    token = inbox.token("reset@example.org", "reset", "/links/reset-password")
    body = {"token": token, "new_password": "brand new password"}
    assert browser.post("/api/password-resets/confirm", json=body).status_code == 200
    assert browser.post("/api/password-resets/confirm", json=body).json()["code"] == "token_invalid"
    assert login(browser, "reset@example.org", "brand new password").status_code == 200
    assert login(browser, "reset@example.org").status_code == 401


def test_reset_link_expires(browser, inbox, clock):
    register(browser, "late@example.org")
    browser.post("/api/password-resets", json={"email": "late@example.org"})
    token = inbox.token("late@example.org", "reset", "/links/reset-password")
    clock.advance(minutes=61)
    late = browser.post("/api/password-resets/confirm", json={"token": token, "new_password": "brand new password"})
    assert late.json()["code"] == "token_invalid"


def test_reset_request_does_not_reveal_unknown_accounts(browser, inbox):
    response = browser.post("/api/password-resets", json={"email": "ghost@example.org"})
    assert response.status_code == 202
    assert inbox.to("ghost@example.org") == []


def test_reset_link_page_sets_the_password(browser, inbox):
    register(browser, "pagereset@example.org")
    browser.post("/api/password-resets", json={"email": "pagereset@example.org"})
    token = inbox.token("pagereset@example.org", "reset", "/links/reset-password")
    assert 'name="new_password"' in browser.get(f"/links/reset-password?token={token}").text
    done = browser.client.post("/links/reset-password", data={"token": token, "new_password": "page set password"})
    assert done.status_code == 200
    assert login(browser, "pagereset@example.org", "page set password").status_code == 200


def test_login_is_rate_limited_per_account(client, clock):
    b = Browser(client)
    register(b, "target@example.org")
    for _ in range(5):
        assert login(b, "target@example.org", "guess guess").status_code == 401
    limited = login(b, "target@example.org")  # even the right password waits
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) > 0
    clock.advance(minutes=16)
    assert login(b, "target@example.org").status_code == 200


def test_login_is_rate_limited_per_client_address(client):
    b = Browser(client)
    statuses = [login(b, f"spray{i}@example.org", "guess guess").status_code for i in range(31)]
    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429


def test_a_third_party_login_links_to_an_account_without_schema_change(browser, settings):
    """OIDC-ready: an identity is (provider, subject) owned by an account, so
    linking Google/Apple later is a row, not a migration; one subject cannot
    belong to two accounts."""
    register(browser, "linked@example.org")
    register(browser, "other@example.org")
    with sqlite3.connect(settings.db_path) as db:
        ids = [uid for (uid,) in db.execute("SELECT id FROM users ORDER BY id")]
        link = "INSERT INTO identities (user_id, provider, subject, created_at) VALUES (?, 'google', 'sub-123', 0)"
        db.execute(link, (ids[0],))
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(link, (ids[1],))
    assert login(browser, "linked@example.org").status_code == 200
