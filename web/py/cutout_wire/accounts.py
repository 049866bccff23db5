"""Sign-up, log-in, sessions and password flows."""

from datetime import date, datetime
from typing import Annotated

import msgspec

from cutout_wire.common import AgreementRef, Token

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$")]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
NewPassword = Annotated[str, msgspec.Meta(min_length=10, max_length=256)]
DisplayName = Annotated[str, msgspec.Meta(max_length=80)]


class RegisterRequest(msgspec.Struct):
    email: Email
    password: NewPassword
    birth_date: date
    accepted: list[AgreementRef]
    display_name: DisplayName = ""


class LoginRequest(msgspec.Struct):
    email: Email
    password: Password


class TokenRequest(msgspec.Struct):
    """A single-use token from an emailed link."""

    token: Token


ActivationRequest = TokenRequest


class PasswordChangeRequest(msgspec.Struct):
    current_password: Password
    new_password: NewPassword


class PasswordResetRequest(msgspec.Struct):
    email: Email


class PasswordResetConfirm(msgspec.Struct):
    token: Token
    new_password: NewPassword


class AccountState(msgspec.Struct):
    """What the signed-in person may see about their own account.

    status is one of: pending_activation, active, restricted, dormant.
    """

    email: str
    display_name: str
    status: str
    role: str
    created_at: datetime
    activated_at: datetime | None = None
    restricted_reason: str | None = None


class SessionInfo(msgspec.Struct):
    session_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str
    current: bool
