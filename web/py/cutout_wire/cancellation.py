"""Account cancellation: blockers, the request, the emailed confirmation."""

from typing import Annotated

import msgspec

Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class CancellationRequest(msgspec.Struct):
    password: Password
    forfeit_balance: bool = False


class CancellationStatus(msgspec.Struct):
    """blockers: not_activated, account_too_new, checkout_pending,
    dispute_open, balance_not_forfeited. `balance` is what would be forfeited."""

    can_request: bool
    blockers: list[str]
    balance: int
    pending_confirmation: bool
    irreversible: bool = True
