"""Cancellation endpoints. Confirmation needs the emailed token, not a session."""

from __future__ import annotations

from cutout_wire import Accepted, CancellationRequest, CancellationStatus, TokenRequest
from litestar import Controller, get, post
from litestar.params import JSONBody

from server.auth import Ctx, User
from server.cancellation import service
from server.errors import api_errors


class CancellationController(Controller):
    path = "/api/cancellation"
    tags = ["cancellation"]

    @get("/", responses=api_errors(401))
    async def status(self, ctx: Ctx, user: User) -> CancellationStatus:
        """What stands in the way of cancelling, and the balance that would be forfeited."""
        return await service.status(ctx, user)

    @post("/", status_code=202, responses=api_errors(401, 409))
    async def request(self, ctx: Ctx, user: User, data: JSONBody[CancellationRequest]) -> Accepted:
        """Re-enter the password; forfeit_balance must be true while credits remain.
        Sends a confirmation link; nothing is erased yet."""
        await service.request(ctx, user, data)
        return Accepted("confirmation_mail_sent")

    @post("/confirm", status_code=200, responses=api_errors(409))
    async def confirm(self, ctx: Ctx, data: JSONBody[TokenRequest]) -> Accepted:
        """Irreversible: erases personal data and ends every session."""
        await service.confirm(ctx, data.token)
        return Accepted("cancelled")
