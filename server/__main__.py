"""python -m server --host 127.0.0.1 --port 8000 [--db var/cutout.sqlite3] [--web-root build/web] [--dev]

Defaults suit local development: the embedded SQLite file under var/, the
console mail adapter and the clearly labelled test payment provider."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import uvicorn

from server.app import create_app
from server.settings import Settings


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m server", description="Cutout Studio server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--db", type=Path, default=Path("var/cutout.sqlite3"))
    p.add_argument("--web-root", type=Path, default=Path("build/web"))
    p.add_argument("--public-origin", help="origin people use, e.g. https://cutout.example (default http://HOST:PORT)")
    p.add_argument("--mail", choices=["console", "smtp"], default="console")
    p.add_argument("--smtp-host", default="127.0.0.1")
    p.add_argument("--smtp-port", type=int, default=25)
    p.add_argument("--payments", choices=["test", "none"], default="test",
                   help="'test' enables the labelled test provider (no real money)")
    p.add_argument("--widget-origin", action="append", default=[], help="origin allowed to frame /widget")
    p.add_argument("--dev", action="store_true", help="log debug output")
    return p


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        db_path=args.db,
        web_root=args.web_root,
        public_origin=args.public_origin or f"http://{args.host}:{args.port}",
        mail=args.mail,
        smtp_host=args.smtp_host,
        smtp_port=args.smtp_port,
        payment_provider=None if args.payments == "none" else args.payments,
        widget_origins=tuple(args.widget_origin),
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.dev else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from(args)
    if settings.payment_provider == "test":
        logging.getLogger("server").warning("TEST payment provider enabled: checkouts are simulated, no money moves")
    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_level="debug" if args.dev else "info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
