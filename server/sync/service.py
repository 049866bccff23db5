"""Build the client's state. Anonymous clients get the public part (current
agreements, free preview entitlement), so the app works without an account."""

from __future__ import annotations

import hashlib

import msgspec
from cutout_wire import SyncState

from server.accounts.service import account_state
from server.agreements import service as agreements
from server.auth import Principal
from server.context import Context, to_datetime
from server.credits import ledger
from server.credits.service import write_off_if_due


async def build_state(ctx: Context, user: Principal | None) -> SyncState:
    now = ctx.now()
    async with ctx.db.read() as conn:
        current = await agreements.current_refs(conn, now)
        if user is None:
            return SyncState(
                signed_in=False, current_agreements=current, agreements_to_accept=[],
                entitlements=["preview_export"], server_time=to_datetime(now),
            )
        pending = await agreements.pending_for(conn, user.user_id, now)
        lots = await ledger.open_lots(conn, user.user_id)
    if any(lot["expires_at"] <= now for lot in lots):
        # Rare: a lot expired with credits left; append its write-off first.
        await write_off_if_due(ctx, user.user_id)
    balance = ledger.balance_of(lots, now)
    entitlements = ["preview_export"]
    can_transact = user.status == "active" and not pending
    if can_transact and balance.total > 0:
        entitlements.append("hd_export")
    if can_transact and ctx.settings.payment_provider:
        entitlements.append("buy_credits")
    return SyncState(
        signed_in=True, current_agreements=current, agreements_to_accept=pending, entitlements=entitlements,
        server_time=to_datetime(now), account=account_state(user), balance=balance,
    )


def etag_of(state: SyncState) -> str:
    """The server time changes every second; the ETag covers everything else,
    so an unchanged state revalidates with 304."""
    stable = msgspec.structs.replace(state, server_time=to_datetime(0))
    return 'W/"' + hashlib.sha256(msgspec.json.encode(stable)).hexdigest()[:32] + '"'
