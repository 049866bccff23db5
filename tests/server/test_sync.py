"""The sync endpoint: state for anonymous and signed-in clients, ETag revalidation."""

from __future__ import annotations

from tests.server.support import buy, signed_up, spend


def test_anonymous_clients_get_public_state_and_free_previews(client):
    state = client.get("/api/sync").json()
    assert state["signed_in"] is False and state["account"] is None
    assert state["entitlements"] == ["preview_export"]
    assert state["preview_max_side"] == 1000
    assert {a["document"] for a in state["current_agreements"]} == {"terms", "privacy"}
    assert state["server_time"].startswith("2026-06-01T12:00")


def test_signed_in_state_has_status_balance_lots_and_entitlements(browser, inbox):
    signed_up(browser, inbox, "sync@example.org")
    buy(browser)
    state = browser.get("/api/sync").json()
    assert state["signed_in"] is True
    assert state["account"]["email"] == "sync@example.org" and state["account"]["status"] == "active"
    assert state["balance"]["total"] == 13
    assert [lot["source"] for lot in state["balance"]["lots"]] == ["free", "purchase"]
    assert set(state["entitlements"]) == {"preview_export", "hd_export", "buy_credits"}
    assert state["agreements_to_accept"] == []


def test_pending_activation_has_no_hd_entitlement(browser, inbox):
    signed_up(browser, inbox, "pendsync@example.org", activated=False)
    state = browser.get("/api/sync").json()
    assert state["account"]["status"] == "pending_activation" and state["entitlements"] == ["preview_export"]


def test_etag_revalidates_until_the_state_changes(browser, inbox, clock):
    signed_up(browser, inbox, "etag@example.org")
    first = browser.get("/api/sync")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    clock.advance(seconds=30)  # only the server time moved
    again = browser.get("/api/sync", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    spend(browser, "etag-key-1")
    changed = browser.get("/api/sync", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["balance"]["total"] == 2


def test_sync_writes_off_expired_lots(browser, inbox, clock):
    signed_up(browser, inbox, "syncexp@example.org")
    clock.advance(days=29)
    browser.post("/api/sessions", json={"email": "syncexp@example.org", "password": "correct horse battery"})
    clock.advance(days=2)
    state = browser.get("/api/sync").json()
    assert state["balance"] == {"total": 0, "lots": []}
    assert "hd_export" not in state["entitlements"]
    entries = browser.get("/api/credits").json()["entries"]
    assert entries[0]["kind"] == "expire"
