"""Wire types shared by the sync server and the browser app.

msgspec runs in CPython and in Pyodide, so this package imports nothing but
msgspec and the standard library. Every request and response body of the
server's JSON API is one of these Structs; the OpenAPI schema is generated
from them.
"""

from cutout_wire.accounts import (
    AccountState,
    ActivationRequest,
    LoginRequest,
    PasswordChangeRequest,
    PasswordResetConfirm,
    PasswordResetRequest,
    RegisterRequest,
    SessionInfo,
    TokenRequest,
)
from cutout_wire.agreements import AgreementRef, AgreementVersion, CurrentAgreements
from cutout_wire.cancellation import CancellationRequest, CancellationStatus
from cutout_wire.common import PREVIEW_MAX_SIDE, Accepted, CsrfToken, ErrorBody
from cutout_wire.credits import (
    Balance,
    CheckoutCreated,
    CheckoutRequest,
    CreditHistory,
    CreditPack,
    GrantVerdict,
    LedgerEntry,
    Lot,
    SpendGrant,
    SpendRequest,
)
from cutout_wire.sync import SyncState

__all__ = [
    "Accepted", "AccountState", "ActivationRequest", "AgreementRef", "AgreementVersion",
    "Balance", "CancellationRequest", "CancellationStatus", "CheckoutCreated",
    "CheckoutRequest", "CreditHistory", "CreditPack", "CsrfToken", "CurrentAgreements",
    "ErrorBody", "GrantVerdict", "LedgerEntry", "LoginRequest", "Lot", "PREVIEW_MAX_SIDE",
    "PasswordChangeRequest", "PasswordResetConfirm", "PasswordResetRequest",
    "RegisterRequest", "SessionInfo", "SpendGrant", "SpendRequest", "SyncState",
    "TokenRequest",
]
