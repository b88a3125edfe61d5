"""``/api/v1/sealed/{sha256}``: a redacted document's original, still sealed to the regulator's key.

Only the regulator's private key opens it (HPKE, ``docs/formats.md``); serving it lets anyone check that the
registry keeps the very bytes the developer's statement names by ``sealed_sha256``, and lets a whole-registry
export (``candor export``) hold them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from candor.services.registry_export import sealed_original_bytes
from candor.web.errors import ERROR_RESPONSES

Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 (hex) of the sealed original.")]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/sealed", tags=["documents"], responses=ERROR_RESPONSES)

    @router.get(
        "/{sha256}",
        response_class=Response,
        summary="A sealed original, still sealed to the regulator's key",
        responses={200: {"content": {"application/octet-stream": {}}, "description": "The sealed original."}},
    )
    def get_sealed(sha256: Sha256, request: Request) -> Response:
        content = sealed_original_bytes(request.app.state.sessions, sha256)
        headers = {"Cache-Control": "public, max-age=31536000, immutable", "ETag": f'"{sha256}"'}
        return Response(content, media_type="application/octet-stream", headers=headers)

    return router
