"""A finding's message is its rule's message, then what only this document can add: which item, what is there
instead. It never says the same thing twice ("Governance makes no binding commitment: governance makes no
'must' commitment")."""

from __future__ import annotations

import re

import pytest

from candor.cli.templates import TemplateKind, template_text
from candor.domain.checks import CheckContext
from candor.domain.parse import parse_bytes
from candor.domain.standards import StandardCatalogue, run_standard
from tests.cli.test_filled_templates import fill

_WORD = re.compile(r"[a-z0-9]+")
#: Words that carry no content of their own.
_STOP = {"the", "a", "an", "of", "to", "for", "is", "are", "no", "not", "does", "do", "it", "its", "and", "or", "by"}


def _content(text: str) -> set[str]:
    return {word.removesuffix("s").removesuffix("ed") for word in _WORD.findall(text.lower().replace("_", " "))} - _STOP


def restates(message: str, rule_message: str) -> bool:
    """Whether a finding's detail, after its rule's message, is mostly words the rule's message already holds."""
    if message == rule_message:
        return False
    detail = message.removeprefix(rule_message + ": ")
    words = _content(detail)
    return bool(words) and len(words & _content(rule_message)) / len(words) >= 0.6


def test_the_measure_catches_the_reported_repetitions() -> None:
    """The control: the messages the issue quoted, and others like them, count as restated."""
    cases = {
        "Governance makes no binding commitment": "governance makes no 'must' commitment",
        "The transparency report does not say how far third-party evaluators were involved": (
            "the card does not say how far third-party evaluators were involved"
        ),
        "The framework does not cover cyber risk": "cyber (Cyber) is not covered",
        "The framework does not give the website it is published on": "website is not given",
    }
    for message, detail in cases.items():
        assert restates(f"{message}: {detail}", message), detail


def _weakened_documents() -> list[tuple[str, bytes]]:
    """The filled-in templates, degraded so that many rules fire: sections and fields gone, commitments weak."""
    sdf = fill(template_text(TemplateKind.SDF))
    sdf = sdf.replace("strength: must", "strength: may").replace("\nwebsite: https://example.com/", "\n# website: ")
    sdf = re.sub(r"\n  - id: cbrn\.radiological\n.*?(?=\n  - id: )", "", sdf, count=1, flags=re.S)
    card = fill(template_text(TemplateKind.SYSTEM_CARD))
    card = re.sub(r"\nthird_party_involvement:[^\n]*(\n  [^\n]*)*", "", card)
    return [("sdf.md", sdf.encode()), ("system-card.md", card.encode())]


@pytest.mark.parametrize("pack_id", StandardCatalogue.bundled().ids())
def test_no_finding_repeats_its_rules_message(pack_id: str) -> None:
    documents = [parse_bytes(name, raw) for name, raw in _weakened_documents()]
    pack = StandardCatalogue.bundled().load(pack_id)
    messages = {rule.id: rule.message for rule in pack.rules}
    context = CheckContext.of(document.model for document in documents)
    findings = [finding for document in documents for finding in run_standard(pack, document, context)]
    assert findings, "the degraded documents must break some rules"
    assert [finding.message for finding in findings if restates(finding.message, messages[finding.rule_id])] == []


def test_a_section_without_a_binding_commitment_says_what_it_has_instead() -> None:
    documents = [parse_bytes(name, raw) for name, raw in _weakened_documents()]
    pack = StandardCatalogue.bundled().load("ca-sb53-2026")
    findings = run_standard(pack, documents[0], CheckContext.of(document.model for document in documents))
    governance = [finding.message for finding in findings if finding.message.startswith("Governance")]
    assert governance == ["Governance makes no binding commitment: its 1 commitment is 'may'"]
