"""Documents: the exact bytes developers publish, stored once under their SHA-256."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.errors import NotFoundError
from candor.store.errors import StoreError
from candor.store.tables import Document

#: What a disclosure is: Markdown with YAML front matter.
MARKDOWN_MEDIA_TYPE = "text/markdown; charset=utf-8"


class DocumentTooLargeError(StoreError):
    """A document over the registry's size limit."""


class Documents:
    """Content-addressed document storage."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(
        self, content: bytes, *, media_type: str = MARKDOWN_MEDIA_TYPE, limit: int = MAX_DOCUMENT_BYTES
    ) -> Document:
        """Store ``content`` (or find it already stored) and return its row; same bytes, same row."""
        if len(content) > min(limit, MAX_DOCUMENT_BYTES):
            raise DocumentTooLargeError(
                f"document is {len(content):,} bytes, over the limit of {min(limit, MAX_DOCUMENT_BYTES):,} bytes"
            )
        sha256 = hashlib.sha256(content).hexdigest()
        existing = self.session.get(Document, sha256)
        if existing is not None:
            return existing
        document = Document(sha256=sha256, size=len(content), media_type=media_type, content=content)
        self.session.add(document)
        self.session.flush()
        return document

    def find(self, sha256: str) -> Document | None:
        """The document with this SHA-256 (hex), if stored."""
        return self.session.get(Document, sha256)

    def content(self, sha256: str) -> bytes | None:
        """The bytes stored under this SHA-256 (hex), if any, without loading the row: as stored, unchecked."""
        return self.session.scalar(select(Document.content).where(Document.sha256 == sha256))

    def get(self, sha256: str) -> Document:
        """The document with this SHA-256 (hex); :class:`NotFoundError` if it is not stored."""
        document = self.find(sha256)
        if document is None:
            raise NotFoundError(f"no document with SHA-256 {sha256}")
        return document
