"""Authorisation matrix: every API operation in the OpenAPI schema, called by
an anonymous client, a user, a restricted user, a banned user (holding the
cookie they had before the ban) and an admin, with a valid request body, so
the status shows the authorisation decision rather than a validation error."""

from __future__ import annotations

import sqlite3
from itertools import count

import pytest

from server.settings import RateLimits
from tests.server.support import CURRENT, FINGERPRINT, PASSWORD, Browser, signed_up

ROLES = ("anonymous", "user", "restricted", "banned", "admin")
_unique = count()

GRANT = {"grant_id": "g", "subject": "s", "fingerprint": FINGERPRINT, "kind": "hd_export",
         "issued_at": 1, "signature": "00", "balance": 0}


def _email() -> str:
    return f"matrix{next(_unique)}@example.org"


# (method, path): (body or a function of nothing returning one, statuses per ROLES)
MATRIX = {
    ("GET", "/api/health"): (None, (200, 200, 200, 200, 200)),
    ("GET", "/api/csrf"): (None, (200, 200, 200, 200, 200)),
    ("GET", "/api/sync"): (None, (200, 200, 200, 200, 200)),
    ("GET", "/api/agreements/current"): (None, (200, 200, 200, 200, 200)),
    ("GET", "/api/agreements/{document}/{version}"): (None, (200, 200, 200, 200, 200)),
    ("POST", "/api/agreements/acceptances"): ({"document": "terms", "version": 1}, (401, 201, 201, 401, 201)),
    ("POST", "/api/accounts"): (lambda: {"email": _email(), "password": PASSWORD, "birth_date": "1990-01-01",
                                         "accepted": CURRENT}, (201, 201, 201, 201, 201)),
    ("POST", "/api/accounts/activate"): ({"token": "x" * 43}, (400, 400, 400, 400, 400)),
    ("POST", "/api/accounts/activation-mail"): (None, (401, 409, 409, 401, 409)),
    ("POST", "/api/accounts/reverify"): ({"token": "x" * 43}, (400, 400, 400, 400, 400)),
    ("GET", "/api/account"): (None, (401, 200, 200, 401, 200)),
    ("POST", "/api/account/password"): ({"current_password": PASSWORD, "new_password": PASSWORD},
                                        (401, 200, 200, 401, 200)),
    ("POST", "/api/password-resets"): ({"email": "someone@example.org"}, (202, 202, 202, 202, 202)),
    ("POST", "/api/password-resets/confirm"): ({"token": "x" * 43, "new_password": PASSWORD},
                                               (400, 400, 400, 400, 400)),
    ("POST", "/api/sessions"): ("own-credentials", (401, 200, 200, 403, 200)),
    ("GET", "/api/sessions"): (None, (401, 200, 200, 401, 200)),
    ("DELETE", "/api/sessions/current"): (None, (200, 200, 200, 200, 200)),
    ("DELETE", "/api/sessions/{session_id}"): (None, (401, 404, 404, 401, 404)),
    ("GET", "/api/credits"): (None, (401, 200, 200, 401, 200)),
    ("POST", "/api/credits/spend"): ({"idempotency_key": "matrix-key", "fingerprint": FINGERPRINT},
                                     (401, 200, 403, 401, 200)),
    ("POST", "/api/credits/grants/verify"): (GRANT, (200, 200, 200, 200, 200)),
    ("GET", "/api/credits/packs"): (None, (200, 200, 200, 200, 200)),
    ("POST", "/api/payments/checkouts"): ({"pack_id": "pack-10"}, (401, 201, 403, 401, 201)),
    ("POST", "/api/payments/webhook"): ({}, (400, 400, 400, 400, 400)),
    ("GET", "/api/cancellation"): (None, (401, 200, 200, 401, 200)),
    ("POST", "/api/cancellation"): ({"password": PASSWORD, "forfeit_balance": True}, (401, 409, 409, 401, 409)),
    ("POST", "/api/cancellation/confirm"): ({"token": "x" * 43}, (400, 400, 400, 400, 400)),
    ("GET", "/api/admin/users/{user_id}"): (None, (401, 403, 403, 401, 200)),
    ("POST", "/api/admin/users/{user_id}/actions"): ({"action": "unrestrict"}, (401, 403, 403, 401, 200)),
    ("POST", "/api/admin/agreements"): ({"document": "terms", "title": "T", "content": "New terms"},
                                        (401, 403, 403, 401, 201)),
    ("POST", "/api/admin/sweeps/dormant"): (None, (401, 403, 403, 401, 200)),
}


@pytest.fixture
def roles(make_client, inbox, settings):
    client = make_client(rate_limits=RateLimits(login_per_address=10_000, mails_per_address=10_000))
    emails = {role: _email() for role in ROLES}
    browsers = {"anonymous": Browser(client)}
    for role in ROLES[1:]:
        browsers[role] = signed_up(Browser(client), inbox, emails[role])
    with sqlite3.connect(settings.db_path) as db:
        db.execute("UPDATE users SET role = 'admin' WHERE email = ?", (emails["admin"],))
        ids = dict(db.execute("SELECT email, id FROM users"))
    admin = browsers["admin"]
    for role, action in (("restricted", "restrict"), ("banned", "ban")):
        response = admin.post(f"/api/admin/users/{ids[emails[role]]}/actions", json={"action": action, "reason": "test"})
        assert response.status_code == 200
    return browsers, emails, ids[emails["user"]]


def operations(client) -> set[tuple[str, str]]:
    schema = client.get("/schema/openapi.json").json()
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


def test_the_matrix_covers_every_operation(client):
    assert operations(client) == set(MATRIX)


@pytest.mark.parametrize("method,path", sorted(MATRIX))
def test_authorisation(roles, method, path):
    browsers, emails, target_id = roles
    body, expected = MATRIX[(method, path)]
    url = path.format(document="terms", version=1, session_id="no-such-session", user_id=target_id)
    got = []
    for role in ROLES:
        payload = body() if callable(body) else body
        if payload == "own-credentials":
            payload = {"email": emails.get(role, "nobody@example.org"), "password": PASSWORD}
        kwargs = {"json": payload} if payload is not None else {}
        got.append(browsers[role].request(method, url, **kwargs).status_code)
    assert dict(zip(ROLES, got)) == dict(zip(ROLES, expected))
