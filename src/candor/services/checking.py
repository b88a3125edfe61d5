"""The check use case: disclosure files on disk in, findings against one standard out.

Every file is read, parsed and checked on its own, so that one unreadable file does not hide the findings in the
others. A file that cannot be read or parsed is reported with the parser's error (file, line, field) instead of
findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from candor.domain.across import AcrossDocument, AcrossFinding, check_across
from candor.domain.checks import CheckContext
from candor.domain.parse import ParsedDocument, parse_bytes
from candor.domain.placeholders import UnfilledPlaceholdersError
from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.domain.standards import Finding, RulePack, Severity, findings_by_severity, run_standard
from candor.errors import CandorError
from candor.services.files import read_input_file


@dataclass(frozen=True)
class CheckedFile:
    """One file that was parsed and checked: its kind and its findings, in rule order."""

    name: str
    kind: str
    findings: list[Finding]


@dataclass(frozen=True)
class UnreadableFile:
    """One file that could not be read or parsed, with the error that says why."""

    name: str
    error: CandorError


@dataclass(frozen=True)
class CheckReport:
    """The outcome of checking files against one standard."""

    standard: RulePack
    checked: list[CheckedFile] = field(default_factory=list)
    unreadable: list[UnreadableFile] = field(default_factory=list)
    #: Contradictions between the files (``candor check --across``); each names the two files it holds together.
    across: list[AcrossFinding] = field(default_factory=list)

    @property
    def unreadable_files(self) -> int:
        """How many files could not be read (one file may give several errors)."""
        return len({unreadable.name for unreadable in self.unreadable})

    @property
    def findings(self) -> list[Finding]:
        """Every finding, file by file."""
        return [finding for checked in self.checked for finding in checked.findings]

    def counts(self) -> dict[Severity, int]:
        """How many findings there are at each severity."""
        return findings_by_severity(self.findings)

    @property
    def exit_code(self) -> int:
        """2 if a file could not be read or parsed, else 1 if any finding is an error, else 0."""
        if self.unreadable:
            return 2
        across_errors = any(finding.severity == Severity.ERROR.value for finding in self.across)
        return 1 if self.counts()[Severity.ERROR] or across_errors else 0


def read_disclosure(path: Path) -> ParsedDocument:
    """Read and parse one disclosure file; an unreadable one is a :class:`SourceError` that names it."""
    return parse_bytes(str(path), read_input_file(path, what="disclosure file", limit=MAX_DOCUMENT_BYTES))


def check_document(document: ParsedDocument, standard: RulePack, context: CheckContext | None = None) -> CheckedFile:
    """Check one parsed disclosure against ``standard``, with the disclosures checked alongside it."""
    return CheckedFile(document.name, document.model.kind, run_standard(standard, document, context))


def check_files(paths: Iterable[Path], standard: RulePack, *, across: bool = False) -> CheckReport:
    """Read, parse and check each file; files that fail to read or parse are reported, not raised.

    All files are parsed before any is checked, so that a system card or certification is compared with the
    framework it names when that framework is among the files. With ``across``, the files are also checked
    against each other (:mod:`candor.domain.across`).
    """
    report = CheckReport(standard)
    documents: list[ParsedDocument] = []
    for path in paths:
        try:
            documents.append(read_disclosure(path))
        except CandorError as exc:
            # Every unfilled placeholder of a template is reported, not only the first.
            each = exc.each if isinstance(exc, UnfilledPlaceholdersError) else [exc]
            report.unreadable.extend(UnreadableFile(str(path), error) for error in each)
    context = CheckContext.of(document.model for document in documents)
    report.checked.extend(check_document(document, standard, context) for document in documents)
    if across:
        report.across.extend(check_across([AcrossDocument(document.name, document.model) for document in documents]))
    return report
