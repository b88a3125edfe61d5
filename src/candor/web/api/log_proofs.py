"""``/api/v1/log``: the latest checkpoint, inclusion proofs by log index, and the last audit, as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from candor.errors import NotFoundError
from candor.web.api.models import AuditOut, CheckpointOut, InclusionProofOut
from candor.web.deps import Queries, audit_status
from candor.web.errors import ERROR_RESPONSES

LogIndex = Annotated[int, Path(ge=0, le=(1 << 63) - 1, description="Index of the entry in the log.")]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/log", tags=["log"], responses=ERROR_RESPONSES)

    @router.get("/checkpoint", summary="The latest signed checkpoint")
    def get_checkpoint(registry: Queries) -> CheckpointOut:
        checkpoint = registry.checkpoint()
        if checkpoint is None:
            raise NotFoundError("the log has no signed checkpoint yet")
        return CheckpointOut.of(checkpoint)

    @router.get("/proof/{log_index}", summary="Inclusion proof of the entry at a log index")
    def get_proof(log_index: LogIndex, registry: Queries) -> InclusionProofOut:
        return InclusionProofOut.of(registry.inclusion_proof(log_index))

    @router.get("/audit", summary="What the registry's periodic audit of its database last found")
    def get_audit(request: Request) -> AuditOut:
        return AuditOut.of(audit_status(request))

    return router
