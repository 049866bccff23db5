"""Types used across areas: the error body every failure carries."""

from typing import Annotated

import msgspec

# A preview export (longest side at most this many pixels) is free and needs no
# account; anything larger is an HD export and costs one credit.
PREVIEW_MAX_SIDE = 1000

Token = Annotated[str, msgspec.Meta(min_length=16, max_length=200, pattern=r"^[A-Za-z0-9_\-\.]+$")]


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """Every error response. `code` is stable and machine-readable; `message`
    is a plain sentence for people; the optional lists say what to do next."""

    code: str
    message: str
    blockers: list[str] = []
    required: list["AgreementRef"] = []
    retry_after: int | None = None


class AgreementRef(msgspec.Struct):
    """One version of one agreement document (`terms`, `privacy`)."""

    document: str
    version: int


class Accepted(msgspec.Struct):
    """Generic acknowledgement for actions whose result is a side effect."""

    status: str


class CsrfToken(msgspec.Struct):
    token: str
    header: str = "X-CSRF-Token"
