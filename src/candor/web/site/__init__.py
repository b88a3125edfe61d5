"""The public website: server-rendered pages and Atom feeds, with no JavaScript."""

from __future__ import annotations

from fastapi import APIRouter

from candor.web.site import bulk, changes, charts, explorer, feeds, pages, watching, wellknown


def build_router() -> APIRouter:
    """Every page and feed of the website, and its icon and robots.txt."""
    router = APIRouter(include_in_schema=False)
    router.include_router(pages.build_router())
    router.include_router(feeds.build_router())
    router.include_router(wellknown.build_router())
    router.include_router(explorer.build_router())
    router.include_router(bulk.build_router())
    router.include_router(watching.build_router())
    router.include_router(changes.build_router())
    router.include_router(charts.build_router())
    return router
