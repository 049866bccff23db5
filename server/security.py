"""Secrets, password hashing, random tokens and HMAC signatures."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from server.settings import PasswordHashing


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Tokens are stored hashed, so a copy of the database cannot be used to
    sign in or to follow an emailed link."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def same_text(a: str, b: str) -> bool:
    """Constant-time comparison that also accepts non-ASCII input (from a
    client), which hmac.compare_digest refuses for str."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def verify_signature(key: bytes, message: bytes, signature: str) -> bool:
    return same_text(sign(key, message), signature)


def derive_key(secret: bytes, purpose: str) -> bytes:
    """One key per purpose, so a signature made for one use (a grant) can
    never be replayed as another (a CSRF token)."""
    return hmac.new(secret, b"cutout-key:" + purpose.encode(), hashlib.sha256).digest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


class Passwords:
    """argon2id, run in a worker thread so hashing never stalls the event loop."""

    def __init__(self, cost: PasswordHashing) -> None:
        self._hasher = PasswordHasher(
            time_cost=cost.time_cost,
            memory_cost=cost.memory_kib,
            parallelism=cost.parallelism,
            type=Type.ID,
        )
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        if stored_hash is None and self._dummy is None:
            # Compared against when an account does not exist, so a failed
            # login takes as long for an unknown email as for a wrong password.
            self._dummy = await self.hash(new_token())
        return await asyncio.to_thread(self._verify, stored_hash or self._dummy, password, stored_hash is not None)

    def _verify(self, stored_hash: str, password: str, real: bool) -> bool:
        try:
            ok = self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return ok and real


class CsrfTokens:
    """Signed double-submit tokens: the cookie and the X-CSRF-Token header must
    carry the same value and the value must carry our signature, so a
    cookie planted by a sibling site cannot be used."""

    def __init__(self, secret: bytes) -> None:
        self._key = derive_key(secret, "csrf")

    def issue(self) -> str:
        nonce = new_token(18)
        return f"{nonce}.{sign(self._key, nonce.encode())[:32]}"

    def valid(self, token: str | None) -> bool:
        if not token or token.count(".") != 1:
            return False
        nonce, mac = token.split(".")
        return same_text(sign(self._key, nonce.encode("utf-8", "surrogatepass"))[:32], mac)
