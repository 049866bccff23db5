"""Server settings: one object, passed to create_app. Nothing is read from the
environment or files at import time; `python -m server` builds Settings from
its command line."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Pack:
    pack_id: str
    credits: int
    price_cents: int
    currency: str = "EUR"


DEFAULT_PACKS = (Pack("pack-10", 10, 500), Pack("pack-50", 50, 2000))


@dataclass(frozen=True)
class RateLimits:
    """Login: attempts per client address and failures per account, each in a
    sliding window. Sign-up and reset mails: per client address."""

    window_s: int = 900
    login_per_address: int = 30
    login_failures_per_account: int = 5
    mails_per_address: int = 20


@dataclass(frozen=True)
class PasswordHashing:
    """argon2id cost; tests lower it so hundreds of sign-ups stay fast."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 2


@dataclass(frozen=True, kw_only=True)
class Settings:
    db_path: Path = Path("var/cutout.sqlite3")
    web_root: Path = Path("build/web")
    public_origin: str = "http://127.0.0.1:8000"
    # Mail: "console" logs messages; "smtp" sends them to smtp_host:smtp_port.
    mail: str = "console"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    mail_from: str = "Cutout Studio <no-reply@cutout.invalid>"
    # Payments: None disables buying; "test" enables the labelled test provider.
    payment_provider: str | None = None
    payment_webhook_secret: bytes | None = None  # None: derived from secret_key
    webhook_tolerance_s: int = 300
    checkout_ttl_s: int = 3600
    packs: tuple[Pack, ...] = DEFAULT_PACKS
    # Credits
    free_credits: int = 3
    free_credit_days: int = 30
    paid_credit_days: int = 365
    # Accounts
    minimum_age: int = 18
    dormant_after_days: int = 365
    cancellation_min_age_days: int = 7
    email_block_days: int = 10
    session_days: int = 30
    token_ttl_s: int = 24 * 3600
    reset_token_ttl_s: int = 3600
    password_hashing: PasswordHashing = field(default_factory=PasswordHashing)
    rate_limits: RateLimits = field(default_factory=RateLimits)
    # Web
    widget_origins: tuple[str, ...] = ()
    # One encoded image per widget message; larger ones get "image_too_large".
    widget_max_image_bytes: int = 64 * 1024 * 1024
    seed_agreements: bool = True
    # None: a random key is created once and kept in the database.
    secret_key: bytes | None = None
    clock: Callable[[], datetime] = utc_now

    @property
    def cookie_secure(self) -> bool:
        return self.public_origin.startswith("https://")

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)
