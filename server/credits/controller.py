"""Balance with history, spending on an HD export, verifying a grant."""

from __future__ import annotations

from cutout_wire import CreditHistory, CreditPack, GrantVerdict, SpendGrant, SpendRequest
from litestar import Controller, get, post
from litestar.params import JSONBody

from server.auth import Ctx, User
from server.credits import service
from server.credits.grants import grant_is_valid
from server.errors import api_errors


class CreditsController(Controller):
    path = "/api/credits"
    tags = ["credits"]

    @get("/", responses=api_errors(401))
    async def history(self, ctx: Ctx, user: User) -> CreditHistory:
        return await service.history(ctx, user)

    @post("/spend", status_code=200, responses=api_errors(401, 402, 409))
    async def spend(self, ctx: Ctx, user: User, data: JSONBody[SpendRequest]) -> SpendGrant:
        """Spend one credit on an HD export. Send the image's SHA-256, never
        the image. Repeating a key returns the first answer and charges once."""
        return await service.spend(ctx, user, data)

    @post("/grants/verify", status_code=200, responses=api_errors())
    async def verify(self, ctx: Ctx, data: JSONBody[SpendGrant]) -> GrantVerdict:
        return GrantVerdict(valid=grant_is_valid(ctx.key("grant"), data))

    @get("/packs", responses=api_errors())
    async def packs(self, ctx: Ctx) -> list[CreditPack]:
        s = ctx.settings
        return [CreditPack(p.pack_id, p.credits, p.price_cents, p.currency, s.paid_credit_days) for p in s.packs]
