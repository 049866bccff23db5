"""Headers on every response, API and static alike, added as the response
starts (a before_send hook sees error responses too)."""

from __future__ import annotations

from typing import Callable

from litestar.types import Message, Scope

from server.settings import Settings
from server.web.csrf import csrf_cookie_header

CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; "
    "img-src 'self' blob: data:; style-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors {ancestors}"
)

HOST_SCRIPT = "/cutout-widget.js"  # loaded by allowlisted host pages, which may be cross-origin isolated


def security_headers(settings: Settings, path: str) -> list[tuple[bytes, bytes]]:
    """Cross-origin isolation (COOP + COEP) lets onnxruntime-web use threads;
    the CSP's connect-src 'self' is what makes "images never leave the device"
    enforceable by the browser. Only /widget may be framed, and only by the
    allowlisted origins; with an allowlist, the widget files and the host
    script may also be loaded cross-origin (CORP), nothing else."""
    widget = path == "/widget" or path.startswith("/widget/")
    ancestors = " ".join(("'self'", *settings.widget_origins)) if widget else "'none'"
    shared = (widget or path == HOST_SCRIPT) and bool(settings.widget_origins)
    headers = {
        "content-security-policy": CSP.format(ancestors=ancestors),
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-embedder-policy": "require-corp",
        "cross-origin-resource-policy": "cross-origin" if shared else "same-origin",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }
    return [(k.encode(), v.encode()) for k, v in headers.items()]


def make_before_send(settings: Settings, csrf_valid: Callable[[str | None], bool], issue: Callable[[], str]):
    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers") or [])
        present = {name.lower() for name, _ in headers}
        headers += [(k, v) for k, v in security_headers(settings, scope.get("path", "")) if k not in present]
        cookie = csrf_cookie_header(settings, scope, csrf_valid, issue)
        if cookie is not None and not _sets_cookie(headers, cookie.split(b"=", 1)[0]):
            headers.append((b"set-cookie", cookie))
        message["headers"] = headers

    return before_send


def _sets_cookie(headers: list[tuple[bytes, bytes]], name: bytes) -> bool:
    return any(k.lower() == b"set-cookie" and v.startswith(name + b"=") for k, v in headers)
