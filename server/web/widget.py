"""The widget's configuration, read by /widget/ at start: which host origins
may talk to it. The same list feeds `frame-ancestors` (server/web/headers.py),
so a page that may not frame the widget also gets no answers from it."""

from __future__ import annotations

import msgspec
from litestar import Response, get

from server.auth import Ctx


class WidgetConfig(msgspec.Struct):
    v: int
    origins: list[str]
    max_image_bytes: int


@get("/widget/config.json", include_in_schema=False)
async def widget_config(ctx: Ctx) -> Response[WidgetConfig]:
    origins = [ctx.settings.public_origin, *ctx.settings.widget_origins]
    return Response(WidgetConfig(1, origins, ctx.settings.widget_max_image_bytes), headers={"Cache-Control": "no-store"})
