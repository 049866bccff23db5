"""Pages behind the emailed links. GET shows a page with a button; only the
POST acts, so mail scanners that prefetch links change nothing. The posts are
CSRF-exempt because their only authority is the single-use token in the form
(no cookie is used), which a cross-site attacker does not have."""

from __future__ import annotations

from typing import Annotated

import msgspec
from cutout_wire import PasswordResetConfirm
from litestar import Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery

from server.accounts import service
from server.auth import Ctx
from server.cancellation import service as cancellation
from server.errors import DomainError
from server.web.pages import esc, form, html_page

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
EXEMPT = {"csrf_exempt": True}


class TokenForm(msgspec.Struct):
    token: str = ""


class ResetForm(msgspec.Struct):
    token: str = ""
    new_password: str = ""


async def _attempt(action, done_title: str, done_text: str) -> Response[str]:
    try:
        await action
    except DomainError as exc:
        return html_page("That did not work", f"<p>{esc(exc.message)}</p>", status=exc.status)
    return html_page(done_title, f"<p>{done_text}</p>")


@get("/links/activate", include_in_schema=False)
async def activate_page(token: FromQuery[str] = "") -> Response[str]:
    return html_page("Activate your account", form("/links/activate", {"token": token}, "Activate"))


@post("/links/activate", include_in_schema=False, opt=EXEMPT)
async def activate_post(ctx: Ctx, data: Annotated[TokenForm, Form]) -> Response[str]:
    credits = ctx.settings.free_credits
    return await _attempt(service.activate(ctx, data.token), "Account activated",
                          f"Your account is active; {credits} free credits were added. You can sign in now.")


@get("/links/reverify", include_in_schema=False)
async def reverify_page(token: FromQuery[str] = "") -> Response[str]:
    return html_page("Confirm your email", form("/links/reverify", {"token": token}, "Confirm"))


@post("/links/reverify", include_in_schema=False, opt=EXEMPT)
async def reverify_post(ctx: Ctx, data: Annotated[TokenForm, Form]) -> Response[str]:
    return await _attempt(service.reverify(ctx, data.token), "Email confirmed", "Thank you. You can sign in again.")


@get("/links/reset-password", include_in_schema=False)
async def reset_page(token: FromQuery[str] = "") -> Response[str]:
    field = ('<label>New password (at least 10 characters)<input type="password" name="new_password" '
             'minlength="10" autocomplete="new-password" required></label>')
    return html_page("Choose a new password", form("/links/reset-password", {"token": token}, "Save", field))


@post("/links/reset-password", include_in_schema=False, opt=EXEMPT)
async def reset_post(ctx: Ctx, data: Annotated[ResetForm, Form]) -> Response[str]:
    if len(data.new_password) < 10:
        return html_page("That did not work", "<p>The password needs at least 10 characters.</p>", status=422)
    request = PasswordResetConfirm(token=data.token, new_password=data.new_password)
    return await _attempt(service.confirm_reset(ctx, request), "Password changed",
                          "Your password was changed and every session was signed out. Sign in again.")


@get("/links/cancel", include_in_schema=False)
async def cancel_page(token: FromQuery[str] = "") -> Response[str]:
    warning = ('<p class="warning">Cancelling cannot be undone. Your personal data will be erased, any '
               'remaining credits are forfeited, and this email cannot register again for 10 days.</p>')
    return html_page("Cancel your account", warning + form("/links/cancel", {"token": token}, "Cancel my account for good"))


@post("/links/cancel", include_in_schema=False, opt=EXEMPT)
async def cancel_post(ctx: Ctx, data: Annotated[TokenForm, Form]) -> Response[str]:
    return await _attempt(cancellation.confirm(ctx, data.token), "Account cancelled",
                          "Your account is cancelled and your personal data erased. We sent a confirmation mail.")


LINK_HANDLERS = [activate_page, activate_post, reverify_page, reverify_post, reset_page, reset_post,
                 cancel_page, cancel_post]
