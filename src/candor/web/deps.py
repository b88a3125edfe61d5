"""What routes take from the app: the read-side queries, the templates and the Markdown renderer.

The providers are ``async`` although they only read app state: FastAPI runs a plain ``def`` dependency in its
thread pool, and a thread hop per dependency costs more than the page itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.templating import Jinja2Templates

from candor.services.audit import AuditStatus, PeriodicAudit
from candor.services.queries import RegistryQueries
from candor.services.views import MAX_PAGE_SIZE
from candor.web.markdown import DocumentRenderer


async def queries(request: Request) -> RegistryQueries:
    registry: RegistryQueries = request.app.state.queries
    return registry


async def templates(request: Request) -> Jinja2Templates:
    found: Jinja2Templates = request.app.state.templates
    return found


async def renderer(request: Request) -> DocumentRenderer:
    found: DocumentRenderer = request.app.state.renderer
    return found


def audit_status(request: Request) -> AuditStatus:
    """What the server's periodic audit last found ("disabled" when the setting turns it off)."""
    return app_audit_status(request.app)


def app_audit_status(app: FastAPI) -> AuditStatus:
    """:func:`audit_status` of an app, for what runs outside a request (the metrics' collector)."""
    auditor: PeriodicAudit | None = getattr(app.state, "audit", None)
    return AuditStatus.disabled() if auditor is None else auditor.status


Queries = Annotated[RegistryQueries, Depends(queries)]
Templates = Annotated[Jinja2Templates, Depends(templates)]
Renderer = Annotated[DocumentRenderer, Depends(renderer)]
#: A page number of a paginated list, from 1.
PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")]
#: How many items a page holds.
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page.")]
