"""Every page template of the website, and pages of the demo registry that render it.

The whole-site checks (phone width, axe-core, the Nu HTML Checker) run over these pages. A new template must be
added here: ``test_every_page_template_has_pages_to_check`` fails until it is, so no template escapes them.
"""

from __future__ import annotations

from pathlib import Path

import candor.web
from tests.browser.conftest import Site

TEMPLATES = Path(candor.web.__file__).parent / "templates"
#: Templates that are no page: the layout, macros, and the XML feed (partials start with "_").
NOT_PAGES = {"base.html", "macros.html"}

FRAMEWORK = "secure-development-framework"

#: A page: its path, or the demo statement whose page it is (developer, kind, version, series).
Where = str | tuple[str, str, str, str | None]

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
}


def page_templates() -> set[str]:
    """The templates that make a page or a part of one."""
    return {path.name for path in TEMPLATES.glob("*.html") if not path.name.startswith("_")} - NOT_PAGES


def page_names() -> list[str]:
    """Every page to check, by name, for test ids."""
    return [name for pages in PAGES.values() for name in pages]


def path_of(site: Site, name: str) -> str:
    """The path of the page called ``name``."""
    where = next(pages[name] for pages in PAGES.values() if name in pages)
    return where if isinstance(where, str) else site.page_of(*where)
