"""Parts of pages that depend only on immutable content, rendered once and kept.

A diff between two document versions depends on nothing but the two digests, so its HTML never changes.
"""

from __future__ import annotations

from collections import OrderedDict

from jinja2 import Environment
from markupsafe import Markup

from candor.services.views import VersionChanges

#: How many rendered diffs one app keeps.
DIFF_CACHE_SIZE = 256


class DiffFragments:
    """The rendered diff table of each pair of document versions, by their digests."""

    def __init__(self, env: Environment) -> None:
        self._template = env.get_template("diff.html")
        self._rendered: OrderedDict[tuple[str, str], Markup] = OrderedDict()

    def render(self, changes: VersionChanges, after_sha256: str) -> Markup:
        before_sha256 = changes.previous.document_sha256 or ""
        key = (before_sha256, after_sha256)
        cached = self._rendered.get(key)
        if cached is None:
            # The template autoescapes every value, so its output is safe to mark.
            cached = Markup(self._template.render(changes=changes, previous_version=changes.previous.version))  # noqa: S704
            self._rendered[key] = cached
            if len(self._rendered) > DIFF_CACHE_SIZE:
                self._rendered.popitem(last=False)
        return cached
