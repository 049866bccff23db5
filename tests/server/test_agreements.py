"""Agreement versions, public texts, gating on a new version, append-only acceptances."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import timedelta

import pytest

from tests.server.support import buy, signed_up, spend


def test_current_versions_are_public_with_text_and_sha256(client):
    docs = client.get("/api/agreements/current").json()["documents"]
    assert {d["document"] for d in docs} == {"terms", "privacy"}
    for doc in docs:
        assert doc["sha256"] == hashlib.sha256(doc["content"].encode()).hexdigest()


def test_past_versions_stay_available(client, admin_browser):
    publish(admin_browser, "terms", "Terms v2 text")
    assert client.get("/api/agreements/terms/1").json()["version"] == 1
    assert client.get("/api/agreements/terms/2").json()["content"] == "Terms v2 text"
    assert client.get("/api/agreements/terms/9").status_code == 404


def publish(b, document, content, effective_at=None):
    body = {"document": document, "title": f"{document} new", "content": content}
    if effective_at:
        body["effective_at"] = effective_at
    response = b.post("/api/admin/agreements", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_new_version_gates_spending_and_buying_until_accepted(new_browser, inbox, admin_browser):
    person = signed_up(new_browser(), inbox, "gate@example.org")
    publish(admin_browser, "terms", "Terms v2: new rules")
    refused = spend(person, "gate-key-1")
    assert refused.status_code == 409
    assert refused.json()["code"] == "agreement_outdated"
    assert refused.json()["required"] == [{"document": "terms", "version": 2}]
    assert person.post("/api/payments/checkouts", json={"pack_id": "pack-10"}).json()["code"] == "agreement_outdated"
    sync = person.get("/api/sync").json()
    assert sync["agreements_to_accept"] == [{"document": "terms", "version": 2}]
    assert "hd_export" not in sync["entitlements"]
    assert person.post("/api/agreements/acceptances", json={"document": "terms", "version": 2}).status_code == 201
    assert spend(person, "gate-key-1").status_code == 200
    buy(person)


def test_a_version_gates_only_once_it_takes_effect(new_browser, inbox, admin_browser, clock):
    person = signed_up(new_browser(), inbox, "later@example.org")
    future = (clock.now + timedelta(days=10)).isoformat()
    publish(admin_browser, "privacy", "Privacy v2", effective_at=future)
    assert spend(person, "later-key-1").status_code == 200
    early = person.post("/api/agreements/acceptances", json={"document": "privacy", "version": 2})
    assert early.status_code == 409
    clock.advance(days=11)
    assert person.get("/api/sync").json()["agreements_to_accept"] == [{"document": "privacy", "version": 2}]


def test_acceptances_are_recorded_with_time_and_never_edited(new_browser, inbox, settings, admin_browser):
    person = signed_up(new_browser(), inbox, "record@example.org")
    publish(admin_browser, "terms", "Terms v2")
    person.post("/api/agreements/acceptances", json={"document": "terms", "version": 2})
    with sqlite3.connect(settings.db_path) as db:
        rows = db.execute("SELECT document, version, accepted_at FROM acceptances a JOIN users u ON u.id = a.user_id"
                          " WHERE u.email = 'record@example.org' ORDER BY a.id").fetchall()
        assert [(d, v) for d, v, _ in rows] == [("privacy", 1), ("terms", 1), ("terms", 2)]
        assert all(at > 0 for _, _, at in rows)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE acceptances SET version = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM acceptances")


def test_publishing_needs_an_admin(new_browser, inbox):
    person = signed_up(new_browser(), inbox, "notadmin@example.org")
    response = person.post("/api/admin/agreements", json={"document": "terms", "title": "x", "content": "x"})
    assert response.status_code == 403
