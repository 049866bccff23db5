"""The one cheap endpoint the app polls and caches for offline use."""

from datetime import datetime

import msgspec

from cutout_wire.accounts import AccountState
from cutout_wire.common import PREVIEW_MAX_SIDE, AgreementRef
from cutout_wire.credits import Balance


class SyncState(msgspec.Struct):
    """entitlements: preview_export (always), hd_export (may spend now)."""

    signed_in: bool
    current_agreements: list[AgreementRef]
    agreements_to_accept: list[AgreementRef]
    entitlements: list[str]
    server_time: datetime
    account: AccountState | None = None
    balance: Balance | None = None
    preview_max_side: int = PREVIEW_MAX_SIDE
