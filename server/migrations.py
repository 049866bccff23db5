"""Versioned schema migrations: append new (version, name, sql) entries, never
edit an applied one. Times are integer Unix seconds (UTC).

Append-only tables (ledger, spends, acceptances, admin_actions, refunds)
refuse UPDATE and DELETE through triggers, so the rule holds even for operator SQL."""


def _append_only(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;
"""


INITIAL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);

-- One row per account. After cancellation the personal columns are NULL and
-- the row remains only as the pseudonymous owner of ledger and acceptances.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    pseudonym TEXT NOT NULL UNIQUE,
    email TEXT UNIQUE,
    display_name TEXT,
    birth_date TEXT,
    role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at INTEGER NOT NULL,
    activated_at INTEGER,
    last_active_at INTEGER NOT NULL,
    dormant_since INTEGER,
    restricted_reason TEXT,
    banned_reason TEXT,
    dispute_reason TEXT,
    cancelled_at INTEGER
);

-- Ways to sign in. provider 'password' has subject = normalised email;
-- an OIDC provider ('google', ...) would store its 'sub' claim.
CREATE TABLE identities (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    password_hash TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (provider, subject)
);
CREATE INDEX identities_user ON identities(user_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    purpose TEXT NOT NULL CHECK (purpose IN ('activate', 'reset', 'reverify', 'cancel')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX email_tokens_user ON email_tokens(user_id);

-- Keyed hash of a cancelled account's email: blocks re-registration for a while.
CREATE TABLE email_blocks (email_hash TEXT PRIMARY KEY, until INTEGER NOT NULL);

CREATE TABLE admin_actions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    at INTEGER NOT NULL
);

CREATE TABLE agreement_versions (
    id INTEGER PRIMARY KEY,
    document TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    effective_at INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    UNIQUE (document, version)
);

CREATE TABLE acceptances (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    document TEXT NOT NULL,
    version INTEGER NOT NULL,
    accepted_at INTEGER NOT NULL,
    FOREIGN KEY (document, version) REFERENCES agreement_versions(document, version)
);
CREATE INDEX acceptances_user ON acceptances(user_id);

CREATE TABLE checkouts (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    provider TEXT NOT NULL,
    pack_id TEXT NOT NULL,
    credits INTEGER NOT NULL,
    price_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'cancelled')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX checkouts_user ON checkouts(user_id);

CREATE TABLE webhook_events (
    event_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    checkout_id TEXT,
    received_at INTEGER NOT NULL
);

CREATE TABLE credit_lots (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    source TEXT NOT NULL CHECK (source IN ('free', 'purchase')),
    amount INTEGER NOT NULL CHECK (amount > 0),
    granted_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    checkout_id TEXT UNIQUE REFERENCES checkouts(id)
);
CREATE INDEX credit_lots_user ON credit_lots(user_id, expires_at);

CREATE TABLE spends (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    cost INTEGER NOT NULL,
    grant_json TEXT NOT NULL,
    at INTEGER NOT NULL,
    UNIQUE (user_id, idempotency_key)
);

-- The balance is SUM(delta); a lot's remainder is SUM(delta) over its entries.
CREATE TABLE ledger (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    lot_id INTEGER NOT NULL REFERENCES credit_lots(id),
    kind TEXT NOT NULL CHECK (kind IN ('grant', 'spend', 'expire', 'forfeit')),
    delta INTEGER NOT NULL CHECK (delta <> 0),
    spend_id INTEGER REFERENCES spends(id),
    at INTEGER NOT NULL
);
CREATE INDEX ledger_user ON ledger(user_id);
CREATE INDEX ledger_lot ON ledger(lot_id);

CREATE TABLE cancellation_requests (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    requested_at INTEGER NOT NULL,
    forfeit_acknowledged INTEGER NOT NULL,
    forfeit_amount INTEGER NOT NULL,
    confirmed_at INTEGER
);
""" + "".join(_append_only(t) for t in ("ledger", "spends", "acceptances", "admin_actions"))


# A payment that arrives for a cancelled account adds no credits (nobody can
# use them); it is owed back. 'due' is written by the webhook, 'refunded' by
# an operator once the money went back. Append-only like the ledger: a row per
# step, at most one of each per checkout, so a replay cannot add a second.
REFUNDS = """
CREATE TABLE refunds (
    id INTEGER PRIMARY KEY,
    checkout_id TEXT NOT NULL REFERENCES checkouts(id),
    kind TEXT NOT NULL CHECK (kind IN ('due', 'refunded')),
    user_id INTEGER NOT NULL REFERENCES users(id),
    provider TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    event_id TEXT,
    note TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    at INTEGER NOT NULL,
    UNIQUE (checkout_id, kind)
);
""" + _append_only("refunds")


MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "initial", INITIAL),
    (2, "refunds", REFUNDS),
]
