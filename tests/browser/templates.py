"""Every page template of the website, and pages of the demo registry that render it.

The whole-site checks (phone width, axe-core, the Nu HTML Checker) run over these pages. A new template must be
added here: ``test_every_page_template_has_pages_to_check`` fails until it is, so no template escapes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.sync_api import Page, Response, Route

import candor.web
from tests.browser.conftest import Site

TEMPLATES = Path(candor.web.__file__).parent / "templates"
#: Templates that are no page: the layout, macros, and the XML feed (partials start with "_").
NOT_PAGES = {"base.html", "macros.html"}

FRAMEWORK = "secure-development-framework"


@dataclass(frozen=True)
class Linked:
    """The page of the first link on the page at ``on`` whose address matches ``pattern`` (an address the demo
    makes up as it seeds, such as a watched page's id)."""

    on: str
    pattern: str


@dataclass(frozen=True)
class Posted:
    """The page a form answers: ``fields`` sent to ``path`` as multipart/form-data, as a browser sends them."""

    path: str
    fields: dict[str, str] = field(default_factory=dict)
    status: int = 200


#: A page: its path, the demo statement whose page it is (developer, kind, version, series), a linked page, or the
#: answer to a form.
Where = str | tuple[str, str, str, str | None] | Linked | Posted

#: A receipt in the right form that no report has.
UNKNOWN_RECEIPT = "7KQ2-9XWM-D3FH-0ABZ-TT4R-NNPV-8C"
#: An empty file field: it makes httpx send the form as multipart/form-data, the only encoding the channel takes.
_NO_FILES = {"attachment": ("", b"", "application/octet-stream")}

#: For each page template, the pages that render it, by name. Documents cover each kind and state: redacted with
#: a diff, a weakening, a withdrawn card, the withdrawal itself and a certification.
PAGES: dict[str, dict[str, Where]] = {
    "home.html": {"home": "/"},
    "statements.html": {"statements": "/statements"},
    "compare.html": {"compare": "/compare"},
    "standards.html": {"standards": "/standards"},
    "standard.html": {
        "minimum-standard": "/standards/candor-minimum-2026.1",
        "extending-standard": "/standards/ca-sb53-2026",
    },
    "log.html": {"log": "/log"},
    "api.html": {"api": "/api"},
    "search.html": {"search-results": "/search?q=biological", "search-nothing-found": "/search?q=zzyzxnothing"},
    "developer.html": {
        "developer-acme-ai": "/developers/acme-ai",
        "developer-borealis-labs": "/developers/borealis-labs",
        "developer-tessellate-ai": "/developers/tessellate-ai",
    },
    "document.html": {
        "redacted-framework-with-diff": ("acme-ai", FRAMEWORK, "2.0", None),
        "weakened-framework": ("borealis-labs", FRAMEWORK, "3.0", None),
        "withdrawn-card": ("tessellate-ai", "system-card", "1.0", "Tessera-1.5"),
        "withdrawal": ("tessellate-ai", "withdrawal", "1.0", None),
        "certification": ("acme-ai", "certification", "2026", None),
    },
    # The diff is a fragment of the document page, rendered for a document that has a previous version.
    "diff.html": {"diff-in-document": ("acme-ai", FRAMEWORK, "2.0", None)},
    "error.html": {"not-found": "/no/such/page", "no-such-statement": "/statements/999999"},
    # What the watcher found on Acme AI's own site while the demo seeded.
    "watched.html": {"watched-page": Linked("/developers/acme-ai", r"/developers/acme-ai/watched/\d+")},
    "observed.html": {"observed-version": Linked("/developers/acme-ai", r"/developers/acme-ai/observations/\d+")},
    # Accountability: every version on one timeline, filtered; the charts.
    "changes.html": {"changes": "/changes", "changes-weakenings": "/changes?direction=weakening"},
    "charts.html": {"charts": "/charts"},
    # The readers' ways in: the developers' index, the log explorer and its entry and consistency pages, bulk data.
    "developers.html": {"developers": "/developers"},
    "explorer.html": {"explorer": "/explorer"},
    "log_entry.html": {"log-entry-key-event": "/explorer/entries/0", "log-entry-statement": "/explorer/entries/3"},
    "consistency.html": {"consistency": "/explorer/consistency?old=2&new=9"},
    "data.html": {"bulk-data": "/data/"},
    # The confidential channel (the site fixture configures it): the form, a refused report, the receipt, and the
    # status form asked about a receipt that matches nothing.
    "report.html": {
        "report-form": "/report",
        "report-refused": Posted("/report", {"body": " "}, status=422),
    },
    "report_receipt.html": {
        "report-receipt": Posted("/report", {"body": "The system card omits its bio evaluation."}, status=201),
    },
    "report_status.html": {
        "report-status-form": "/report/status",
        "report-status-unknown": Posted("/report/status", {"receipt": UNKNOWN_RECEIPT}, status=404),
    },
}


def page_templates() -> set[str]:
    """The templates that make a page or a part of one."""
    return {path.name for path in TEMPLATES.glob("*.html") if not path.name.startswith("_")} - NOT_PAGES


def page_names() -> list[str]:
    """Every page to check, by name, for test ids."""
    return [name for pages in PAGES.values() for name in pages]


def _where(name: str) -> Where:
    return next(pages[name] for pages in PAGES.values() if name in pages)


def path_of(site: Site, name: str) -> str:
    """The path of the page called ``name`` (for a form's answer, the path the form is sent to)."""
    where = _where(name)
    if isinstance(where, str):
        return where
    if isinstance(where, Posted):
        return where.path
    if isinstance(where, Linked):
        found = re.search(f'href="({where.pattern})"', httpx.get(site.url(where.on)).text)
        assert found is not None, f"{where.on} links to no {where.pattern}"
        return found.group(1)
    return site.page_of(*where)


def status_of(name: str) -> int:
    """The status the page called ``name`` is answered with."""
    where = _where(name)
    if isinstance(where, Posted):
        return where.status
    return 404 if name in PAGES["error.html"] else 200


def html_of(site: Site, name: str) -> httpx.Response:
    """The page called ``name``, fetched over HTTP as a browser would."""
    where = _where(name)
    if isinstance(where, Posted):
        return httpx.post(site.url(where.path), data=where.fields, files=_NO_FILES)
    return httpx.get(site.url(path_of(site, name)))


def open_page(page: Page, site: Site, name: str) -> Response:
    """Opens the page called ``name`` in ``page``; a form's answer is opened by a navigation that posts the form."""
    where = _where(name)
    url = site.url(path_of(site, name))
    if isinstance(where, Posted):
        sent = httpx.Request("POST", url, data=where.fields, files=_NO_FILES)
        body = sent.read()

        def post(route: Route) -> None:
            route.continue_(method="POST", post_data=body, headers={**route.request.headers, **sent.headers})

        page.route(url, post)
    try:
        response = page.goto(url)
    finally:
        if isinstance(where, Posted):
            page.unroute(url)
    assert response is not None, name
    assert response.status == status_of(name), f"{name}: {url} answered {response.status}"
    return response
