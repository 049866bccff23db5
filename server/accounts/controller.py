"""HTTP surface of accounts and sessions. Thin: parse, call the service, answer."""

from __future__ import annotations

from cutout_wire import (
    Accepted,
    AccountState,
    LoginRequest,
    PasswordChangeRequest,
    PasswordResetConfirm,
    PasswordResetRequest,
    RegisterRequest,
    SessionInfo,
    TokenRequest,
)
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody

from server.accounts import login as sessions
from server.accounts import service
from server.auth import Ctx, User, account_principal, client_address, session_token, with_session_cookie
from server.errors import api_errors


class AccountsController(Controller):
    path = "/api"
    tags = ["accounts"]

    @post("/accounts", status_code=201, responses=api_errors(409, 422))
    async def register(self, ctx: Ctx, request: Request, data: JSONBody[RegisterRequest]) -> Accepted:
        """Sign up. Sends an activation mail; the account can sign in at once
        but cannot spend or buy credits until activated."""
        await service.register(ctx, data, client_address(request))
        return Accepted("activation_mail_sent")

    @post("/accounts/activate", status_code=200, responses=api_errors(409))
    async def activate(self, ctx: Ctx, data: JSONBody[TokenRequest]) -> Accepted:
        await service.activate(ctx, data.token)
        return Accepted("activated")

    @post("/accounts/activation-mail", status_code=202, responses=api_errors(401, 409))
    async def resend_activation(self, ctx: Ctx, user: User, request: Request) -> Accepted:
        await service.resend_activation(ctx, user, client_address(request))
        return Accepted("activation_mail_sent")

    @post("/accounts/reverify", status_code=200, responses=api_errors(401))
    async def reverify(self, ctx: Ctx, data: JSONBody[TokenRequest]) -> Accepted:
        await service.reverify(ctx, data.token)
        return Accepted("reverified")

    @get("/account", responses=api_errors(401))
    async def account(self, user: User) -> AccountState:
        return service.account_state(user)

    @post("/account/password", status_code=200, responses=api_errors(401))
    async def change_password(self, ctx: Ctx, user: User, data: JSONBody[PasswordChangeRequest]) -> Accepted:
        await service.change_password(ctx, user, data)
        return Accepted("password_changed")

    @post("/password-resets", status_code=202, responses=api_errors())
    async def request_reset(self, ctx: Ctx, request: Request, data: JSONBody[PasswordResetRequest]) -> Accepted:
        await service.request_reset(ctx, data.email, client_address(request))
        return Accepted("reset_mail_sent_if_account_exists")

    @post("/password-resets/confirm", status_code=200, responses=api_errors())
    async def confirm_reset(self, ctx: Ctx, data: JSONBody[PasswordResetConfirm]) -> Accepted:
        await service.confirm_reset(ctx, data)
        return Accepted("password_changed")


class SessionsController(Controller):
    path = "/api/sessions"
    tags = ["sessions"]

    @post("/", status_code=200, responses=api_errors(401))
    async def login(self, ctx: Ctx, request: Request, data: JSONBody[LoginRequest]) -> Response[AccountState]:
        """Sign in. Sets a new HttpOnly session cookie (a fresh id every time)."""
        agent = request.headers.get("user-agent", "")
        token = await sessions.login(ctx, data, client_address(request), session_token(request), agent)
        user = await account_principal(ctx, token)
        return with_session_cookie(Response(service.account_state(user)), ctx, token)

    @get("/", responses=api_errors(401))
    async def list_sessions(self, ctx: Ctx, user: User) -> list[SessionInfo]:
        return await sessions.list_sessions(ctx, user)

    @delete("/current", status_code=200, responses=api_errors())
    async def logout(self, ctx: Ctx, request: Request) -> Response[Accepted]:
        await sessions.logout(ctx, session_token(request))
        return with_session_cookie(Response(Accepted("signed_out")), ctx, None)

    @delete("/{session_id:str}", status_code=204, responses=api_errors(401, 404))
    async def revoke(self, ctx: Ctx, user: User, session_id: FromPath[str]) -> None:
        await sessions.revoke_session(ctx, user, session_id)
