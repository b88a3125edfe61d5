"""A check report as a SARIF 2.1.0 log, so that labs see findings in their CI's code-scanning views.

One run per report. ``tool.driver.rules`` lists every rule of the standard with its help text (rationale,
source and hint), and each result points at the file and line with a URI relative to the base folder, which is
what code-scanning services expect for files in a repository. Files that could not be read or parsed are tool
execution notifications, and make the invocation unsuccessful.
"""

from __future__ import annotations

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
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}


def sarif_log(report: CheckReport, *, base: Path) -> dict[str, Any]:
    """The SARIF log for ``report``; artifact URIs are relative to ``base`` where the file lies inside it."""
    rules = list(report.standard.rules)
    index = {rule.id: position for position, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "candor",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_descriptor(rule) for rule in rules],
            }
        },
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


def _descriptor(rule: Rule) -> dict[str, Any]:
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
        "properties": {"tags": ["transparency", *rule.applies_to], "source": rule.source, "check": rule.check},
    }


def _result(finding: Finding, rule_index: int, base: Path) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(finding.file, base)}}
    if finding.line is not None:
        physical["region"] = {"startLine": finding.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.field:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.field, "kind": "member"}]
    message = finding.message if not finding.hint else f"{finding.message} ({finding.hint})"
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": message},
        "locations": [location],
    }


def _invocation(report: CheckReport, base: Path) -> dict[str, Any]:
    notifications = []
    for unreadable in report.unreadable:
        notification: dict[str, Any] = {
            "level": "error",
            "message": {"text": unreadable.error.diagnostics()},
            "descriptor": {"id": "CANDOR-UNREADABLE"},
        }
        physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(unreadable.name, base)}}
        line = unreadable.error.line if isinstance(unreadable.error, DocumentError) else None
        if line is not None:
            physical["region"] = {"startLine": line}
        notification["locations"] = [{"physicalLocation": physical}]
        notifications.append(notification)
    return {"executionSuccessful": not report.unreadable, "toolExecutionNotifications": notifications}


def artifact_uri(name: str, base: Path) -> str:
    """A URI reference for a file: relative to ``base`` (with forward slashes) when inside it, else absolute."""
    absolute = Path(name).resolve()
    try:
        relative = os.path.relpath(absolute, base.resolve())
    except ValueError:  # another drive, on Windows
        return absolute.as_uri()
    if relative == ".." or relative.startswith(".." + os.sep):
        return absolute.as_uri()
    return quote(PurePath(relative).as_posix())
