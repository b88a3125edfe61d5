"""The registry reads a published document as the renderer does, and publishes only the bytes it checked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.parse import parse_bytes
from candor.errors import DocumentError
from candor.services.publishing import Publication, PublishError, statement_for_document
from candor.testing.publishing import ORIGIN, Signer, framework, publisher, register, statement_signed

SECRET = "Our weights sit in the Halden vault"


def publication(signer: Signer, document: bytes) -> Publication:
    """``document`` exactly as given (not redacted first), signed by ``signer``."""
    parsed = parse_bytes("doc.md", document)
    statement = statement_for_document(parsed, document, datetime(2026, 3, 1, tzinfo=UTC), origin=ORIGIN, sealed=None)
    return statement_signed(signer, statement, document)


def test_a_document_with_cr_line_endings_is_refused_naming_the_line(sessions: sessionmaker[Session]) -> None:
    acme = register(sessions, "acme-ai")
    document = framework("acme-ai", 1).replace(b"\n", b"\r\n")
    with pytest.raises(DocumentError, match="carriage return") as raised:
        publisher(sessions).publish(acme.token, publication(acme, document))
    assert raised.value.line == 1


@pytest.mark.parametrize(
    "hiding",
    ["\t```\n\n", "\u00a0```\n\n", "- item\n  ```\n  code\n\n", "<div>\n```\n</div>\n\n", "````\nx\n```\n````\n\n"],
    ids=["tab-fence", "nbsp-fence", "fence-in-list", "fence-in-html", "short-closing-fence"],
)
def test_a_passage_the_old_parser_took_for_code_is_refused_as_still_marked(
    sessions: sessionmaker[Session], hiding: str
) -> None:
    acme = register(sessions, "acme-ai")
    marked = f'\n{hiding}::: redact category=cybersecurity justification="Names a site"\n{SECRET}.\n:::\n'
    document = framework("acme-ai", 1) + marked.encode()
    with pytest.raises(PublishError, match="still marked for redaction"):
        publisher(sessions).publish(acme.token, publication(acme, document))
