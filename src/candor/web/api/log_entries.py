"""``/api/v1/log/entries/{index}``: one log entry's exact bytes, so that pages can link to what the log holds.

The tiles under ``/log/`` serve the same bytes in bundles of 256, proven against the signed checkpoint; this is the
convenient view of one entry (a statement envelope or a key event), to read or to hash.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from candor.services.developer_keys import log_entry
from candor.web.errors import ERROR_RESPONSES

LogIndex = Annotated[int, Path(ge=0, le=(1 << 63) - 1, description="The entry's index in the log.")]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/log/entries", tags=["log"], responses=ERROR_RESPONSES)

    @router.get(
        "/{log_index}/raw",
        summary="One log entry's exact bytes: a candor.signed-statement/v1 or candor.signed-key-event/v1 envelope",
        response_class=Response,
        responses={200: {"content": {"application/json": {}}, "description": "The entry, RFC 8785 canonical JSON."}},
    )
    def get_entry(log_index: LogIndex, request: Request) -> Response:
        entry = log_entry(request.app.state.sessions, log_index)
        # An entry never changes once appended.
        return Response(
            entry, media_type="application/json", headers={"Cache-Control": "public, max-age=31536000, immutable"}
        )

    return router
