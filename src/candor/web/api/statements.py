"""``/api/v1/statements``: publishing, published statements, their findings and their inclusion proofs.

The router's lifespan starts the registry log's background integrator (see :mod:`candor.services.integration`),
so that whoever serves this API also signs checkpoints over what it accepts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from candor.services.evidence import statement_evidence
from candor.store.statement_listing import ListingOrder
from candor.web.api.models import (
    InclusionProofOut,
    KeysetPageOut,
    PageOut,
    StandardFindingsOut,
    StatementOut,
    page_out,
)
from candor.web.api.publishing import (
    PUBLISH_RESPONSES,
    Authorization,
    PublicationIn,
    PublishedOut,
    TokenFirstRoute,
    publish_statement,
    registry_log_lifespan,
    statement_ids,
    tlog_proof_text,
)
from candor.web.api.statement_filters import Filters
from candor.web.deps import PageNumber, PageSize, Queries
from candor.web.errors import ERROR_RESPONSES, bad_request

#: What never changes once published: the statement's signed bytes, whose SHA-256 is the address.
IMMUTABLE = "public, max-age=31536000, immutable"

StatementId = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 (hex) of the statement.")]
Before = Annotated[
    int | None,
    Query(
        ge=0,
        le=2**63 - 1,
        description="Walk by log index instead of page number: only statements logged before this index, newest "
        "first, and the next page's `before` in `next_before`. Start with the checkpoint's size (or any larger "
        "number). Each page costs the same however deep it is: no offset, no count.",
    ),
]


def build_router() -> APIRouter:
    router = APIRouter(
        prefix="/statements", tags=["statements"], responses=ERROR_RESPONSES, lifespan=registry_log_lifespan
    )

    def publish(
        publication: PublicationIn, request: Request, response: Response, authorization: Authorization = None
    ) -> PublishedOut:
        """Publish a statement signed by the developer, with its document: 201 when new, 200 when published before."""
        return publish_statement(request, response, publication, authorization)

    router.add_api_route(
        "",
        publish,
        methods=["POST"],
        status_code=201,
        responses=PUBLISH_RESPONSES,
        summary="Publish a signed statement",
        route_class_override=TokenFirstRoute,
    )

    @router.get("/by-document/{sha256}", summary="The statements that publish a document, by its SHA-256")
    def by_document(sha256: StatementId, request: Request, registry: Queries) -> list[StatementOut]:
        return [StatementOut.of(registry.statement_by_digest(digest)) for digest in statement_ids(request, sha256)]

    @router.get(
        "/{statement_id}/tlog-proof",
        response_class=Response,
        summary="The statement's c2sp.org/tlog-proof, with the statement and its signature",
        responses={200: {"content": {"text/plain": {}}, "description": "A tlog-proof file."}},
    )
    def get_tlog_proof(statement_id: StatementId, request: Request, registry: Queries) -> Response:
        return Response(tlog_proof_text(request, registry, statement_id), media_type="text/plain; charset=utf-8")

    @router.get(
        "/{statement_id}/canonical",
        response_class=Response,
        summary="The statement's canonical RFC 8785 bytes, exactly as its developer signed them",
        description="Their SHA-256 is the statement's id, so they never change: cached as immutable. What the "
        "registry says about the statement since (withdrawn, corrected) is in `/api/v1/statements/{id}`.",
        responses={200: {"content": {"application/json": {}}, "description": "The signed statement."}},
    )
    def get_canonical(statement_id: StatementId, request: Request) -> Response:
        _, evidence = statement_evidence(request.app.state.sessions, statement_id)
        return Response(
            evidence.statement_bytes,
            media_type="application/json",
            headers={"Cache-Control": IMMUTABLE, "ETag": f'"{statement_id}"'},
        )

    @router.get(
        "",
        summary="Published statements, newest first, or filtered and sorted",
        description="Filters: `developer`, `kind`, and the issue day range `issued_from`..`issued_to` (UTC days, "
        "both included); `sort`: `newest` (default) or `oldest` published first, or `issued-newest` / "
        "`issued-oldest` by issue date. The site's `/statements` takes the same parameters. 400 for a date range "
        "that ends before it starts or a day the calendar does not have; 422 for malformed parameters; 404 for an "
        "unknown developer.",
        responses=bad_request("A date range that ends before it starts, or a day the calendar does not have"),
    )
    def list_statements(
        registry: Queries,
        filters: Filters,
        page: PageNumber = 1,
        per_page: PageSize = 20,
        before: Before = None,
    ) -> PageOut[StatementOut] | KeysetPageOut[StatementOut]:
        if before is not None:
            listing = filters.listing
            if listing.from_day or listing.to_day or listing.order is not ListingOrder.NEWEST:
                raise HTTPException(
                    400, "walk by `before` in log-index order only: no issue-date range or sort with it"
                )
            items, next_before = registry.statements_before(
                before, size=per_page, developer=filters.developer, kind=filters.kind
            )
            return KeysetPageOut[StatementOut](
                items=[StatementOut.of(item) for item in items],
                per_page=per_page,
                before=before,
                next_before=next_before,
            )
        found = registry.statements(
            number=page, size=per_page, developer=filters.developer, kind=filters.kind, listing=filters.listing
        )
        return page_out(found, [StatementOut.of(item) for item in found.items])

    @router.get("/{statement_id}", summary="One statement, by the SHA-256 of its canonical bytes")
    def get_statement(statement_id: StatementId, registry: Queries) -> StatementOut:
        return StatementOut.of(registry.statement_by_digest(statement_id))

    @router.get(
        "/{statement_id}/findings",
        summary="What each standard that applies to the developer finds in the statement's document",
        description="One entry per standard: the default standard always, then each standard of a regime that "
        "covers the developer under the facts on file. Findings are recomputed from the signed document.",
    )
    def get_findings(statement_id: StatementId, registry: Queries) -> list[StandardFindingsOut]:
        statement = registry.statement_by_digest(statement_id)
        return [StandardFindingsOut.of(item) for item in registry.findings(statement.log_index)]

    @router.get("/{statement_id}/proof", summary="Inclusion proof of the statement in the latest checkpoint")
    def get_proof(statement_id: StatementId, registry: Queries) -> InclusionProofOut:
        statement = registry.statement_by_digest(statement_id)
        return InclusionProofOut.of(registry.inclusion_proof(statement.log_index))

    return router
