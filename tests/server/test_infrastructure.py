"""Database migrations and pragmas, the run command's defaults, mail adapters."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from server.db import Database
from server.mail import ConsoleMailer
from server.migrations import MIGRATIONS
from tests.server.conftest import free_port
from tests.server.support import Browser, register

REPO = Path(__file__).resolve().parents[2]


def test_fresh_database_is_migrated_in_wal_mode(client, settings):
    with sqlite3.connect(settings.db_path) as db:
        versions = [v for (v,) in db.execute("SELECT version FROM schema_migrations ORDER BY version")]
        assert versions == [v for v, _, _ in MIGRATIONS]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_migrations_are_applied_once(tmp_path):
    async def open_twice() -> None:
        for _ in range(2):
            db = Database(tmp_path / "twice.sqlite3")
            await db.open()
            await db.close()

    asyncio.run(open_twice())
    with sqlite3.connect(tmp_path / "twice.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone() == (len(MIGRATIONS),)


def test_failed_write_transaction_rolls_back(tmp_path):
    async def scenario() -> int:
        db = Database(tmp_path / "rollback.sqlite3")
        await db.open()
        try:
            async with db.write() as conn:
                await conn.execute("INSERT INTO meta VALUES ('k', 'v')")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        async with db.read() as conn:
            async with conn.execute("SELECT COUNT(*) FROM meta WHERE key = 'k'") as cur:
                (n,) = await cur.fetchone()
        await db.close()
        return n

    assert asyncio.run(scenario()) == 0


def test_importing_the_server_reads_no_settings(tmp_path):
    """No settings at import time: importing in an empty directory creates nothing."""
    code = "import server.app, server.admin.__main__, server.__main__"
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, timeout=60)
    assert list(tmp_path.iterdir()) == []


def test_run_command_defaults_to_sqlite_console_mail_and_test_payments(tmp_path):
    """`python -m server --host --port` as ./dev serve runs it, from a bare directory."""
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                                   env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                health = httpx.get(url + "/api/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, log.read_text()
                time.sleep(0.1)
        assert health.json() == {"status": "ok", "payment_provider": "test"}
        assert "build.py" in httpx.get(url + "/").text  # no build/web in this directory
        b = Browser(httpx.Client(base_url=url))
        assert register(b, "console@example.org").status_code == 201
        time.sleep(0.3)
    finally:
        process.terminate()
        process.wait(timeout=10)
    output = log.read_text()
    assert (tmp_path / "var" / "cutout.sqlite3").is_file()
    assert "TEST payment provider enabled" in output
    assert "MAIL (console adapter, not sent)" in output and "/links/activate?token=" in output


def test_console_mailer_logs_the_message(caplog):
    with caplog.at_level(logging.WARNING, logger="server.mail"):
        asyncio.run(ConsoleMailer("from@x").send("to@example.org", "Hello", "Body with link"))
    assert "to@example.org" in caplog.text and "Body with link" in caplog.text


def test_unreachable_smtp_server_does_not_undo_sign_up(make_client, caplog):
    client = make_client(smtp_port=free_port())  # nothing listens there
    with caplog.at_level(logging.ERROR, logger="server.mail"):
        assert register(Browser(client), "nomail@example.org").status_code == 201
    assert "mail to nomail@example.org failed" in caplog.text
