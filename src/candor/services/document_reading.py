"""Reading published documents for the read side: bytes checked against their digest, parsed once, compared.

Parsed documents are cached by their SHA-256: the bytes behind a digest never change, so neither does what they
parse to, nor how two of them compare.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session

from candor.domain.parse import ParsedDocument, parse_bytes
from candor.errors import CandorError, NotFoundError
from candor.services.changes import Disclosure, text_diff, weakened_commitments
from candor.services.views import CommitmentChange, DiffLine, StatementSummary, VersionChanges
from candor.store.documents import Documents

logger = logging.getLogger(__name__)

#: How many parsed documents one reader keeps.
PARSED_CACHE_SIZE = 512


@dataclass(frozen=True, eq=False)
class ParsedBody:
    """What a stored document reads as: its model (None if it no longer parses) and its Markdown body.

    Compared by identity, so that it can ride along in cache keys whose digests already identify it.
    """

    disclosure: Disclosure | None
    body: str
    text: str


#: What a statement without a document (a withdrawal) reads as.
NO_DOCUMENT = ParsedBody(None, "", "")


class TamperedDocumentError(CandorError):
    """A stored document whose bytes no longer hash to the SHA-256 they are stored under: served to nobody."""

    http_status = 500
    error_code = "tampered_document"

    def __init__(self, sha256: str, found: str) -> None:
        super().__init__(
            f"the registry's copy of document {sha256} is damaged (its bytes hash to {found}); it is not served",
            hint="the operator is alerted; `candor audit` lists every damaged row",
        )
        self.sha256 = sha256
        self.found = found


@lru_cache(maxsize=256)
def _compare(
    before_sha256: str, before: ParsedBody, after_sha256: str, after: ParsedBody
) -> tuple[list[DiffLine], int, int, list[CommitmentChange]]:
    # Keyed by both digests (the parsed bodies ride along): two fixed byte strings always compare the same way.
    lines, added, removed = text_diff(before.text, after.text)
    return lines, added, removed, weakened_commitments(before.disclosure, after.disclosure)


def _parse(sha256: str, raw: bytes) -> ParsedBody:
    text = raw.decode("utf-8", errors="replace")
    try:
        parsed: ParsedDocument = parse_bytes(f"{sha256[:12]}.md", raw)
    except CandorError:
        # Published documents stay readable even if a later parser is stricter than the one that accepted them.
        return ParsedBody(None, text, text)
    return ParsedBody(parsed.model, parsed.body, text)


class DocumentReader:
    """Published documents inside the caller's session, with a bounded cache of what they parse to."""

    def __init__(self) -> None:
        self._parsed_by_digest: OrderedDict[str, ParsedBody] = OrderedDict()

    @staticmethod
    def verified_bytes(session: Session, sha256: str) -> bytes:
        """The exact bytes of a published document, refused if they no longer hash to ``sha256``."""
        content = Documents(session).content(sha256)
        if content is None:
            raise NotFoundError(f"no document with SHA-256 {sha256}")
        # Triggers do not stop whoever owns the database: never hand on bytes that are not the ones addressed.
        # Every page and API answer built from a document reads it here, so this is the one place to check.
        found = hashlib.sha256(content).hexdigest()
        if found != sha256:
            logger.error("INTEGRITY: document %s in the database hashes to %s; refusing to serve it", sha256, found)
            raise TamperedDocumentError(sha256, found)
        return content

    def parsed(self, session: Session, sha256: str) -> ParsedBody:
        """What the document with this digest reads as."""
        cached = self._parsed_by_digest.get(sha256)
        if cached is not None:
            return cached
        parsed = _parse(sha256, self.verified_bytes(session, sha256))
        self._parsed_by_digest[sha256] = parsed
        if len(self._parsed_by_digest) > PARSED_CACHE_SIZE:
            self._parsed_by_digest.popitem(last=False)
        return parsed

    def changes_since_previous(
        self, session: Session, statement: StatementSummary, versions: Sequence[StatementSummary]
    ) -> VersionChanges | None:
        """How ``statement``'s document differs from the latest earlier version in ``versions`` that has one."""
        previous = next((v for v in versions if v.log_index < statement.log_index and v.document_sha256), None)
        if previous is None or previous.document_sha256 is None or statement.document_sha256 is None:
            return None
        before = self.parsed(session, previous.document_sha256)
        after = self.parsed(session, statement.document_sha256)
        lines, added, removed, weakened = _compare(previous.document_sha256, before, statement.document_sha256, after)
        return VersionChanges(previous, lines, weakened, added, removed)
