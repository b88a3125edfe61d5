"""Pages and parts of pages rendered once and kept while what they show cannot have changed.

A diff between two document versions depends on nothing but the two digests, so its HTML never changes. A whole
answer (a page, an API answer) depends on the registry version and its URL, which its ETag digests (see
:mod:`candor.web.conditional`), so it is kept under that ETag and served again without running its route.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from jinja2 import Environment
from markupsafe import Markup

from candor.services.views import VersionChanges

#: How many rendered diffs one app keeps.
DIFF_CACHE_SIZE = 256
#: How many rendered pages one app keeps.
PAGE_CACHE_SIZE = 512
#: How many bytes of bodies they may hold between them.
PAGE_CACHE_BYTES = 64 * 1024 * 1024


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


@dataclass(frozen=True)
class CachedAnswer:
    """A 200 answer as the app sent it: its headers (ASGI pairs) and its whole body."""

    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


class PageCache:
    """Whole answers by key, least recently used first out, within ``size`` entries and ``max_bytes`` of bodies.

    Used from the event loop only (by :class:`~candor.web.conditional.ConditionalGetMiddleware`), so it needs no lock.
    """

    def __init__(self, size: int = PAGE_CACHE_SIZE, max_bytes: int = PAGE_CACHE_BYTES) -> None:
        self._size = size
        self._max_bytes = max_bytes
        self._bytes = 0
        self._answers: OrderedDict[Hashable, CachedAnswer] = OrderedDict()

    def get(self, key: Hashable) -> CachedAnswer | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def put(self, key: Hashable, answer: CachedAnswer) -> None:
        if len(answer.body) > self._max_bytes:
            return
        previous = self._answers.pop(key, None)
        if previous is not None:
            self._bytes -= len(previous.body)
        self._answers[key] = answer
        self._bytes += len(answer.body)
        while len(self._answers) > self._size or self._bytes > self._max_bytes:
            _, evicted = self._answers.popitem(last=False)
            self._bytes -= len(evicted.body)
