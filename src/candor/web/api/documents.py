"""``/api/v1/documents/{sha256}``: the exact bytes a developer signed, addressed by their SHA-256."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from candor.web.deps import Queries
from candor.web.errors import ERROR_RESPONSES

Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 (hex) of the document bytes.")]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/documents", tags=["documents"], responses=ERROR_RESPONSES)

    @router.get(
        "/{sha256}",
        response_class=Response,
        summary="A document's exact bytes",
        responses={200: {"content": {"text/markdown": {}}, "description": "The document, byte for byte."}},
    )
    def get_document(sha256: Sha256, registry: Queries) -> Response:
        content = registry.document_bytes(sha256)
        # Content-addressed: the bytes behind a digest can never change.
        headers = {"Cache-Control": "public, max-age=31536000, immutable", "ETag": f'"{sha256}"'}
        return Response(content, media_type="text/markdown; charset=utf-8", headers=headers)

    return router
