"""The website's pages: home, developers, documents, comparison, log and standards."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from candor.domain.obligations import SOON_DAYS
from candor.domain.standards import DEFAULT_STANDARD, StandardCatalogue, StandardError
from candor.domain.statement import KIND_TITLES
from candor.services.across_documents import AcrossDocuments
from candor.services.certification_status import certification_status
from candor.services.developer_keys import key_history
from candor.services.document_redactions import published_redaction_statistics
from candor.services.observed import ObservedSites
from candor.services.views import MAX_PAGE_SIZE
from candor.services.withdrawals import withdrawal_reason
from candor.store.statement_listing import ListingOrder
from candor.web.api.changes import version_diffs_of as version_diffs
from candor.web.api.search import RESULTS_PER_PAGE, Searcher
from candor.web.api.search import Params as SearchQuery
from candor.web.api.statement_filters import Filters
from candor.web.conditional import today
from candor.web.deps import PageNumber, Queries, Renderer, Templates, audit_status
from candor.web.log_files import LogFiles
from candor.web.site.apiref import api_reference
from candor.web.site.fragments import DiffFragments

Slug = Annotated[str, Path(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]
LogIndex = Annotated[int, Path(ge=0, le=(1 << 63) - 1)]
PackId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9.-]{0,99}$")]


def registry_url(request: Request) -> str:
    """The address people pass to ``candor verify --registry``: this site's root, without a trailing slash."""
    return str(request.base_url).rstrip("/")


def across_documents(request: Request) -> AcrossDocuments:
    """The app's checks across documents."""
    found: AcrossDocuments = request.app.state.across_documents
    return found


def log_files(request: Request) -> LogFiles:
    """The served log's files."""
    files: LogFiles = request.app.state.log_files
    return files


def witnessing_status(request: Request) -> dict[str, Any] | None:
    """What the log page shows of the witnesses: quorum, lag, and each witness's last answer."""
    collector = request.app.state.witnessing
    if collector is None:
        return None
    signed, served = collector.lag()
    states = collector.states
    return {
        "quorum": collector.quorum,
        "signed": signed,
        "served": served,
        "witnesses": [(name, state.answered) for name, state in states.items()],
        "served_note": (collector.served_note() or b"").decode("utf-8", "replace"),
    }


def build_router() -> APIRouter:
    router = APIRouter(default_response_class=HTMLResponse)

    def render(templates: Templates, request: Request, name: str, **context: Any) -> HTMLResponse:
        response: HTMLResponse = templates.TemplateResponse(request, name, context)
        return response

    @router.get("/")
    def home(request: Request, registry: Queries, templates: Templates, page: PageNumber = 1) -> HTMLResponse:
        return render(templates, request, "home.html", view=registry.home(number=page))

    @router.get("/statements")
    def statements(
        request: Request, registry: Queries, templates: Templates, filters: Filters, page: PageNumber = 1
    ) -> HTMLResponse:
        found = registry.statements(
            number=page, developer=filters.developer, kind=filters.kind, listing=filters.listing
        )
        return render(
            templates,
            request,
            "statements.html",
            statements=found,
            filters=filters,
            developers=registry.developers(size=MAX_PAGE_SIZE).items,
            kinds=KIND_TITLES,
            orders=list(ListingOrder),
        )

    @router.get("/developers")
    def developers(request: Request, registry: Queries, templates: Templates, page: PageNumber = 1) -> HTMLResponse:
        return render(templates, request, "developers.html", developers=registry.developers(number=page))

    @router.get("/developers/{slug}")
    def developer(
        slug: Slug, request: Request, registry: Queries, templates: Templates, page: PageNumber = 1
    ) -> HTMLResponse:
        view = registry.developer(slug, number=page)
        standing = certification_status(registry, view, today(request.app.state))
        framework = view.current_framework
        semantic = None if framework is None else version_diffs(request).of(framework.log_index)
        obligations = registry.obligations(slug)
        observed: ObservedSites = request.app.state.observed
        return render(
            templates,
            request,
            "developer.html",
            view=view,
            standing=standing,
            obligations=obligations,
            soon_days=SOON_DAYS,
            semantic=semantic,
            watched=observed.watched(slug),
            watch_alerts=observed.observations(slug, limit=20, alerts_only=True),
            keys_confirmed=observed.keys_confirmed(slug),
            keys=key_history(request.app.state.sessions, slug),
        )

    @router.get("/statements/{log_index}")
    def document(
        log_index: LogIndex, request: Request, registry: Queries, templates: Templates, renderer: Renderer
    ) -> HTMLResponse:
        view = registry.document(log_index)
        diff = None
        if view.changes is not None and view.statement.document_sha256:
            fragments: DiffFragments = request.app.state.diff_fragments
            diff = fragments.render(view.changes, view.statement.document_sha256)
        # A withdrawal's own reason, or on a withdrawn document the reason of the withdrawal that withdrew it.
        withdrawal = log_index if view.statement.kind == "withdrawal" else view.statement.withdrawn_by
        return render(
            templates,
            request,
            "document.html",
            view=view,
            body=renderer.render(view.body) if view.body else None,
            diff=diff,
            semantic=version_diffs(request).of(log_index),
            across=across_documents(request).for_statement(log_index),
            corrections=registry.corrections(view.statement.statement_sha256),
            redactions=published_redaction_statistics(registry, view.statement.document_sha256)
            if view.statement.document_sha256
            else None,
            registry_url=registry_url(request),
            vkey_fingerprint=log_files(request).verifier_key_fingerprint(),
            reason=None if withdrawal is None else withdrawal_reason(request.app.state.sessions, withdrawal),
        )

    @router.get("/compare")
    def compare(request: Request, registry: Queries, templates: Templates, page: PageNumber = 1) -> HTMLResponse:
        return render(templates, request, "compare.html", view=registry.comparison(number=page))

    @router.get("/log")
    def log(request: Request, registry: Queries, templates: Templates) -> HTMLResponse:
        return render(
            templates,
            request,
            "log.html",
            checkpoint=registry.checkpoint(),
            vkey=log_files(request).verifier_key(),
            vkey_fingerprint=log_files(request).verifier_key_fingerprint(),
            regulator_key=request.app.state.regulator_key,
            registry_url=registry_url(request),
            audit=audit_status(request),
            witnessing=witnessing_status(request),
        )

    @router.get("/api")
    def api(request: Request, templates: Templates) -> HTMLResponse:
        return render(templates, request, "api.html", reference=api_reference(request.app.openapi()))

    @router.get("/search")
    def search(request: Request, params: SearchQuery, searcher: Searcher, templates: Templates) -> HTMLResponse:
        results = params.run(searcher) if params.asked else None
        return render(templates, request, "search.html", params=params, results=results, per_page=RESULTS_PER_PAGE)

    @router.get("/standards")
    def standards(request: Request, registry: Queries, templates: Templates) -> HTMLResponse:
        return render(templates, request, "standards.html", applications=registry.standards_applied())

    @router.get("/standards/{pack_id}")
    def standard(pack_id: PackId, request: Request, templates: Templates) -> HTMLResponse:
        catalogue = StandardCatalogue.bundled()
        try:
            pack = catalogue.load(pack_id)
        except StandardError:
            raise HTTPException(404, f"there is no standard {pack_id!r}") from None
        origins = catalogue.rule_origins(pack_id)
        return render(
            templates,
            request,
            "standard.html",
            pack=pack,
            origins=origins,
            added_ids={rule_id for rule_id, origin in origins.items() if origin == pack_id},
            default_standard=DEFAULT_STANDARD,
        )

    return router
