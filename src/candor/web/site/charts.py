"""The charts page: three charts drawn on the server as SVG, each with a title, a description and a data table.

No script runs in the browser. The SVG is inline, so screen readers announce each chart by its ``<title>`` and
``<desc>`` (``role="img"``), and the table after each chart holds every value the chart draws. Colours come from
the site's stylesheet (the content security policy allows no inline style), and never carry meaning alone: cells
are labelled and version marks differ in shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from candor.services.charts import ChartsData, charts_data
from candor.web.api.changes import Diffs
from candor.web.deps import Queries, Templates

#: Timeline drawing area, in SVG units.
TIMELINE_LEFT = 190
TIMELINE_WIDTH = 560


@dataclass(frozen=True)
class TimelineScale:
    """Where a moment falls on the timeline's x axis."""

    start: datetime
    end: datetime

    def x(self, moment: datetime) -> float:
        span = (self.end - self.start).total_seconds()
        if span <= 0:
            return TIMELINE_LEFT + TIMELINE_WIDTH / 2
        return round(TIMELINE_LEFT + (moment - self.start).total_seconds() / span * TIMELINE_WIDTH, 1)


def timeline_scale(data: ChartsData) -> TimelineScale | None:
    moments = [mark.published_at for timeline in data.timelines for mark in timeline.versions]
    return TimelineScale(min(moments), max(moments)) if moments else None


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/charts", response_class=HTMLResponse)
    def charts(request: Request, registry: Queries, diffs: Diffs, templates: Templates) -> HTMLResponse:
        data = charts_data(registry, diffs)
        context = {
            "data": data,
            "scale": timeline_scale(data),
            "timeline_left": TIMELINE_LEFT,
            "timeline_width": TIMELINE_WIDTH,
        }
        response: HTMLResponse = templates.TemplateResponse(request, "charts.html", context)
        return response

    return router
