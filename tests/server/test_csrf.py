"""Every state-changing request needs the signed CSRF token in cookie and header."""

from __future__ import annotations

from tests.server.support import CURRENT, Browser, register


def test_any_response_sets_a_csrf_cookie_readable_by_scripts(client):
    response = client.get("/api/sync")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("cutout_csrf=") and "SameSite=Strict" in cookie and "HttpOnly" not in cookie


def test_post_without_token_is_refused(client):
    bare = Browser(client, csrf=False)
    bare.get("/api/sync")  # has the cookie, sends no header
    response = bare.post("/api/password-resets", json={"email": "x@example.org"})
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"


def test_header_must_match_cookie(client):
    bare = Browser(client, csrf=False)
    bare.get("/api/sync")
    other = Browser(client).csrf_token()
    response = bare.post("/api/password-resets", json={"email": "x@example.org"}, headers={"X-CSRF-Token": other})
    assert response.status_code == 403


def test_unsigned_token_in_both_places_is_refused(client):
    """A sibling site that can plant cookies still cannot mint a signed token."""
    bare = Browser(client, csrf=False)
    bare.cookies.set("cutout_csrf", "forged.token", domain="testserver.local")
    response = bare.post("/api/password-resets", json={"email": "x@example.org"}, headers={"X-CSRF-Token": "forged.token"})
    assert response.status_code == 403


def test_delete_is_protected_too(browser, inbox):
    register(browser, "del@example.org")
    browser.post("/api/sessions", json={"email": "del@example.org", "password": "correct horse battery"})
    bare = Browser(browser.client, csrf=False)
    bare.cookies = browser.cookies
    assert bare.delete("/api/sessions/current").status_code == 403
    assert browser.get("/api/account").status_code == 200


def test_valid_token_passes(browser):
    response = browser.post("/api/accounts", json={
        "email": "ok@example.org", "password": "correct horse battery", "birth_date": "1990-01-01", "accepted": CURRENT,
    })
    assert response.status_code == 201


def test_safe_methods_need_no_token(client):
    assert client.get("/api/agreements/current").status_code == 200


def test_webhook_is_exempt_but_signature_checked(client):
    response = client.post("/api/payments/webhook", content=b"{}")
    assert response.status_code == 400 and response.json()["code"] == "signature_invalid"
