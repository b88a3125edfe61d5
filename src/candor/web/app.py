"""The registry's web application: website, JSON API and served log, built from settings by :func:`create_app`.

Nothing is created at import time. Each call builds its own database engine, templates and renderer, so tests
and several apps in one process never share state.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from candor import __version__
from candor.config import Settings, load_settings
from candor.domain.statement import StatementKind
from candor.services.across_documents import AcrossDocuments
from candor.services.audit import PeriodicAudit
from candor.services.bulk_data import BulkData
from candor.services.log_explorer import LogExplorer
from candor.services.observed import ObservedSites
from candor.services.queries import RegistryQueries
from candor.services.redacting import regulator_key_fingerprint_of
from candor.services.registry_facts import FACTS_DIR_NAME
from candor.services.reports import open_report_channel
from candor.services.search import RegistrySearch
from candor.services.version_diffs import VersionDiffs
from candor.services.witnessing import PeriodicWitnessing, WitnessCollector, parse_witness_setting
from candor.store.data_version import DataVersion
from candor.store.database import create_database_engine, session_factory
from candor.web import api, operations, reports, site
from candor.web.conditional import ConditionalGetMiddleware, RegistryVersion
from candor.web.errors import install_error_handlers
from candor.web.head import HeadAsGetMiddleware
from candor.web.log_files import LogFiles
from candor.web.log_files import build_router as build_log_router
from candor.web.markdown import DocumentRenderer
from candor.web.security import SECURITY_HEADERS, BodySizeLimitMiddleware, SecurityHeadersMiddleware
from candor.web.site.fragments import DiffFragments, PageCache

_HERE = Path(__file__).resolve().parent


def create_app(settings: Settings) -> FastAPI:
    """The FastAPI app serving the registry whose data lives where ``settings`` say.

    The log directory (:class:`~candor.tlog.local_log.LocalLog`) is the data directory itself; developers' latest
    facts files, which decide the coverage the developer pages show, are in its ``facts`` folder.
    """
    engine = create_database_engine(settings.database_url)
    data_version = DataVersion(settings.database_url, settings.revision_poll_interval)
    log_files = LogFiles.of(settings.data_dir)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The periodic audit finds what triggers cannot stop (docs/operations.md); it only reads, and never stops
        # the server, whatever it finds.
        auditor = None
        if settings.audit_interval > 0:
            auditor = PeriodicAudit(
                app.state.sessions, settings.data_dir, settings.audit_interval, key_file=settings.log_key
            )
            auditor.start()
        app.state.audit = auditor
        witnessing = None
        if app.state.witnessing is not None:
            witnessing = PeriodicWitnessing(app.state.witnessing)
            witnessing.start()
        try:
            yield
        finally:
            if auditor is not None:
                await asyncio.to_thread(auditor.stop)
            if witnessing is not None:
                await asyncio.to_thread(witnessing.stop)
            data_version.close()
            engine.dispose()

    app = FastAPI(
        title="Candor registry",
        version=__version__,
        summary="Signed transparency disclosures of frontier AI developers, and the log that records them.",
        openapi_url="/api/v1/openapi.json",
        # The interactive docs load scripts from elsewhere, which the content security policy refuses; the site
        # serves a server-rendered reference at /api instead.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    # Read now, so that a registry given a bad regulator key fails at start rather than at its first publication.
    regulator_key = settings.regulator_public_key
    app.state.regulator_key = None if regulator_key is None else regulator_key_fingerprint_of(regulator_key)
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.log_files = log_files
    app.state.queries = RegistryQueries(app.state.sessions, log_files.public, settings.data_dir / FACTS_DIR_NAME)
    app.state.search = RegistrySearch(app.state.sessions)
    app.state.version_diffs = VersionDiffs(app.state.sessions)
    app.state.across_documents = AcrossDocuments(app.state.sessions)
    app.state.explorer = LogExplorer(app.state.sessions, log_files.public)
    app.state.bulk_data = BulkData(app.state.sessions, app.state.queries)
    app.state.observed = ObservedSites(app.state.sessions)
    app.state.renderer = DocumentRenderer()
    app.state.templates = _templates()
    app.state.diff_fragments = DiffFragments(app.state.templates.env)
    app.state.page_cache = PageCache()
    app.state.data_version = data_version
    app.state.registry_version = RegistryVersion(app.state.queries, data_version, settings.data_dir / FACTS_DIR_NAME)
    app.state.report_channel = open_report_channel(settings, app.state.sessions)
    app.state.witnessing = (
        WitnessCollector(
            app.state.sessions,
            log_files.public,
            [parse_witness_setting(item) for item in settings.witnesses],
            settings.witness_quorum,
        )
        if settings.witnesses
        else None
    )

    install_error_handlers(app, headers_on_crash=SECURITY_HEADERS)
    # /healthz, /metrics and request timing; first, so that its middleware sits next to the router.
    operations.install(app)
    app.add_middleware(HeadAsGetMiddleware)
    # The size limit applies before anything reads the body, and every response the app sends (errors included)
    # passes through the security headers.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    # Added last, so outermost: an answer already rendered at this registry version is sent from here as it left
    # the app (security headers included), past everything else. It adds the security headers to its own 304s,
    # and lets any request with a body through to the size limit.
    app.add_middleware(ConditionalGetMiddleware)

    app.include_router(api.build_router())
    app.include_router(build_log_router(log_files))
    app.include_router(site.build_router())
    app.include_router(reports.build_router())
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    return app


def app_from_environment() -> FastAPI:
    """The app with settings from ``CANDOR_*`` variables, for ``uvicorn --factory`` with several workers."""
    return create_app(load_settings())


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=_HERE / "templates")
    env = templates.env
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters["when"] = _when
    env.filters["day"] = _day
    env.filters["short"] = _short
    # Templates name statement kinds as code does, by the enum, never by a string of their own.
    env.globals["StatementKind"] = StatementKind
    return templates


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _day(moment: datetime) -> str:
    return moment.strftime("%-d %B %Y")


def _short(digest: str) -> str:
    return digest[:12]
