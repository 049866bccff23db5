"""Admin API (role 'admin'). Same actions as the CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from cutout_wire import AgreementVersion
from litestar import Controller, get, post
from litestar.params import JSONBody

from server.admin import service
from server.admin.service import AdminUserView
from server.agreements import service as agreements
from server.auth import Admin, Ctx, RowId
from server.errors import DomainError, api_errors

Reason = Annotated[str, msgspec.Meta(max_length=500)]


class AdminAction(msgspec.Struct):
    action: Literal["restrict", "unrestrict", "ban", "unban", "dispute", "resolve_dispute"]
    reason: Reason = ""


class PublishAgreement(msgspec.Struct):
    document: Literal["terms", "privacy"]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    content: Annotated[str, msgspec.Meta(min_length=1, max_length=200_000)]
    effective_at: datetime | None = None


class SweepResult(msgspec.Struct):
    count: int


class AdminController(Controller):
    path = "/api/admin"
    tags = ["admin"]

    @get("/users/{user_id:int}", responses=api_errors(401, 404))
    async def user(self, ctx: Ctx, admin: Admin, user_id: RowId) -> AdminUserView:
        return await service.view(ctx, user_id)

    @post("/users/{user_id:int}/actions", status_code=200, responses=api_errors(401, 404))
    async def act(self, ctx: Ctx, admin: Admin, user_id: RowId, data: JSONBody[AdminAction]) -> AdminUserView:
        """Restrict (no spending), ban (no sign-in) or mark a dispute, with a recorded reason."""
        if user_id == admin.user_id:
            # Another admin (or the CLI) must do it: no locking oneself out by mistake.
            raise DomainError("forbidden", "Administrators cannot change the flags of their own account.")
        await service.set_flag(ctx, user_id, data.action, data.reason, f"admin:{admin.user_id}")
        return await service.view(ctx, user_id)

    @post("/agreements", status_code=201, responses=api_errors(401))
    async def publish(self, ctx: Ctx, admin: Admin, data: JSONBody[PublishAgreement]) -> AgreementVersion:
        effective = int(data.effective_at.timestamp()) if data.effective_at else ctx.now()
        return await agreements.publish(ctx, data.document, data.title, data.content, effective)

    @post("/sweeps/dormant", status_code=200, responses=api_errors(401))
    async def sweep_dormant(self, ctx: Ctx, admin: Admin) -> SweepResult:
        return SweepResult(await service.sweep_dormant(ctx))
