"""Fixtures: a real SMTP server on loopback (aiosmtpd), a fake clock, an app
on a real SQLite file in tmp_path, and browsers talking to it."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings
from tests.server.support import FAST_HASHING, Browser, FakeClock, Inbox


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def inbox(smtp_server) -> Inbox:
    _, inbox = smtp_server
    inbox.messages.clear()
    return inbox


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path, smtp_server, clock) -> Settings:
    controller, _ = smtp_server
    return Settings(
        db_path=tmp_path / "cutout.sqlite3",
        web_root=tmp_path / "web",
        public_origin="http://testserver.local",
        mail="smtp",
        smtp_host="127.0.0.1",
        smtp_port=controller.port,
        payment_provider="test",
        password_hashing=FAST_HASHING,
        clock=clock,
    )


@pytest.fixture
def make_client(settings):
    """Start an app with the given setting changes; stopped at test end."""
    clients = []

    def start(**changes) -> TestClient:
        scheme = "https" if changes.get("public_origin", "").startswith("https") else "http"
        client = TestClient(create_app(settings.replace(**changes)), base_url=f"{scheme}://testserver.local")
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()


@pytest.fixture
def browser(client) -> Browser:
    return Browser(client)


@pytest.fixture
def new_browser(client):
    return lambda: Browser(client)


@pytest.fixture
def ctx(client):
    return client.app.state.ctx


@pytest.fixture
def admin_browser(client, inbox, settings):
    """A signed-in administrator (made one through the operator CLI)."""
    from server.admin.__main__ import main as admin_cli
    from tests.server.support import signed_up

    b = signed_up(Browser(client), inbox, "admin@example.org")
    assert admin_cli(["--db", str(settings.db_path), "make-admin", "admin@example.org"]) == 0
    return b


@pytest.fixture
def live_server(tmp_path, smtp_server):
    """Factory: start a real server process on loopback; all stopped at test end."""
    from tests.server.live import start_server

    controller, _ = smtp_server
    started = []

    def start(db: Path | None = None, **kwargs):
        server = start_server(db or tmp_path / "live.sqlite3", free_port(), controller.port, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
