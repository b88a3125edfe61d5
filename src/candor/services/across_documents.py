"""Checks across documents on the registry: each developer's published documents held against each other.

The rules are :mod:`candor.domain.across`'s, the same that ``candor check --across`` runs on files. The registry
gives them every version the developer published and has not withdrawn, parsed from the stored bytes, and shows
each finding on both documents it names. Results are kept per developer until the developer publishes or
withdraws again (its latest log index moves), so a page view does not parse the developer's history again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from candor.domain.across import AcrossDocument, AcrossFinding, check_across
from candor.domain.parse import parse_bytes
from candor.domain.statement import KIND_TITLES, StatementKind
from candor.errors import CandorError
from candor.store.developer_documents import DeveloperDocuments, PublishedDocument

logger = logging.getLogger(__name__)

CHECKED_KINDS = (StatementKind.SECURE_DEVELOPMENT_FRAMEWORK, StatementKind.SYSTEM_CARD, StatementKind.CERTIFICATION)
#: How many developers' results one app keeps.
CACHED_DEVELOPERS = 256


@dataclass(frozen=True)
class AcrossFindingView:
    """A finding across documents, as one of the two documents' pages shows it."""

    rule_id: str
    source: str
    message: str
    hint: str | None
    #: True on the page of the document that falls short; False on the page of the one it is held against.
    falls_short: bool
    other_log_index: int
    other_title: str


class AcrossDocuments:
    """The registry's checks across documents, kept per developer."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._kept: OrderedDict[str, tuple[int, list[AcrossFinding], dict[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def for_statement(self, log_index: int) -> list[AcrossFindingView]:
        """The findings that name the statement at ``log_index``, on either side."""
        with self._sessions() as session:
            documents = DeveloperDocuments(session)
            slug = documents.developer_of(log_index)
            if slug is None:
                return []
            revision = documents.revision(slug)
            with self._lock:
                kept = self._kept.get(slug)
            if kept is None or kept[0] != revision:
                findings, titles = self._check(documents.published(slug, CHECKED_KINDS))
                kept = (revision, findings, titles)
                with self._lock:
                    self._kept[slug] = kept
                    self._kept.move_to_end(slug)
                    while len(self._kept) > CACHED_DEVELOPERS:
                        self._kept.popitem(last=False)
        _, findings, titles = kept
        name = str(log_index)
        return [
            AcrossFindingView(
                rule_id=finding.rule_id,
                source=finding.rule.source,
                message=finding.message,
                hint=finding.hint,
                falls_short=finding.subject == name,
                other_log_index=int(finding.other if finding.subject == name else finding.subject),
                other_title=titles[finding.other if finding.subject == name else finding.subject],
            )
            for finding in findings
            if finding.involves(name)
        ]

    @staticmethod
    def _check(published: list[PublishedDocument]) -> tuple[list[AcrossFinding], dict[str, str]]:
        documents: list[AcrossDocument] = []
        titles: dict[str, str] = {}
        # Newest first, so that of two versions claiming one (developer, version), the latest is the one held to.
        for version in reversed(published):
            if version.withdrawn or hashlib.sha256(version.content).hexdigest() != version.document_sha256:
                continue  # a withdrawn document binds nothing; a damaged one is not read (see the audit)
            try:
                model = parse_bytes(f"{version.log_index}.md", version.content).model
            except CandorError:
                continue  # published under an older parser: checked on its own page, not held against others
            name = str(version.log_index)
            documents.append(AcrossDocument(name, model, version.published_at))
            series = f" {version.series}" if version.series else ""
            titles[name] = f"{KIND_TITLES.get(version.kind, version.kind)}{series}, version {version.version}"
        return check_across(documents), titles
