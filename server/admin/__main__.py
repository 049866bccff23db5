"""Operator CLI: python -m server.admin [--db PATH] COMMAND ...

Works on the database file directly (the server may be running: SQLite's WAL
and busy timeout let both write)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path

from server.admin import service
from server.agreements import service as agreements
from server.context import Context, build_context
from server.credits.audit import audit
from server.errors import DomainError
from server.payments import refunds
from server.settings import Settings


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m server.admin", description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, default=Path("var/cutout.sqlite3"))
    sub = p.add_subparsers(dest="command", required=True)
    for action in service.FLAGS:
        cmd = sub.add_parser(action.replace("_", "-"), help=f"{action} an account (by email or id)")
        cmd.add_argument("account")
        cmd.add_argument("--reason", default="", required=action in ("restrict", "ban", "dispute"))
    for name in ("make-admin", "show"):
        sub.add_parser(name).add_argument("account")
    pub = sub.add_parser("publish-agreement", help="publish a new version of terms or privacy")
    pub.add_argument("document", choices=agreements.DOCUMENTS)
    pub.add_argument("--title", required=True)
    pub.add_argument("--file", type=Path, required=True)
    pub.add_argument("--effective", help="ISO date-time (UTC if no zone); default now")
    sub.add_parser("sweep-dormant", help="flag accounts unused for 365 days as dormant")
    sub.add_parser("expire-credits", help="write off expired credit lots")
    sub.add_parser("purge-email-blocks", help="drop email blocks past their 10 days")
    sub.add_parser("check-ledger", help="verify ledger consistency")
    sub.add_parser("refunds-due", help="list payments for cancelled accounts awaiting a refund")
    refunded = sub.add_parser("mark-refunded", help="record that a due refund was made at the provider")
    refunded.add_argument("checkout_id")
    refunded.add_argument("--note", required=True, help="e.g. the provider's refund reference")
    return p


async def run(ctx: Context, args: argparse.Namespace) -> str:
    command = args.command.replace("-", "_")
    if command in service.FLAGS or command in ("make_admin", "show"):
        async with ctx.db.read() as conn:
            user_id = await service.find_user_id(conn, args.account)
        if command == "make_admin":
            await service.set_role(ctx, user_id, "admin", "cli")
        elif command != "show":
            await service.set_flag(ctx, user_id, command, args.reason, "cli")
        return str(await service.view(ctx, user_id))
    if command == "publish_agreement":
        effective = ctx.now()
        if args.effective:
            when = datetime.fromisoformat(args.effective)
            effective = int((when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp())
        version = await agreements.publish(ctx, args.document, args.title, args.file.read_text(), effective)
        return f"published {version.document} version {version.version} sha256 {version.sha256} effective {version.effective_at}"
    if command == "refunds_due":
        due = await refunds.awaiting(ctx)
        lines = [f"{r.checkout_id}  {r.amount}  {r.provider}  user {r.user_id}  event {r.event_id}  {r.recorded_at}"
                 for r in due]
        return "\n".join(lines) or "no refunds due"
    if command == "mark_refunded":
        await refunds.mark_refunded(ctx, args.checkout_id, args.note, "cli")
        return f"{args.checkout_id} marked refunded"
    sweeps = {"sweep_dormant": service.sweep_dormant, "expire_credits": service.expire_credits,
              "purge_email_blocks": service.purge_email_blocks}
    if command in sweeps:
        return f"{command}: {await sweeps[command](ctx)}"
    raise AssertionError(command)


async def main_async(args: argparse.Namespace) -> int:
    if args.command == "check-ledger":
        with sqlite3.connect(args.db) as conn:
            problems = audit(conn)
        print("\n".join(problems) or "ledger consistent")
        return 1 if problems else 0
    ctx = build_context(Settings(db_path=args.db))
    await ctx.start()
    try:
        print(await run(ctx, args))
    except DomainError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await ctx.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(main_async(parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
