"""``/api/v1/statements``: published statements, their findings and their inclusion proofs.

Publishing (``POST /api/v1/statements``) belongs here too, beside the reads: add it to :func:`build_router`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from candor.web.api.models import FindingOut, InclusionProofOut, PageOut, StatementOut, page_out
from candor.web.deps import PageNumber, PageSize, Queries
from candor.web.errors import ERROR_RESPONSES

StatementId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 (hex) of the statement.")]
Kind = Annotated[
    str | None,
    Query(
        pattern=r"^(secure-development-framework|system-card|certification|withdrawal|correction)$",
        description="Only statements of this kind.",
    ),
]
DeveloperSlug = Annotated[str | None, Query(pattern=r"^[a-z0-9-]{1,64}$", description="Only this developer's.")]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/statements", tags=["statements"], responses=ERROR_RESPONSES)

    @router.get("", summary="Published statements, newest first")
    def list_statements(
        registry: Queries,
        developer: DeveloperSlug = None,
        kind: Kind = None,
        page: PageNumber = 1,
        per_page: PageSize = 20,
    ) -> PageOut[StatementOut]:
        found = registry.statements(number=page, size=per_page, developer=developer, kind=kind)
        return page_out(found, [StatementOut.of(item) for item in found.items])

    @router.get("/{statement_id}", summary="One statement, by the SHA-256 of its canonical bytes")
    def get_statement(statement_id: StatementId, registry: Queries) -> StatementOut:
        return StatementOut.of(registry.statement_by_digest(statement_id))

    @router.get("/{statement_id}/findings", summary="What the standards found in the statement's document")
    def get_findings(statement_id: StatementId, registry: Queries) -> list[FindingOut]:
        statement = registry.statement_by_digest(statement_id)
        return [FindingOut.of(item) for item in registry.findings(statement.log_index)]

    @router.get("/{statement_id}/proof", summary="Inclusion proof of the statement in the latest checkpoint")
    def get_proof(statement_id: StatementId, registry: Queries) -> InclusionProofOut:
        statement = registry.statement_by_digest(statement_id)
        return InclusionProofOut.of(registry.inclusion_proof(statement.log_index))

    return router
