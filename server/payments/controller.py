"""Starting a checkout, and the provider's webhook (CSRF-exempt: it comes from
the provider, not a browser, and is authenticated by its HMAC signature)."""

from __future__ import annotations

from cutout_wire import Accepted, CheckoutCreated, CheckoutRequest
from litestar import Controller, Request, post
from litestar.params import JSONBody, RawBody

from server.auth import Ctx, User
from server.errors import api_errors
from server.payments import service
from server.payments.provider import SIGNATURE_HEADER


class PaymentsController(Controller):
    path = "/api/payments"
    tags = ["payments"]

    @post("/checkouts", status_code=201, responses=api_errors(401, 409, 503))
    async def checkout(self, ctx: Ctx, user: User, data: JSONBody[CheckoutRequest]) -> CheckoutCreated:
        return await service.create_checkout(ctx, user, data.pack_id)

    @post("/webhook", status_code=200, opt={"csrf_exempt": True}, responses=api_errors(404, 503))
    async def webhook(self, ctx: Ctx, request: Request, body: RawBody) -> Accepted:
        signature = request.headers.get(SIGNATURE_HEADER)
        return Accepted(await service.handle_webhook(ctx, signature, body))
