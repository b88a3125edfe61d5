"""The line-by-line diff of two versions of a disclosure, and what a disclosure says per risk domain.

Pure functions over parsed documents, so the website and the API show the same reading of the same bytes. What a
change *means* (a weakening, a strengthening) is ``candor diff``'s alone (:mod:`candor.domain.diff`, stored per
version by :mod:`candor.services.version_diffs`): this module only lays the texts side by side.
"""

from __future__ import annotations

import difflib

from candor.domain.documents import (
    Certification,
    SecureDevelopmentFramework,
    SystemCard,
)
from candor.domain.taxonomy import risk_domain_title
from candor.services.views import DiffLine, RiskDomainRow

Disclosure = SecureDevelopmentFramework | SystemCard | Certification

#: Lines of unchanged text shown around each change.
CONTEXT_LINES = 3


def text_diff(before: str, after: str) -> tuple[list[DiffLine], int, int]:
    """A unified diff of two document texts, line by line, with the counts of added and removed lines."""
    lines: list[DiffLine] = []
    added = removed = 0
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=CONTEXT_LINES)
    for line in diff:
        if line.startswith(("---", "+++")):
            continue  # file headers: both sides are the same document
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            added += 1
            lines.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            removed += 1
            lines.append(DiffLine("removed", line[1:]))
        else:
            lines.append(DiffLine("context", line[1:]))
    return lines, added, removed


def risk_domain_rows(disclosure: Disclosure | None) -> list[RiskDomainRow]:
    """The document's summary table: for each risk domain, its thresholds, evaluations and mitigations."""
    if isinstance(disclosure, SecureDevelopmentFramework):
        return [
            RiskDomainRow(
                domain_id=domain.id,
                title=risk_domain_title(domain.id),
                strength=domain.strength,
                thresholds=[f"{t.tier}: {t.description}" for t in domain.thresholds],
                evaluations=[f"{e.method} ({e.strength})" for e in domain.evaluations],
                mitigations=[f"{m.description} ({m.strength})" for m in domain.mitigations],
            )
            for domain in disclosure.risk_domains
        ]
    if isinstance(disclosure, SystemCard):
        return [
            RiskDomainRow(
                domain_id=evaluation.domain,
                title=risk_domain_title(evaluation.domain),
                strength=None,
                thresholds=[f"Determination: {evaluation.determination}", *evaluation.thresholds],
                evaluations=[f"{evaluation.procedure} — {evaluation.results}"],
                mitigations=[m.description for m in disclosure.mitigations_for(evaluation.domain)],
            )
            for evaluation in disclosure.evaluations
        ]
    return []
