"""GET /api/sync with ETag revalidation."""

from __future__ import annotations

from cutout_wire import SyncState
from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec

from server.auth import Ctx, load_principal
from server.errors import api_errors
from server.sync.service import build_state, etag_of

_RESPONSES = {**api_errors(), 304: ResponseSpec(data_container=None, description="Not modified (If-None-Match matched)")}


@get("/api/sync", tags=["sync"], responses=_RESPONSES)
async def sync(ctx: Ctx, request: Request) -> Response[SyncState]:
    """Account status, balance with lots and expiries, agreements to accept,
    entitlements and server time. Cache it; revalidate with If-None-Match."""
    state = await build_state(ctx, await load_principal(request))
    etag = etag_of(state)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Cookie"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(None, status_code=304, headers=headers)
    return Response(state, headers=headers)
