"""What operators watch: ``/healthz``, ``/metrics`` (Prometheus text format), and the log line of each refusal.

Each app has its own :class:`RegistryMetrics` on its own ``CollectorRegistry``, so that several apps in one process
(the tests make many) never count into each other. The log's gauges are computed when ``/metrics`` is scraped,
from the same cheap assessment as ``/healthz`` (:func:`candor.services.health.assess_health`). Every metric is
documented in docs/operations.md, "Health and metrics".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Receive, Scope, Send

from candor.config import Settings
from candor.errors import CandorError
from candor.logs import FIELDS
from candor.services.health import Health, assess_health
from candor.web.deps import app_audit_status
from candor.web.errors import code_of

logger = logging.getLogger("candor.publications")

#: The methods a latency is labelled with; any other is "other", so that no client can add label values.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: The route label of a request no route matched (a 404, or a static file under the /static mount).
UNMATCHED = "unmatched"


class RegistryMetrics:
    """The app's metrics: publications accepted and refused, and request latency by route template."""

    def __init__(self, app: FastAPI) -> None:
        self.registry = CollectorRegistry()
        self.publications_accepted = Counter(
            "candor_publications_accepted",
            "Publications the registry accepted: created is a new entry, existing a repeat of one.",
            ["result"],
            registry=self.registry,
        )
        self.publications_refused = Counter(
            "candor_publications_refused",
            "Publications the registry refused, by the error code of the refusal.",
            ["reason"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "candor_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template (never the raw path).",
            ["method", "route"],
            registry=self.registry,
        )
        self.registry.register(_HealthCollector(app))


def health_of(app: FastAPI) -> Health:
    """The registry's health now: see :func:`candor.services.health.assess_health`."""
    settings: Settings = app.state.settings
    registry_log = getattr(app.state, "registry_log", None)
    return assess_health(
        app.state.sessions,
        refusal=None if registry_log is None else registry_log.refusal,
        audit=app_audit_status(app),
        now=datetime.now(UTC),
        max_unsigned_seconds=settings.max_unsigned_seconds,
        role=None if registry_log is None else ("signing" if registry_log.signing else "serving"),
    )


class _HealthCollector(Collector):
    """The log's gauges, assessed at each scrape: a few indexed reads, never a scan."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        health = health_of(self.app)
        now = health.checked_at
        yield _gauge("candor_healthy", "1 when /healthz answers 200, else 0.", health.healthy)
        yield _gauge("candor_database_up", "1 when the database answered the health check.", health.database_reachable)
        yield _gauge("candor_log_refusing", "1 while the log refuses to sign (its database disagrees).", health.refusal)
        if health.lag is not None:
            lag = health.lag
            yield _gauge("candor_log_entries", "Entries in the log's database.", lag.size)
            yield _gauge("candor_log_unsigned_entries", "Entries no signed checkpoint covers yet.", lag.unsigned)
            yield _gauge(
                "candor_log_unsigned_seconds", "Seconds the oldest unsigned entry has waited.", lag.unsigned_for(now)
            )
            age = lag.checkpoint_age(now)
            if age is not None:
                yield _gauge("candor_log_checkpoint_age_seconds", "Seconds since the latest checkpoint.", age)
        audit = health.audit
        yield _gauge("candor_audit_findings", "Mismatches the last periodic audit found.", audit.finding_count)
        state = GaugeMetricFamily(
            "candor_audit_state", "The periodic audit's state (1 for the current one).", labels=["state"]
        )
        for name in ("pending", "clean", "findings", "failed", "disabled"):
            state.add_metric([name], float(audit.state == name))
        yield state


def _gauge(name: str, documentation: str, value: float | bool | str | None) -> GaugeMetricFamily:
    number = float(value) if isinstance(value, int | float) else float(value is not None)
    return GaugeMetricFamily(name, documentation, value=number)


class RequestLatencyMiddleware:
    """Times each HTTP request into the histogram, labelled by the template of the route that answered it.

    Installed inside the other middleware, next to the router: the route is known only once the router has
    matched, and it records it in the scope this middleware handed down.
    """

    def __init__(self, app: ASGIApp, metrics: RegistryMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self._templates: dict[int, str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "other"
            self.metrics.request_seconds.labels(method, self._template(scope)).observe(time.perf_counter() - started)

    def _template(self, scope: Scope) -> str:
        """The path template of the route the router matched, with the prefixes of the routers that include it."""
        route = scope.get("route")
        if route is None:
            return UNMATCHED
        if self._templates is None:
            # Built at the first request, when every router is included. FastAPI versions that keep included
            # routers nested record the inner route, whose own path lacks the prefixes; older ones copy each route
            # with its full path, which the fallback below reads.
            self._templates = _full_templates(scope["app"])
        template = self._templates.get(id(route), getattr(route, "path", None))
        return template if isinstance(template, str) else UNMATCHED


def _full_templates(app: FastAPI) -> dict[int, str]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # a FastAPI that flattens included routes
        return {}
    return {
        id(context.original_route): context.path
        for context in iter_route_contexts(app.routes)
        if isinstance(context.path, str)
    }


def publication_refused(app: FastAPI, error: Exception, developer: str | None) -> None:
    """Count a refused publication and log it once: the reason's code and the token's developer, nothing else.

    The error's message is left out on purpose: it may quote the document (a field that does not parse), and the
    log must never hold a document's text or a sealed original's.
    """
    reason = code_of(error) if isinstance(error, CandorError) else "invalid_request"
    metrics: RegistryMetrics = app.state.metrics
    metrics.publications_refused.labels(reason).inc()
    status = getattr(error, "http_status", 422 if isinstance(error, RequestValidationError) else 400)
    logger.info(
        "publication refused: reason=%s developer=%s status=%s",
        reason,
        developer or "-",
        status,
        extra={FIELDS: {"event": "publication_refused", "reason": reason, "developer": developer, "status": status}},
    )


def publication_accepted(app: FastAPI, status: int) -> None:
    """Count an accepted publication: 201 is a new entry, 200 an existing one published again."""
    metrics: RegistryMetrics = app.state.metrics
    metrics.publications_accepted.labels("created" if status == 201 else "existing").inc()


def build_router() -> APIRouter:
    """``/healthz`` and ``/metrics``, outside the API's schema: they are for operators' tools, not clients."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    def healthz(request: Request) -> Response:
        health = health_of(request.app)
        return JSONResponse(_health_body(health), status_code=200 if health.healthy else 503)

    @router.get("/metrics")
    def metrics(request: Request) -> Response:
        registry: RegistryMetrics = request.app.state.metrics
        return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def _health_body(health: Health) -> dict[str, object]:
    now = health.checked_at
    lag = health.lag
    audit = health.audit
    return {
        "status": "ok" if health.healthy else "unhealthy",
        "reasons": list(health.reasons),
        "checked_at": now.isoformat(),
        "database": {"reachable": health.database_reachable},
        "log": None
        if lag is None
        else {
            "entries": lag.size,
            "signed_entries": lag.signed_size,
            "unsigned_entries": lag.unsigned,
            "unsigned_seconds": round(lag.unsigned_for(now), 3),
            "checkpoint_age_seconds": None if (age := lag.checkpoint_age(now)) is None else round(age, 3),
            "refusing": health.refusal,
            "role": health.role,
        },
        "audit": {
            "state": audit.state,
            "checked_at": None if audit.checked_at is None else audit.checked_at.isoformat(),
            "finding_count": audit.finding_count,
        },
    }


def install(app: FastAPI) -> None:
    """Give ``app`` its metrics, its latency middleware (call before adding the other middleware) and its routes."""
    app.state.metrics = RegistryMetrics(app)
    app.add_middleware(RequestLatencyMiddleware, metrics=app.state.metrics)
    app.include_router(build_router())
