"""The log explorer's pages: look up an entry, read it with its signature, key and proof, and see the consistency
between two tree sizes. Their data comes from :mod:`candor.services.log_explorer`, as the API's does."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from candor.errors import CandorError
from candor.services.log_explorer import MAX_LOOKUP_CHARS
from candor.web.api.log_explorer import Explorer
from candor.web.deps import Templates
from candor.web.errors import status_of

LogIndex = Annotated[int, Path(ge=0, le=(1 << 63) - 1)]
Size = Annotated[int | None, Query(ge=0, le=(1 << 63) - 1)]


def build_router() -> APIRouter:
    router = APIRouter(default_response_class=HTMLResponse)

    def render(templates: Templates, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        response: HTMLResponse = templates.TemplateResponse(request, name, context, status_code=status)
        return response

    @router.get("/explorer", response_model=None)
    def explorer(
        request: Request,
        explorer: Explorer,
        templates: Templates,
        q: Annotated[str, Query(max_length=MAX_LOOKUP_CHARS)] = "",
    ) -> Response:
        checkpoint = explorer.checkpoint()
        if not q.strip():
            return render(templates, request, "explorer.html", checkpoint=checkpoint, q="", problem=None, found=None)
        try:
            found = explorer.lookup(q)
        except CandorError as exc:
            # The form again, with what was wrong: a lookup that finds nothing is an answer, not a broken page.
            return render(
                templates,
                request,
                "explorer.html",
                status_of(exc),
                checkpoint=checkpoint,
                q=q,
                problem=exc.message,
                found=None,
            )
        if found.developer is not None:
            return RedirectResponse(f"/statements?{urlencode({'developer': found.developer})}", status_code=303)
        if len(found.log_indexes) == 1:
            return RedirectResponse(f"/explorer/entries/{found.log_indexes[0]}", status_code=303)
        return render(templates, request, "explorer.html", checkpoint=checkpoint, q=q, problem=None, found=found)

    @router.get("/explorer/entries/{log_index}")
    def entry(log_index: LogIndex, request: Request, explorer: Explorer, templates: Templates) -> HTMLResponse:
        return render(templates, request, "log_entry.html", entry=explorer.entry(log_index))

    @router.get("/explorer/consistency")
    def consistency(
        request: Request, explorer: Explorer, templates: Templates, old: Size = None, new: Size = None
    ) -> HTMLResponse:
        checkpoint = explorer.checkpoint()
        if old is None or new is None:
            return render(templates, request, "consistency.html", checkpoint=checkpoint, proof=None, old=old, new=new)
        proof = explorer.consistency(old, new)
        return render(templates, request, "consistency.html", checkpoint=checkpoint, proof=proof, old=old, new=new)

    return router
