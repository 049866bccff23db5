"""A lapsed checkout paid after its account was cancelled: no credits on the
erased record, a refund due instead, visible to operators."""

from __future__ import annotations

import sqlite3

from tests.server.test_admin import cli
from tests.server.test_cancellation import ALLOWED, old_enough
from tests.server.test_payments import completed, post_event, start_checkout
from tests.server.support import PASSWORD, signed_up


def ledger_state(db_path):
    with sqlite3.connect(db_path) as db:
        return (db.execute("SELECT COUNT(*) FROM credit_lots").fetchone(),
                db.execute("SELECT user_id, SUM(delta) FROM ledger GROUP BY user_id ORDER BY user_id").fetchall())


def cancel_with_lapsed_checkout(browser, inbox, clock, email) -> str:
    signed_up(browser, inbox, email)
    old_enough(clock)
    browser.post("/api/sessions", json={"email": email, "password": PASSWORD})
    checkout_id = start_checkout(browser)
    clock.advance(hours=2)  # lapsed: no longer blocks cancellation
    assert browser.post("/api/cancellation", json=ALLOWED).status_code == 202
    token = inbox.token(email, "confirm the cancellation", "/links/cancel")
    assert browser.post("/api/cancellation/confirm", json={"token": token}).status_code == 200
    return checkout_id


def test_payment_for_a_cancelled_account_is_owed_back_not_credited(client, browser, new_browser, inbox, clock,
                                                                   ctx, settings):
    signed_up(new_browser(), inbox, "bystander@example.org")
    checkout_id = cancel_with_lapsed_checkout(browser, inbox, clock, "late-pay@example.org")
    before = ledger_state(settings.db_path)

    event = completed(checkout_id, "evt_late_1")
    assert post_event(client, ctx, event).json() == {"status": "refund_due"}
    assert post_event(client, ctx, event).json() == {"status": "duplicate"}
    # Another event id for the same payment owes nothing twice.
    assert post_event(client, ctx, completed(checkout_id, "evt_late_2")).json() == {"status": "ignored"}

    assert ledger_state(settings.db_path) == before
    with sqlite3.connect(settings.db_path) as db:
        rows = db.execute("SELECT kind, amount_cents, currency, event_id FROM refunds WHERE checkout_id = ?",
                          (checkout_id,)).fetchall()
        assert rows == [("due", 500, "EUR", "evt_late_1")]
        assert db.execute("SELECT status FROM checkouts WHERE id = ?", (checkout_id,)).fetchone() == ("paid",)

    listed = cli(settings.db_path, "refunds-due")
    assert listed.returncode == 0 and checkout_id in listed.stdout and "5.00 EUR" in listed.stdout, listed.stderr
    done = cli(settings.db_path, "mark-refunded", checkout_id, "--note", "refund re_123 at the provider")
    assert done.returncode == 0, done.stderr
    assert "no refunds due" in cli(settings.db_path, "refunds-due").stdout
    again = cli(settings.db_path, "mark-refunded", checkout_id, "--note", "twice")
    assert again.returncode == 1 and "already_refunded" in again.stderr
    assert cli(settings.db_path, "check-ledger").returncode == 0


def test_refund_records_are_append_only(client, browser, inbox, clock, ctx, settings):
    checkout_id = cancel_with_lapsed_checkout(browser, inbox, clock, "append@example.org")
    post_event(client, ctx, completed(checkout_id))
    with sqlite3.connect(settings.db_path) as db:
        for sql in ("UPDATE refunds SET amount_cents = 0", "DELETE FROM refunds"):
            try:
                db.execute(sql)
            except sqlite3.IntegrityError as exc:
                assert "append-only" in str(exc)
            else:
                raise AssertionError(f"{sql} was allowed")
