"""The findings the registry shows: every standard that applies to a developer, run over its signed documents.

Which standards apply follows from the developer's coverage: the default standard always, and each pack whose
``regime`` the coverage engine says covers the developer (see :func:`candor.domain.standards.standards_that_apply`).

Findings are never read back from the database to be shown. They are recomputed from the document's bytes, once
those bytes are checked against the SHA-256 that the developer's signed statement names, under the pack version
the registry ships. What a standard finds is fixed by (document SHA-256, pack id, pack version), so the result is
memoised in memory under that key and nowhere else: there is no stored copy for an attacker with database access to
edit. The findings table written at publication records what the publisher was told then; append-only triggers
guard it (migration 0005), and nothing here trusts it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date

from candor.domain.coverage import CoverageReport
from candor.domain.parse import ParsedDocument, parse_bytes
from candor.domain.standards import (
    AppliedStandard,
    Finding,
    Severity,
    StandardCatalogue,
    run_standard,
    standards_that_apply,
)
from candor.errors import CandorError
from candor.services.views import FindingView, StandardFindings

#: How many (document, pack version) results are kept in memory; each is a handful of short findings.
MEMO_SIZE = 2048
_SEVERITY_ORDER = {Severity.ERROR.value: 0, Severity.WARNING.value: 1, Severity.NOTICE.value: 2}


class DocumentIntegrityError(CandorError):
    """Stored document bytes that do not hash to the SHA-256 their signed statement names."""

    # The registry's own storage is at fault, not the request: a server error, never findings of other bytes.
    http_status = 500
    error_code = "integrity"


def covered_regimes(report: CoverageReport | None) -> dict[str, str]:
    """The regimes the coverage report says cover the developer, id to title; none without a report."""
    if report is None:
        return {}
    return {
        determination.regime: determination.title for determination in report.determinations if determination.covered
    }


class FindingsByStandard:
    """Runs the applicable standards over published documents, memoised by (document, pack id, pack version)."""

    def __init__(self, catalogue: StandardCatalogue | None = None, *, memo_size: int = MEMO_SIZE) -> None:
        self.catalogue = catalogue or StandardCatalogue.bundled()
        self._memo_size = memo_size
        self._memo: OrderedDict[tuple[str, str, str], list[FindingView]] = OrderedDict()
        # Pages are built on several worker threads; the memo is shared between them.
        self._lock = threading.Lock()

    def applicable(self, report: CoverageReport | None, as_of: date) -> list[AppliedStandard]:
        """The standards a developer with this coverage report is held to on ``as_of``."""
        return standards_that_apply(self.catalogue, covered_regimes(report), as_of)

    def check(
        self, name: str, document_sha256: str, raw: bytes, applied: Sequence[AppliedStandard]
    ) -> list[StandardFindings]:
        """The findings of each applied standard on the document ``raw``, which its statement names by SHA-256."""
        actual = hashlib.sha256(raw).hexdigest()
        if actual != document_sha256:
            raise DocumentIntegrityError(
                f"the stored bytes of document {document_sha256} hash to {actual}; refusing to check them",
                hint="restore the documents table from a backup and run `candor db check`",
            )
        parsed: ParsedDocument | None = None
        results = []
        for standard in applied:
            pack = standard.pack
            key = (document_sha256, pack.id, pack.version)
            with self._lock:
                memoised = self._memo.get(key)
                if memoised is not None:
                    self._memo.move_to_end(key)
            if memoised is None:
                if parsed is None:
                    try:
                        parsed = parse_bytes(name, raw)
                    except CandorError as exc:
                        # A document the registry accepted stays published even if a later parser is stricter.
                        problem = f"the document cannot be checked: {exc.diagnostics()}"
                        return [_group(each, [], problem) for each in applied]
                memoised = _views(pack.id, pack.version, run_standard(pack, parsed))
                with self._lock:
                    self._memo[key] = memoised
                    while len(self._memo) > self._memo_size:
                        self._memo.popitem(last=False)
            results.append(_group(standard, memoised))
        return results


def _views(pack_id: str, version: str, findings: Sequence[Finding]) -> list[FindingView]:
    views = [
        FindingView(pack_id, version, finding.rule_id, finding.severity.value, finding.field, finding.message)
        for finding in findings
    ]
    return sorted(views, key=lambda view: _SEVERITY_ORDER.get(view.severity, len(_SEVERITY_ORDER)))


def _group(standard: AppliedStandard, findings: list[FindingView], problem: str | None = None) -> StandardFindings:
    pack = standard.pack
    return StandardFindings(pack.id, pack.version, pack.title, standard.reason, list(findings), problem)
