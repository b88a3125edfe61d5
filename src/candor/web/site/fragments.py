"""Pages and parts of pages rendered once and kept while what they show cannot have changed.

A diff between two document versions depends on nothing but the two digests, so its HTML never changes. A whole
document page depends on the registry's revision (see :meth:`RegistryQueries.revision`) and the address it is
served under, so it is kept under those.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from jinja2 import Environment
from markupsafe import Markup

from candor.services.views import VersionChanges

#: How many rendered diffs one app keeps.
DIFF_CACHE_SIZE = 256
#: How many rendered pages one app keeps.
PAGE_CACHE_SIZE = 512


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


class PageCache:
    """Rendered pages by key, least recently used first out. Safe under threads: each step is one dict operation."""

    def __init__(self, size: int = PAGE_CACHE_SIZE) -> None:
        self._size = size
        self._pages: OrderedDict[Hashable, bytes] = OrderedDict()

    def get(self, key: Hashable) -> bytes | None:
        return self._pages.get(key)

    def put(self, key: Hashable, page: bytes) -> None:
        self._pages[key] = page
        while len(self._pages) > self._size:
            try:
                self._pages.popitem(last=False)
            except KeyError:  # another thread emptied it first
                break
