"""The document page's redaction statistics, read from the published bytes."""

from __future__ import annotations

from candor.domain.parse import parse_bytes
from candor.domain.redaction import DocumentRedactions
from candor.domain.redaction_statistics import RedactionStatistics, redaction_statistics
from candor.errors import CandorError
from candor.services.queries import RegistryQueries


def published_redaction_statistics(registry: RegistryQueries, document_sha256: str) -> RedactionStatistics | None:
    """How much of the published document ``document_sha256`` is redacted; None if it no longer parses."""
    try:
        parsed = parse_bytes(f"{document_sha256[:12]}.md", registry.document_bytes(document_sha256))
    except CandorError:
        return None  # published under an older parser: its page shows the text without statistics
    return redaction_statistics(DocumentRedactions.of(parsed.body, parsed.redactions))
