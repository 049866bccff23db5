"""A real server process for tests that need one (concurrency, kill and
restart, schemathesis): python -m tests.server.live --db PATH --port N ...

Same app factory as `python -m server`, with test settings: cheap password
hashing, SMTP to the test's aiosmtpd, relaxed rate limits for fuzzing."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    from server.app import create_app
    from server.settings import RateLimits, Settings
    from tests.server.support import FAST_HASHING

    p = argparse.ArgumentParser()
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--smtp-port", type=int, required=True)
    p.add_argument("--free-credits", type=int, default=3)
    args = p.parse_args()
    settings = Settings(
        db_path=args.db, web_root=args.db.parent / "web", public_origin=f"http://127.0.0.1:{args.port}",
        mail="smtp", smtp_port=args.smtp_port, payment_provider="test", password_hashing=FAST_HASHING,
        free_credits=args.free_credits,
        rate_limits=RateLimits(login_per_address=100_000, login_failures_per_account=100_000, mails_per_address=100_000),
    )
    uvicorn.run(create_app(settings), host="127.0.0.1", port=args.port, log_level="warning")


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    db: Path
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no chance to finish a transaction."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(db: Path, port: int, smtp_port: int, free_credits: int = 3, startup_s: float = 30.0) -> LiveServer:
    log = db.parent / f"server-{port}.log"
    cmd = [sys.executable, "-m", "tests.server.live", "--db", str(db), "--port", str(port),
           "--smtp-port", str(smtp_port), "--free-credits", str(free_credits)]
    with open(log, "ab") as out:
        process = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env={**os.environ})
    server = LiveServer(f"http://127.0.0.1:{port}", process, db, log)
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(server.url + "/api/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"server did not start within {startup_s} s:\n{log.read_text()}")


if __name__ == "__main__":
    main()
