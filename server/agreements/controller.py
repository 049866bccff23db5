"""Public agreement texts; recording a signed-in person's acceptance."""

from __future__ import annotations

from cutout_wire import Accepted, AgreementRef, AgreementVersion, CurrentAgreements
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from server.agreements import service
from server.auth import Ctx, RowId, User
from server.errors import api_errors


class AgreementsController(Controller):
    path = "/api/agreements"
    tags = ["agreements"]

    @get("/current", responses=api_errors())
    async def current(self, ctx: Ctx) -> CurrentAgreements:
        async with ctx.db.read() as conn:
            rows = await service.current_versions(conn, ctx.now())
        return CurrentAgreements([service.to_wire(r) for r in rows])

    @get("/{document:str}/{version:int}", responses=api_errors(404))
    async def version(self, ctx: Ctx, document: FromPath[str], version: RowId) -> AgreementVersion:
        async with ctx.db.read() as conn:
            return await service.get_version(conn, document, version)

    @post("/acceptances", status_code=201, responses=api_errors(401, 409))
    async def accept(self, ctx: Ctx, user: User, data: JSONBody[AgreementRef]) -> Accepted:
        """Append an acceptance of the version in effect (never edits one)."""
        async with ctx.db.write() as conn:
            await service.accept(conn, user.user_id, data, ctx.now())
        return Accepted("accepted")
