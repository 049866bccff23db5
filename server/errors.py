"""Domain errors carry a stable code; this module is the one place that maps
codes to HTTP statuses and turns every failure into an ErrorBody."""

from __future__ import annotations

import logging
from typing import Any

from cutout_wire import AgreementRef, ErrorBody
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

log = logging.getLogger("server.errors")

STATUS_BY_CODE: dict[str, int] = {
    "invalid_request": 400,
    "token_invalid": 400,
    "signature_invalid": 400,
    "unknown_pack": 400,
    "not_authenticated": 401,
    "invalid_credentials": 401,
    "insufficient_credits": 402,
    "csrf_failed": 403,
    "forbidden": 403,
    "account_banned": 403,
    "account_restricted": 403,
    "account_not_activated": 403,
    "reverification_required": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "email_taken": 409,
    "email_blocked": 409,
    "agreement_outdated": 409,
    "idempotency_conflict": 409,
    "cancellation_blocked": 409,
    "checkout_not_pending": 409,
    "already_activated": 409,
    "already_refunded": 409,
    "underage": 422,
    "weak_password": 422,
    "rate_limited": 429,
    "internal_error": 500,
    "payments_unavailable": 503,
}


class DomainError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        *,
        blockers: list[str] | None = None,
        required: list[AgreementRef] | None = None,
        retry_after: int | None = None,
    ) -> None:
        assert code in STATUS_BY_CODE, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.blockers = blockers or []
        self.required = required or []
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        return STATUS_BY_CODE[self.code]

    def body(self) -> ErrorBody:
        return ErrorBody(
            code=self.code,
            message=self.message,
            blockers=self.blockers,
            required=self.required,
            retry_after=self.retry_after,
        )


def _response(error: DomainError) -> Response[ErrorBody]:
    headers = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return Response(error.body(), status_code=error.status, headers=headers)


def handle_domain_error(_: Request, exc: DomainError) -> Response[ErrorBody]:
    return _response(exc)


_CODE_BY_STATUS = {
    400: "invalid_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    429: "rate_limited",
}


def handle_http_exception(_: Request, exc: HTTPException) -> Response[ErrorBody]:
    """Litestar's own errors (validation, routing) in our error shape."""
    code = _CODE_BY_STATUS.get(exc.status_code, "invalid_request")
    if exc.status_code >= 500:
        log.error("HTTP %s: %s", exc.status_code, exc.detail)
        code = "internal_error"
    message = exc.detail or "The request could not be handled."
    if isinstance(exc, ValidationException) and exc.extra:
        message = f"{message}: {_describe(exc.extra)}"
    if isinstance(exc, NotAuthorizedException):
        message = "Sign in first."
    response = _response(DomainError(code, message))
    response.status_code = exc.status_code
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def handle_bad_text(_: Request, exc: UnicodeError) -> Response[ErrorBody]:
    """JSON may carry lone surrogates (\\udc80) that no store or hash accepts."""
    return _response(DomainError("invalid_request", "The request contains text that is not valid Unicode."))


def handle_unexpected(_: Request, exc: Exception) -> Response[ErrorBody]:
    log.exception("unhandled error", exc_info=exc)
    return _response(DomainError("internal_error", "Something went wrong on our side."))


def _describe(extra: Any) -> str:
    if isinstance(extra, list):
        return "; ".join(str(item.get("message", item)) if isinstance(item, dict) else str(item) for item in extra)
    return str(extra)


EXCEPTION_HANDLERS = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    UnicodeError: handle_bad_text,
    Exception: handle_unexpected,
}


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the error statuses a handler can return."""
    codes = {status: [c for c, s in STATUS_BY_CODE.items() if s == status] for status in statuses}
    return {
        status: ResponseSpec(
            data_container=ErrorBody,
            generate_examples=False,
            description="Error; code is one of: " + ", ".join(codes[status] or ["(none)"]),
        )
        for status in statuses
    }


# Every API operation may fail validation (400), CSRF (403) or rate limits (429).
COMMON_ERRORS = (400, 403, 429)


def api_errors(*statuses: int) -> dict[int, ResponseSpec]:
    return error_responses(*sorted(set(COMMON_ERRORS + statuses)))
