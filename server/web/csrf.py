"""CSRF protection for every state-changing request: a signed token in a
cookie (readable by our scripts, SameSite=Strict) that must be echoed in the
X-CSRF-Token header. A cross-site page can make the browser send the cookie
but cannot read it to set the header. Handlers with opt csrf_exempt (the
payment webhook, token-only link forms) authenticate by other means."""

from __future__ import annotations

from typing import Callable

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.types import Scope

from server.errors import DomainError
from server.security import same_text
from server.settings import Settings

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
HEADER = "x-csrf-token"


def cookie_name(settings: Settings) -> str:
    return "__Host-cutout_csrf" if settings.cookie_secure else "cutout_csrf"


def csrf_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    if connection.scope["method"] in SAFE_METHODS or handler.opt.get("csrf_exempt"):
        return
    ctx = connection.app.state.ctx
    cookie = connection.cookies.get(cookie_name(ctx.settings))
    header = connection.headers.get(HEADER)
    if not (cookie and header and same_text(cookie, header) and ctx.csrf.valid(cookie)):
        raise DomainError(
            "csrf_failed",
            "The request lacks a valid CSRF token: send the cutout_csrf cookie's value in the X-CSRF-Token header.",
        )


def _request_cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


def csrf_cookie_header(
    settings: Settings, scope: Scope, valid: Callable[[str | None], bool], issue: Callable[[], str]
) -> bytes | None:
    """Set-Cookie value when the request had no valid token, else None."""
    if scope.get("type") != "http":
        return None
    name = cookie_name(settings)
    if valid(_request_cookie(scope, name)):
        return None
    secure = "; Secure" if settings.cookie_secure else ""
    return f"{name}={issue()}; Path=/; SameSite=Strict{secure}".encode()
