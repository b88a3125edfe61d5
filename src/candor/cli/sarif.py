"""A check report as a SARIF 2.1.0 log, so that labs see findings in their CI's code-scanning views.

One run per report. ``tool.driver.rules`` lists every rule of the standard with its help text (rationale,
source and hint), and each result points at the file and line with a URI relative to the base folder, which is
what code-scanning services expect for files in a repository. Files that could not be read or parsed are tool
execution notifications, and make the invocation unsuccessful; they point at their file the same way, so that a
viewer finds the file of a finding and of a failure alike. The base is declared as ``SRCROOT``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from candor import __version__
from candor.domain.standards import Finding, Rule, Severity
from candor.errors import DocumentError
from candor.services.checking import CheckReport

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

# SARIF's levels are error, warning and note; Candor's "notice" is SARIF's "note".
#: The name of the base folder that relative artifact URIs are resolved against.
SRCROOT = "SRCROOT"

#: The key of each result's fingerprint; its version changes if the fingerprint's recipe ever does.
FINGERPRINT = "candorFinding/v1"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}


def sarif_log(report: CheckReport, *, base: Path, registry: str | None = None) -> dict[str, Any]:
    """The SARIF log for ``report``; artifact URIs are relative to ``base`` where the file lies inside it.

    With ``registry`` (a registry's base URL that serves the standard), each rule's ``helpUri`` is its entry on the
    standard's page there; without it, the official text the rule cites.
    """
    rules = list(report.standard.rules)
    index = {rule.id: position for position, rule in enumerate(rules)}
    page = None if registry is None else f"{registry.rstrip('/')}/standards/{quote(report.standard.id)}"
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "candor",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": page or _framework_uri(report),
                "rules": [_descriptor(rule, page) for rule in rules],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": base.resolve().as_uri().rstrip("/") + "/"}},
        "invocations": [_invocation(report, base)],
        "results": [_result(finding, index[finding.rule_id], base) for finding in report.findings],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "standard": report.standard.id,
            "standardVersion": report.standard.version,
            "standardTitle": report.standard.title,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _framework_uri(report: CheckReport) -> str:
    """Without a registry, what the tool checks against: the framework the standard's tenets come from, else the
    official text of its first rule."""
    standard = report.standard
    if standard.tenets:
        return standard.tenets[0].url
    return next((rule.url for rule in standard.rules if rule.url), SARIF_SCHEMA)


def _descriptor(rule: Rule, page: str | None) -> dict[str, Any]:
    help_lines = [rule.rationale, f"Source: {rule.source}"]
    if rule.hint:
        help_lines.append(f"Fix: {rule.hint}")
    return {
        "id": rule.id,
        "name": "".join(word.capitalize() for word in rule.id.split("-")),
        "shortDescription": {"text": rule.message},
        "fullDescription": {"text": rule.rationale},
        "help": {
            "text": "\n\n".join(help_lines),
            "markdown": "\n\n".join([rule.rationale, f"**Source:** {rule.source}", *help_lines[2:]]),
        },
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        **({"helpUri": f"{page}#{quote(rule.id)}"} if page else {"helpUri": rule.url} if rule.url else {}),
        "properties": {"tags": ["transparency", *rule.applies_to], "source": rule.source, "check": rule.check},
    }


def _physical_location(name: str, line: int | None, base: Path) -> dict[str, Any]:
    """Where a finding or a failure is: the file relative to the base, and the line when there is one."""
    uri = artifact_uri(name, base)
    artifact = {"uri": uri} if uri.startswith("file:") else {"uri": uri, "uriBaseId": SRCROOT}
    return (
        {"artifactLocation": artifact}
        if line is None
        else {"artifactLocation": artifact, "region": {"startLine": line}}
    )


def _result(finding: Finding, rule_index: int, base: Path) -> dict[str, Any]:
    location: dict[str, Any] = {"physicalLocation": _physical_location(finding.file, finding.line, base)}
    if finding.field:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.field, "kind": "member"}]
    message = finding.message if not finding.hint else f"{finding.message} ({finding.hint})"
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": message},
        "locations": [location],
        # The same finding in a later run, wherever its line has moved: rule, file, field and what it says.
        "partialFingerprints": {FINGERPRINT: _fingerprint(finding, base)},
    }


def _fingerprint(finding: Finding, base: Path) -> str:
    identity = "\0".join([finding.rule_id, artifact_uri(finding.file, base), finding.field or "", finding.message])
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def _invocation(report: CheckReport, base: Path) -> dict[str, Any]:
    notifications = []
    for unreadable in report.unreadable:
        notification: dict[str, Any] = {
            "level": "error",
            "message": {"text": unreadable.error.diagnostics()},
            "descriptor": {"id": "CANDOR-UNREADABLE"},
        }
        line = unreadable.error.line if isinstance(unreadable.error, DocumentError) else None
        notification["locations"] = [{"physicalLocation": _physical_location(unreadable.name, line, base)}]
        notifications.append(notification)
    return {"executionSuccessful": not report.unreadable, "toolExecutionNotifications": notifications}


def artifact_uri(name: str, base: Path) -> str:
    """A URI reference for a file, relative to ``base`` with forward slashes (``../`` for a file beside it).

    Only a file on another drive than the base, on Windows, has no relative form: its URI is absolute.
    """
    absolute = Path(name).resolve()
    try:
        relative = os.path.relpath(absolute, base.resolve())
    except ValueError:
        return absolute.as_uri()
    return quote(PurePath(relative).as_posix())
