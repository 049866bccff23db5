"""The TEST payment provider's hosted checkout page. Registered only when
settings.payment_provider == "test". It plays the provider: shows the order,
and on "Pay" sends a correctly signed checkout.completed webhook to this
server's webhook endpoint through the full ASGI stack, as a real provider
would over the network. No money moves.

The form post is CSRF-exempt because it carries no ambient authority: it
acts only on the unguessable checkout id in the URL, like a provider's page."""

from __future__ import annotations

import logging
from typing import Annotated

import httpx
import msgspec
from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect

from server.auth import Ctx
from server.errors import DomainError
from server.payments.provider import SIGNATURE_HEADER, EventData, WebhookEvent, signature_header
from server.payments.service import checkout_row, webhook_secret
from server.security import new_token
from server.web.pages import esc, form, html_page

log = logging.getLogger("server.payments.test")

BANNER = '<p class="banner">TEST PAYMENT PROVIDER: no real payment is taken. For development and tests only.</p>'


@get("/test-payments/checkout/{checkout_id:str}", include_in_schema=False)
async def checkout_page(ctx: Ctx, checkout_id: FromPath[str]) -> Response[str]:
    async with ctx.db.read() as conn:
        row = await checkout_row(conn, checkout_id)
    price = f"{row['price_cents'] / 100:.2f} {row['currency']}"
    details = (
        f"<dl><dt>Pack</dt><dd>{esc(row['pack_id'])}</dd><dt>Credits</dt><dd>{esc(row['credits'])}</dd>"
        f"<dt>Price</dt><dd>{esc(price)}</dd><dt>Status</dt><dd>{esc(row['status'])}</dd></dl>"
    )
    action = f"/test-payments/checkout/{checkout_id}"
    back = '<p><a href="/account/">Back to your account</a></p>'
    buttons = "<p>The payment is done; the credits are on your account.</p>" + back if row["status"] == "paid" else ""
    if row["status"] == "pending":
        buttons = form(action, {"outcome": "pay"}, "Pay (test)") + form(action, {"outcome": "cancel"}, "Cancel")
    return html_page("Test checkout", BANNER + details + buttons)


class OutcomeForm(msgspec.Struct):
    outcome: str


@post("/test-payments/checkout/{checkout_id:str}", include_in_schema=False, opt={"csrf_exempt": True})
async def checkout_outcome(
    ctx: Ctx, request: Request, checkout_id: FromPath[str],
    data: Annotated[OutcomeForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response:
    if data.outcome not in ("pay", "cancel"):
        raise DomainError("invalid_request", "Choose pay or cancel.")
    async with ctx.db.read() as conn:
        await checkout_row(conn, checkout_id)
    kind = "checkout.completed" if data.outcome == "pay" else "checkout.cancelled"
    status = await deliver_event(ctx, request.app, kind, checkout_id)
    log.warning("TEST PROVIDER: %s for %s delivered (%s)", kind, checkout_id, status)
    return Redirect(f"/test-payments/checkout/{checkout_id}", status_code=303)


async def deliver_event(ctx: Ctx, app, kind: str, checkout_id: FromPath[str]) -> str:
    """Sign and POST the event to /api/payments/webhook of this app."""
    now = ctx.now()
    event = WebhookEvent(id="evt_" + new_token(12), type=kind, created=now, data=EventData(checkout_id))
    body = msgspec.json.encode(event)
    headers = {SIGNATURE_HEADER: signature_header(webhook_secret(ctx), body, now), "content-type": "application/json"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ctx.settings.public_origin) as client:
        response = await client.post("/api/payments/webhook", content=body, headers=headers)
    if response.status_code != 200:
        raise DomainError("invalid_request", f"The webhook was refused: {response.text}")
    return response.json()["status"]


TEST_PROVIDER_HANDLERS = [checkout_page, checkout_outcome]
