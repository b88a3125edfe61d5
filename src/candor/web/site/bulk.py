"""``/data/``: the registry's bulk data, each dataset as CSV and JSON Lines, streamed as it is read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.exceptions import HTTPException

from candor.services.bulk_data import DATASETS, FORMATS, BulkData, encoded
from candor.web.deps import Templates

FileName = Annotated[str, Path(pattern=r"^[a-z]{1,40}\.[a-z]{1,10}$")]


async def bulk_data(request: Request) -> BulkData:
    found: BulkData = request.app.state.bulk_data
    return found


Bulk = Annotated[BulkData, Depends(bulk_data)]


def build_router() -> APIRouter:
    router = APIRouter(default_response_class=HTMLResponse)

    @router.get("/data/")
    def index(request: Request, templates: Templates) -> HTMLResponse:
        response: HTMLResponse = templates.TemplateResponse(
            request, "data.html", {"datasets": list(DATASETS.values()), "formats": list(FORMATS)}
        )
        return response

    @router.get("/data/{file_name}", response_class=StreamingResponse)
    def data_file(file_name: FileName, bulk: Bulk) -> StreamingResponse:
        name, _, fmt = file_name.partition(".")
        dataset = DATASETS.get(name)
        if dataset is None or fmt not in FORMATS:
            raise HTTPException(404, f"there is no bulk data file {file_name!r}; see /data/")
        rows = bulk.rows(name, now=datetime.now(UTC))
        headers = {"Content-Disposition": f'attachment; filename="candor-{file_name}"'}
        return StreamingResponse(encoded(dataset, fmt, rows), media_type=FORMATS[fmt], headers=headers)

    return router
