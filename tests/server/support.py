"""Helpers for server tests: a fake clock, an SMTP inbox, a browser-like
client with its own cookies, and the common sign-up flows."""

from __future__ import annotations

import email
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import Message

import httpx

from server.settings import PasswordHashing

FAST_HASHING = PasswordHashing(time_cost=1, memory_kib=8192, parallelism=1)
PASSWORD = "correct horse battery"
CURRENT = [{"document": "terms", "version": 1}, {"document": "privacy", "version": 1}]
FINGERPRINT = "ab" * 32


class FakeClock:
    def __init__(self, start: datetime = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Mail:
    to: str
    subject: str
    body: str


class Inbox:
    """aiosmtpd handler: keeps every message received over real SMTP."""

    def __init__(self) -> None:
        self.messages: list[Mail] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        message: Message = email.message_from_bytes(envelope.content)
        body = message.get_payload(decode=True).decode()
        with self._lock:
            for to in envelope.rcpt_tos:
                self.messages.append(Mail(to, message["Subject"], body))
        return "250 OK"

    def to(self, address: str) -> list[Mail]:
        with self._lock:
            return [m for m in self.messages if m.to == address]

    def wait_for(self, address: str, subject_part: str, timeout: float = 10.0) -> Mail:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.to(address) if subject_part.lower() in m.subject.lower()]
            if found:
                return found[-1]
            time.sleep(0.02)
        raise AssertionError(f"no mail to {address} about {subject_part!r}; got {[m.subject for m in self.to(address)]}")

    def token(self, address: str, subject_part: str, link_path: str) -> str:
        body = self.wait_for(address, subject_part).body
        match = re.search(re.escape(link_path) + r"\?token=([A-Za-z0-9_\-]+)", body)
        assert match, f"no {link_path} link in mail: {body}"
        return match.group(1)


SAFE = {"GET", "HEAD", "OPTIONS"}


class Browser:
    """One person's browser: its own cookie jar, CSRF header sent like the app does."""

    def __init__(self, client: httpx.Client, csrf: bool = True) -> None:
        self.client, self.csrf = client, csrf
        self.cookies = httpx.Cookies()

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        self.client.cookies = self.cookies
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.csrf and method.upper() not in SAFE and "x-csrf-token" not in {k.lower() for k in headers}:
            headers["X-CSRF-Token"] = self.csrf_token()
            self.client.cookies = self.cookies
        response = self.client.request(method, path, headers=headers, **kwargs)
        self.cookies = httpx.Cookies(self.client.cookies)
        return response

    def csrf_token(self) -> str:
        token = self.cookie("cutout_csrf") or self.cookie("__Host-cutout_csrf")
        if token is None:
            self.client.cookies = self.cookies
            token = self.client.get("/api/csrf").json()["token"]
            self.cookies = httpx.Cookies(self.client.cookies)
        return token

    def cookie(self, name: str) -> str | None:
        for cookie in self.cookies.jar:
            if cookie.name == name:
                return cookie.value
        return None

    def get(self, path: str, **kw) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw) -> httpx.Response:
        return self.request("POST", path, **kw)

    def delete(self, path: str, **kw) -> httpx.Response:
        return self.request("DELETE", path, **kw)


def register(b: Browser, email_address: str, birth_date: str = "1990-01-01", accepted=None, password=PASSWORD):
    return b.post("/api/accounts", json={
        "email": email_address, "password": password, "birth_date": birth_date,
        "accepted": CURRENT if accepted is None else accepted, "display_name": "Test Person",
    })


def login(b: Browser, email_address: str, password: str = PASSWORD) -> httpx.Response:
    return b.post("/api/sessions", json={"email": email_address, "password": password})


def activate(b: Browser, inbox: Inbox, email_address: str) -> httpx.Response:
    token = inbox.token(email_address, "activate", "/links/activate")
    return b.post("/api/accounts/activate", json={"token": token})


def signed_up(b: Browser, inbox: Inbox, email_address: str, *, activated: bool = True) -> Browser:
    assert register(b, email_address).status_code == 201
    if activated:
        assert activate(b, inbox, email_address).status_code == 200
    assert login(b, email_address).status_code == 200
    return b


def spend(b: Browser, key: str, fingerprint: str = FINGERPRINT) -> httpx.Response:
    return b.post("/api/credits/spend", json={"idempotency_key": key, "fingerprint": fingerprint})


def balance(b: Browser) -> int:
    response = b.get("/api/credits")
    assert response.status_code == 200, response.text
    return response.json()["balance"]["total"]


def buy(b: Browser, pack_id: str = "pack-10") -> str:
    created = b.post("/api/payments/checkouts", json={"pack_id": pack_id})
    assert created.status_code == 201, created.text
    checkout = created.json()
    paid = b.post(checkout["redirect_url"], data={"outcome": "pay"}, follow_redirects=False)
    assert paid.status_code == 303, paid.text
    return checkout["checkout_id"]
