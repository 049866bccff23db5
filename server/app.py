"""The app factory. All configuration arrives in `settings`; nothing is read
at import time, so tests build as many independent apps as they like."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

import msgspec
from cutout_wire import CsrfToken
from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from server.accounts.controller import AccountsController, SessionsController
from server.accounts.links import LINK_HANDLERS
from server.admin.controller import AdminController
from server.agreements.controller import AgreementsController
from server.agreements.service import seed_defaults
from server.auth import Ctx, provide_admin, provide_ctx, provide_user
from server.cancellation.controller import CancellationController
from server.context import build_context
from server.credits.controller import CreditsController
from server.errors import EXCEPTION_HANDLERS, api_errors
from server.payments.controller import PaymentsController
from server.payments.test_pages import TEST_PROVIDER_HANDLERS
from server.settings import Settings
from server.sync.controller import sync
from server.web.csrf import cookie_name, csrf_guard
from server.web.headers import make_before_send
from server.web.pages import page_style
from server.web.static import serve_static
from server.web.widget import widget_config

log = logging.getLogger("server")

MAX_BODY = 256 * 1024  # the API takes small JSON documents only; never images


class Health(msgspec.Struct):
    status: str
    payment_provider: str | None


@get("/api/health", tags=["meta"], responses=api_errors())
async def health(ctx: Ctx) -> Health:
    return Health("ok", ctx.settings.payment_provider)


@get("/api/csrf", tags=["meta"], responses=api_errors())
async def csrf_token(ctx: Ctx, request: Request) -> Response[CsrfToken]:
    """The CSRF token to echo in X-CSRF-Token (also set as a cookie on any response)."""
    name = cookie_name(ctx.settings)
    token = request.cookies.get(name)
    if not ctx.csrf.valid(token):
        token = ctx.csrf.issue()
    secure = "; Secure" if ctx.settings.cookie_secure else ""
    return Response(CsrfToken(token), headers={"Set-Cookie": f"{name}={token}; Path=/; SameSite=Strict{secure}",
                                               "Cache-Control": "no-store"})


def _route_handlers(settings: Settings) -> list:
    handlers = [
        health, csrf_token, sync, page_style, serve_static, widget_config, *LINK_HANDLERS,
        AccountsController, SessionsController, AgreementsController, CreditsController,
        PaymentsController, CancellationController, AdminController,
    ]
    if settings.payment_provider == "test":
        handlers += TEST_PROVIDER_HANDLERS
    return handlers


def create_app(settings: Settings) -> Litestar:
    ctx = build_context(settings)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await ctx.start()
        if settings.seed_agreements:
            await seed_defaults(ctx)
        log.info("database %s open; web root %s; mail %s; payments %s",
                 settings.db_path, settings.web_root, settings.mail, settings.payment_provider or "off")
        try:
            yield
        finally:
            await ctx.stop()

    return Litestar(
        route_handlers=_route_handlers(settings),
        dependencies={"ctx": Provide(provide_ctx), "user": Provide(provide_user), "admin": Provide(provide_admin)},
        guards=[csrf_guard],
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[make_before_send(settings, lambda t: ctx.csrf.valid(t), lambda: ctx.csrf.issue())],
        lifespan=[lifespan],
        state=State({"ctx": ctx}),
        request_max_body_size=MAX_BODY,
        logging_config=None,  # logging is configured by whoever runs the app (python -m server, tests)
        openapi_config=OpenAPIConfig(
            title="Cutout Studio sync API", version="1.0.0", path="/schema", render_plugins=[JsonRenderPlugin()],
            description="Accounts, agreements, credits and cancellation. The server never receives an image.",
        ),
    )
