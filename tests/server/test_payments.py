"""Checkout with the labelled test provider and its signed, replay-safe webhook."""

from __future__ import annotations

import sqlite3

import msgspec

from server.payments.provider import SIGNATURE_HEADER, EventData, WebhookEvent, signature_header
from tests.server.support import Browser, buy, signed_up


def webhook_secret(ctx):
    from server.payments.service import webhook_secret as secret

    return secret(ctx)


def post_event(client, ctx, event: WebhookEvent, *, timestamp=None, secret=None, body=None):
    body = body if body is not None else msgspec.json.encode(event)
    timestamp = ctx.now() if timestamp is None else timestamp
    header = signature_header(secret or webhook_secret(ctx), body, timestamp)
    return client.post("/api/payments/webhook", content=body, headers={SIGNATURE_HEADER: header})


def start_checkout(b: Browser) -> str:
    created = b.post("/api/payments/checkouts", json={"pack_id": "pack-10"})
    assert created.status_code == 201, created.text
    assert created.json()["provider"] == "test"
    return created.json()["checkout_id"]


def completed(checkout_id: str, event_id: str = "evt_test_1") -> WebhookEvent:
    return WebhookEvent(id=event_id, type="checkout.completed", created=0, data=EventData(checkout_id))


def test_hosted_checkout_page_is_labelled_and_paying_adds_a_year_long_lot(browser, inbox):
    signed_up(browser, inbox, "buyer@example.org")
    checkout_id = start_checkout(browser)
    page = browser.get(f"/test-payments/checkout/{checkout_id}")
    assert "TEST PAYMENT PROVIDER" in page.text and "<script" not in page.text
    paid = browser.post(f"/test-payments/checkout/{checkout_id}", data={"outcome": "pay"}, follow_redirects=False)
    assert paid.status_code == 303
    lots = browser.get("/api/credits").json()["balance"]["lots"]
    purchase = next(lot for lot in lots if lot["source"] == "purchase")
    assert purchase["remaining"] == 10 and purchase["expires_at"].startswith("2027-06-01")
    assert "paid" in browser.get(f"/test-payments/checkout/{checkout_id}").text


def test_cancelled_checkout_adds_nothing(browser, inbox):
    signed_up(browser, inbox, "cancelbuy@example.org")
    checkout_id = start_checkout(browser)
    browser.post(f"/test-payments/checkout/{checkout_id}", data={"outcome": "cancel"}, follow_redirects=False)
    assert browser.get("/api/credits").json()["balance"]["total"] == 3


def test_webhook_with_a_wrong_signature_is_refused(client, browser, inbox, ctx):
    signed_up(browser, inbox, "sig@example.org")
    checkout_id = start_checkout(browser)
    response = post_event(client, ctx, completed(checkout_id), secret=b"not the secret")
    assert response.status_code == 400 and response.json()["code"] == "signature_invalid"
    assert browser.get("/api/credits").json()["balance"]["total"] == 3


def test_webhook_body_changed_after_signing_is_refused(client, browser, inbox, ctx):
    signed_up(browser, inbox, "tamper@example.org")
    checkout_id = start_checkout(browser)
    body = msgspec.json.encode(completed(checkout_id))
    header = signature_header(webhook_secret(ctx), body, ctx.now())
    tampered = body.replace(b"evt_test_1", b"evt_test_2")
    response = client.post("/api/payments/webhook", content=tampered, headers={SIGNATURE_HEADER: header})
    assert response.status_code == 400


def test_webhook_outside_the_tolerance_window_is_refused(client, browser, inbox, ctx):
    signed_up(browser, inbox, "old@example.org")
    checkout_id = start_checkout(browser)
    stale = post_event(client, ctx, completed(checkout_id), timestamp=ctx.now() - 301)
    assert stale.status_code == 400 and "tolerance" in stale.json()["message"]
    assert post_event(client, ctx, completed(checkout_id), timestamp=ctx.now() - 299).status_code == 200


def test_replayed_event_is_acknowledged_and_credited_once(client, browser, inbox, ctx):
    signed_up(browser, inbox, "replay@example.org")
    checkout_id = start_checkout(browser)
    event = completed(checkout_id)
    assert post_event(client, ctx, event).json() == {"status": "processed"}
    assert post_event(client, ctx, event).json() == {"status": "duplicate"}
    # A new event id for an already paid checkout changes nothing either.
    assert post_event(client, ctx, completed(checkout_id, "evt_test_other")).json() == {"status": "ignored"}
    assert browser.get("/api/credits").json()["balance"]["total"] == 13


def test_unknown_pack_is_refused(browser, inbox):
    signed_up(browser, inbox, "pack@example.org")
    response = browser.post("/api/payments/checkouts", json={"pack_id": "pack-999"})
    assert response.status_code == 400 and response.json()["code"] == "unknown_pack"


def test_without_a_provider_buying_is_unavailable_and_test_pages_absent(make_client, inbox):
    client = make_client(payment_provider=None)
    b = signed_up(Browser(client), inbox, "nopay@example.org")
    response = b.post("/api/payments/checkouts", json={"pack_id": "pack-10"})
    assert response.status_code == 503 and response.json()["code"] == "payments_unavailable"
    assert client.get("/test-payments/checkout/co_x").status_code == 404
    assert "buy_credits" not in b.get("/api/sync").json()["entitlements"]


def test_checkout_rows_record_the_pack_and_price(browser, inbox, settings):
    signed_up(browser, inbox, "row@example.org")
    checkout_id = buy(browser)
    with sqlite3.connect(settings.db_path) as db:
        row = db.execute("SELECT status, credits, price_cents FROM checkouts WHERE id = ?", (checkout_id,)).fetchone()
    assert row == ("paid", 10, 500)
