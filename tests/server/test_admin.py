"""Restrict, ban, disputes, dormancy, and the operator CLI."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.server.support import login, signed_up, spend

REPO = Path(__file__).resolve().parents[2]


def user_id(settings, email):
    with sqlite3.connect(settings.db_path) as db:
        return db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()[0]


def act(admin, uid, action, reason=""):
    response = admin.post(f"/api/admin/users/{uid}/actions", json={"action": action, "reason": reason})
    assert response.status_code == 200, response.text
    return response.json()


def test_restricted_account_cannot_spend_or_buy_until_lifted(new_browser, inbox, admin_browser, settings):
    person = signed_up(new_browser(), inbox, "restrict@example.org")
    uid = user_id(settings, "restrict@example.org")
    assert act(admin_browser, uid, "restrict", "chargeback abuse")["restricted_reason"] == "chargeback abuse"
    refused = spend(person, "restrict-key-1")
    assert refused.status_code == 403 and refused.json()["code"] == "account_restricted"
    assert "chargeback abuse" in refused.json()["message"]
    assert person.post("/api/payments/checkouts", json={"pack_id": "pack-10"}).status_code == 403
    assert person.get("/api/sync").json()["account"]["status"] == "restricted"
    act(admin_browser, uid, "unrestrict")
    assert spend(person, "restrict-key-1").status_code == 200


def test_restricting_needs_a_reason(new_browser, inbox, admin_browser, settings):
    signed_up(new_browser(), inbox, "noreason@example.org")
    uid = user_id(settings, "noreason@example.org")
    response = admin_browser.post(f"/api/admin/users/{uid}/actions", json={"action": "ban", "reason": " "})
    assert response.status_code == 400


def test_ban_ends_sessions_and_blocks_sign_in(new_browser, inbox, admin_browser, settings):
    person = signed_up(new_browser(), inbox, "ban@example.org")
    uid = user_id(settings, "ban@example.org")
    act(admin_browser, uid, "ban", "fraud")
    assert person.get("/api/account").status_code == 401
    refused = login(person, "ban@example.org")
    assert refused.status_code == 403 and refused.json()["code"] == "account_banned"
    act(admin_browser, uid, "unban")
    assert login(person, "ban@example.org").status_code == 200


def test_admin_actions_are_recorded_with_reason_and_actor(new_browser, inbox, admin_browser, settings):
    signed_up(new_browser(), inbox, "audit@example.org")
    uid = user_id(settings, "audit@example.org")
    act(admin_browser, uid, "dispute", "card dispute #42")
    with sqlite3.connect(settings.db_path) as db:
        rows = db.execute("SELECT action, reason, actor FROM admin_actions WHERE user_id = ?", (uid,)).fetchall()
    admin_id = user_id(settings, "admin@example.org")
    assert rows == [("dispute", "card dispute #42", f"admin:{admin_id}")]


def test_only_admins_reach_admin_endpoints(new_browser, inbox, settings):
    person = signed_up(new_browser(), inbox, "plain@example.org")
    uid = user_id(settings, "plain@example.org")
    assert person.get(f"/api/admin/users/{uid}").status_code == 403
    assert person.post(f"/api/admin/users/{uid}/actions", json={"action": "unrestrict"}).status_code == 403


def test_dormant_accounts_must_reverify_by_email(new_browser, inbox, admin_browser, clock):
    person = signed_up(new_browser(), inbox, "sleepy@example.org")
    clock.advance(days=366)
    # The admin was active "now", the person a year ago.
    login(admin_browser, "admin@example.org")
    assert admin_browser.post("/api/admin/sweeps/dormant").json() == {"count": 1}
    refused = login(person, "sleepy@example.org")
    assert refused.status_code == 403 and refused.json()["code"] == "reverification_required"
    token = inbox.token("sleepy@example.org", "confirm your email", "/links/reverify")
    assert person.post("/api/accounts/reverify", json={"token": token}).status_code == 200
    assert login(person, "sleepy@example.org").status_code == 200


def test_recently_active_accounts_are_not_dormant(new_browser, inbox, admin_browser, clock):
    signed_up(new_browser(), inbox, "awake@example.org")
    clock.advance(days=364)
    login(admin_browser, "admin@example.org")
    assert admin_browser.post("/api/admin/sweeps/dormant").json() == {"count": 0}


def cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.admin", "--db", str(db), *args],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )


def test_operator_cli_restricts_bans_and_checks_the_ledger(browser, inbox, settings):
    signed_up(browser, inbox, "cli@example.org")
    restricted = cli(settings.db_path, "restrict", "CLI@example.org", "--reason", "investigating")
    assert restricted.returncode == 0, restricted.stderr
    assert "investigating" in restricted.stdout
    assert spend(browser, "cli-key-1").json()["code"] == "account_restricted"
    assert cli(settings.db_path, "ban", "cli@example.org", "--reason", "confirmed").returncode == 0
    assert login(browser, "cli@example.org").json()["code"] == "account_banned"
    missing = cli(settings.db_path, "show", "nobody@example.org")
    assert missing.returncode == 1 and "not_found" in missing.stderr
    check = cli(settings.db_path, "check-ledger")
    assert check.returncode == 0 and "ledger consistent" in check.stdout


def test_operator_cli_publishes_an_agreement_version(client, settings, tmp_path):
    text = tmp_path / "terms-v2.md"
    text.write_text("Terms, version 2.")
    published = cli(settings.db_path, "publish-agreement", "terms", "--title", "Terms v2", "--file", str(text),
                    "--effective", "2026-01-01T00:00:00")
    assert published.returncode == 0, published.stderr
    assert "terms version 2" in published.stdout
    current = client.get("/api/agreements/current").json()["documents"]
    assert {d["document"]: d["version"] for d in current} == {"terms": 2, "privacy": 1}


def test_operator_cli_refuses_restrict_without_reason(settings, client):
    result = cli(settings.db_path, "restrict", "someone@example.org")
    assert result.returncode == 2 and "--reason" in result.stderr


def test_operator_cli_sweep_flags_unused_accounts_dormant(browser, inbox, settings):
    """The scheduled command (cron/timer runs `sweep-dormant` daily) uses the
    real clock, so the account's last use is set a year and more back."""
    signed_up(browser, inbox, "cron@example.org")
    with sqlite3.connect(settings.db_path) as db:
        db.execute("UPDATE users SET last_active_at = 0")
    swept = cli(settings.db_path, "sweep-dormant")
    assert swept.returncode == 0 and "sweep_dormant: 1" in swept.stdout, swept.stderr
    assert browser.get("/api/account").status_code == 401
    assert login(browser, "cron@example.org").json()["code"] == "reverification_required"
