"""python -m bench server [--seconds 10] [--concurrency 32] [--spends 2000] [--no-record]

Loopback load on a real `python -m server` process (production settings:
argon2id at full cost, SQLite with synchronous=FULL, SMTP to a local aiosmtpd):
sync endpoint throughput and latency percentiles (full 200 answers and ETag
304 revalidations), then credit spends per second. The load generator is
httpx's async client in this process; it shares the 2 cores with the server,
so figures are a floor, not a ceiling."""

from __future__ import annotations

import argparse
import asyncio
import email
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password"


class Inbox:
    def __init__(self) -> None:
        self.bodies: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.bodies.append(email.message_from_bytes(envelope.content).get_payload(decode=True).decode())
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workdir: Path, smtp_port: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port), "--db",
           str(workdir / "bench.sqlite3"), "--web-root", str(workdir / "web"), "--mail", "smtp",
           "--smtp-port", str(smtp_port), "--payments", "test"]
    process = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def prepare_account(url: str, inbox: Inbox, packs: int) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    client.get("/api/csrf")
    client.headers["X-CSRF-Token"] = client.cookies["cutout_csrf"]
    accepted = [{"document": d["document"], "version": d["version"]}
                for d in client.get("/api/agreements/current").json()["documents"]]
    body = {"email": "bench@example.org", "password": PASSWORD, "birth_date": "1990-01-01", "accepted": accepted}
    assert client.post("/api/accounts", json=body).status_code == 201
    for _ in range(100):
        if inbox.bodies:
            break
        time.sleep(0.05)
    token = re.search(r"token=([A-Za-z0-9_\-]+)", inbox.bodies[-1]).group(1)
    assert client.post("/api/accounts/activate", json={"token": token}).status_code == 200
    assert client.post("/api/sessions", json={"email": "bench@example.org", "password": PASSWORD}).status_code == 200
    for _ in range(packs):
        checkout = client.post("/api/payments/checkouts", json={"pack_id": "pack-50"}).json()
        client.post(checkout["redirect_url"], data={"outcome": "pay"})
    return client


def percentiles(latencies: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(latencies, n=100)
    return q[49] * 1000, q[98] * 1000


async def sync_load(url: str, cookies, headers, seconds: float, concurrency: int, etag: str | None) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    extra = {"If-None-Match": etag} if etag else {}
    deadline = time.perf_counter() + seconds

    async with httpx.AsyncClient(base_url=url, cookies=cookies, headers={**headers, **extra},
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        async def worker() -> None:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                response = await client.get("/api/sync")
                latencies.append(time.perf_counter() - start)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    p50, p99 = percentiles(latencies)
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "p50": p50, "p99": p99, "statuses": statuses}


async def spend_load(url: str, cookies, headers, count: int, concurrency: int) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, cookies=cookies, headers=headers, timeout=60,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        async def one(i: int) -> None:
            async with gate:
                start = time.perf_counter()
                response = await client.post("/api/credits/spend",
                                             json={"idempotency_key": f"bench-{i:06d}", "fingerprint": "ab" * 32})
                latencies.append(time.perf_counter() - start)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        elapsed = time.perf_counter() - began
    p50, p99 = percentiles(latencies)
    return {"requests": count, "rps": statuses.get(200, 0) / elapsed, "p50": p50, "p99": p99, "statuses": statuses}


def table(rows: list[tuple[str, dict]], concurrency: int, spend_concurrency: int) -> str:
    lines = ["| load | concurrency | requests | per second | p50 ms | p99 ms | statuses |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for name, r in rows:
        conc = spend_concurrency if name.startswith("spend") else 1 if "one client" in name else concurrency
        lines.append(f"| {name} | {conc} | {r['requests']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
                     f"{', '.join(f'{k}: {v}' for k, v in sorted(r['statuses'].items()))} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench server", description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--spends", type=int, default=2000)
    p.add_argument("--spend-concurrency", type=int, default=16)
    p.add_argument("--no-record", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = p.parse_args(argv)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_server(Path(tmp), smtp.port)
        try:
            client = prepare_account(url, inbox, packs=-(-args.spends // 50))
            cookies, headers = dict(client.cookies), {"X-CSRF-Token": client.headers["X-CSRF-Token"]}
            etag = client.get("/api/sync").headers["etag"]
            rows = [
                ("sync, one client (sequential)", asyncio.run(sync_load(url, cookies, headers, args.seconds / 2, 1, None))),
                ("sync, full answer", asyncio.run(sync_load(url, cookies, headers, args.seconds, args.concurrency, None))),
                ("sync, ETag revalidation (304)",
                 asyncio.run(sync_load(url, cookies, headers, args.seconds, args.concurrency, etag))),
                ("spend 1 credit (HD export)",
                 asyncio.run(spend_load(url, cookies, headers, args.spends, args.spend_concurrency))),
            ]
        finally:
            process.terminate()
            process.wait(timeout=10)
            smtp.stop()
    body = table(rows, args.concurrency, args.spend_concurrency) + (
        "\n\nOne uvicorn worker, SQLite WAL with synchronous=FULL; load generator (httpx async) on the same"
        " 2 cores. A spend is one write transaction (expiry write-off, balance check, spend row, ledger rows).\n")
    print(body)
    if not args.no_record:
        from bench.report import write_section

        write_section("server", "Sync server (loopback)", "python -m bench server", body)


if __name__ == "__main__":
    main()
