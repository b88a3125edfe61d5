"""The JSON API under ``/api/v1``: read-only views of the registry, and publishing."""

from __future__ import annotations

from fastapi import APIRouter

from candor.web.api import (
    changes,
    developers,
    documents,
    log_entries,
    log_explorer,
    log_proofs,
    observations,
    sealed,
    search,
    statements,
)

PREFIX = "/api/v1"


def build_router() -> APIRouter:
    """Every API route, under :data:`PREFIX`."""
    router = APIRouter(prefix=PREFIX)
    for module in (
        developers, statements, documents, sealed, log_proofs, log_entries, log_explorer, search, observations,
        changes,
    ):  # fmt: skip
        router.include_router(module.build_router())
    return router
