"""A semantic diff of two versions of a disclosure: which changes weaken what the developer promised.

Pure functions over parsed documents (or over plain text, for documents without front matter). Each change has a
``kind`` from a fixed vocabulary and a ``direction``; :data:`KIND_DIRECTIONS` fixes the direction of each kind and
``docs/diff.md`` explains why. Matching is by stable id, never by position, so reordering a list is not a change.

Text is read too: the Markdown body (or a whole plain-text document) is split into sentences after formatting is
stripped, sentences present in both versions are set aside whatever their order, and the rest are paired by
similarity. A paired sentence whose modal verb weakens ("must" to "should") or that gains an escape clause is
reported; anything else is editorial. Text analysis says less than the front matter, on purpose: it reports only
what the words show.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from candor.domain.documents import (
    RESPONSE_ACTIONS,
    STRENGTHS,
    Certification,
    Governance,
    SecureDevelopmentFramework,
    SystemCard,
)
from candor.domain.yamlload import FieldPath, format_path

Direction = Literal["weakening", "strengthening", "neutral"]
Overall = Literal["weakening", "strengthening", "mixed", "neutral"]

#: Every change kind and its direction. A change that makes a promise later, vaguer, narrower, rarer, less
#: independent or easier to set aside is a weakening; its opposite a strengthening.
KIND_DIRECTIONS: dict[str, Direction] = {
    "risk_domain_removed": "weakening",
    "risk_domain_added": "strengthening",
    "risk_domain_made_research_only": "weakening",
    "risk_domain_made_binding": "strengthening",
    "threshold_raised": "weakening",
    "threshold_lowered": "strengthening",
    "threshold_made_qualitative": "weakening",
    "threshold_made_quantitative": "strengthening",
    "threshold_removed": "weakening",
    "threshold_added": "strengthening",
    "commitment_removed": "weakening",
    "commitment_added": "strengthening",
    "commitment_strength_lowered": "weakening",
    "commitment_strength_raised": "strengthening",
    "response_weakened": "weakening",
    "response_strengthened": "strengthening",
    "escape_clause_added": "weakening",
    "escape_clause_removed": "strengthening",
    "cadence_lengthened": "weakening",
    "cadence_shortened": "strengthening",
    "third_party_dropped": "weakening",
    "third_party_added": "strengthening",
    "scope_narrowed": "weakening",
    "scope_widened": "strengthening",
    "evaluation_removed": "weakening",
    "evaluation_added": "strengthening",
    "determination_lowered": "weakening",
    "determination_raised": "strengthening",
    "changelog_omits_change": "weakening",
    "editorial_only": "neutral",
}

DocumentKindName = Literal["secure-development-framework", "system-card", "certification", "text"]


@dataclass(frozen=True)
class Change:
    """One change between two versions, with what it was, what it is and why it matters."""

    kind: str
    path: str
    before: Any
    after: Any
    explanation: str
    #: The id the change is about (commitment, threshold, domain), for the changelog check; not shown.
    subject: str | None = field(default=None, compare=False)

    @property
    def direction(self) -> Direction:
        return KIND_DIRECTIONS[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "direction": self.direction,
            "path": self.path,
            "before": self.before,
            "after": self.after,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class DiffResult:
    """All changes between two versions and their overall direction."""

    changes: tuple[Change, ...]

    @property
    def direction(self) -> Overall:
        directions = {change.direction for change in self.changes}
        if "weakening" in directions:
            return "mixed" if "strengthening" in directions else "weakening"
        return "strengthening" if "strengthening" in directions else "neutral"

    def to_json(self) -> dict[str, Any]:
        return {"direction": self.direction, "changes": [change.to_json() for change in self.changes]}


Document = SecureDevelopmentFramework | SystemCard | Certification


def diff_documents(old: Document | None, new: Document | None, old_text: str, new_text: str) -> DiffResult:
    """Compare two versions: their front matter (``None`` for plain text) and their prose.

    The caller checks that both are the same kind of document by the same developer.
    """
    changes: list[Change] = []
    if isinstance(old, SecureDevelopmentFramework) and isinstance(new, SecureDevelopmentFramework):
        changes += _framework_changes(old, new)
    elif isinstance(old, SystemCard) and isinstance(new, SystemCard):
        changes += _card_changes(old, new)
    changes += _text_changes(old_text, new_text, "body" if old is not None else "text")
    if isinstance(old, SecureDevelopmentFramework) and isinstance(new, SecureDevelopmentFramework):
        changes += _changelog_omissions(old, new, changes)
    if not changes and (old != new or _normalise(old_text) != _normalise(new_text) or old_text != new_text):
        changes.append(
            Change(
                "editorial_only",
                "(document)",
                None,
                None,
                "No change of substance found: what differs is wording, order or formatting.",
            )
        )
    return DiffResult(tuple(changes))


# --- Frameworks ------------------------------------------------------------------------------------------------


def _framework_changes(old: SecureDevelopmentFramework, new: SecureDevelopmentFramework) -> Iterator[Change]:
    # Scope, review and third-party changes have no id; the changelog names them by their section's word.
    yield from (replace(change, subject="scope") for change in _scope_changes(old, new))
    old_domains = {domain.id: (index, domain) for index, domain in enumerate(old.risk_domains)}
    new_domains = {domain.id: (index, domain) for index, domain in enumerate(new.risk_domains)}
    for ident, (index, _) in old_domains.items():
        if ident not in new_domains:
            yield Change(
                "risk_domain_removed",
                format_path(("risk_domains", index)),
                ident,
                None,
                f"The risk domain {ident} is no longer assessed.",
                ident,
            )
    for ident, (index, _) in new_domains.items():
        if ident not in old_domains:
            yield Change(
                "risk_domain_added",
                format_path(("risk_domains", index)),
                None,
                ident,
                f"New risk domain {ident}.",
                ident,
            )
    for ident, (index, domain) in new_domains.items():
        if ident not in old_domains:
            continue
        before = old_domains[ident][1]
        base: FieldPath = ("risk_domains", index)
        if (before.status or "binding") != (domain.status or "binding"):
            kind = (
                "risk_domain_made_binding" if domain.status in (None, "binding") else "risk_domain_made_research_only"
            )
            yield Change(
                kind,
                format_path((*base, "status")),
                before.status or "binding",
                domain.status or "binding",
                f"The risk domain {ident} is now {domain.status or 'binding'}.",
                ident,
            )
        yield from _threshold_changes(before.thresholds, domain.thresholds, base)
        yield from _evaluation_changes(before.evaluations, domain.evaluations, base)
        yield from _response_changes(before.responses, domain.responses, base)
    # Commitments by id, except those inside a domain added or removed (reported as the domain).
    gone = {ident for ident in old_domains if ident not in new_domains}
    came = {ident for ident in new_domains if ident not in old_domains}
    # Likewise inside a third-party section added or removed (reported as third_party_dropped or _added).
    sections = {section for section, _ in old.practices()} ^ {section for section, _ in new.practices()}
    old_refs = {ref.id: ref for ref in old.commitments() if not _inside(ref.path, old, gone, sections)}
    new_refs = {ref.id: ref for ref in new.commitments() if not _inside(ref.path, new, came, sections)}
    for ident, ref in old_refs.items():
        if ident in gone:
            continue
        now = new_refs.get(ident)
        if now is None:
            yield Change(
                "commitment_removed",
                format_path(ref.path),
                ref.strength,
                None,
                f"{ident} ({ref.strength}) was dropped.",
                ident,
            )
        elif now.strength != ref.strength:
            lowered = STRENGTHS.index(now.strength) > STRENGTHS.index(ref.strength)
            yield Change(
                "commitment_strength_lowered" if lowered else "commitment_strength_raised",
                format_path((*now.path, "strength")),
                ref.strength,
                now.strength,
                f"{ident} went from {ref.strength} to {now.strength}.",
                ident,
            )
        else:
            yield from _sentence_changes([ref.text], [now.text], format_path(now.path), ident)
    for ident, ref in new_refs.items():
        if ident not in old_refs and ident not in came and any(_is_escape(part) for part in sentences(ref.text)):
            # A "commitment" that lets the developer relax the others is an escape clause, not a new promise.
            yield Change(
                "escape_clause_added",
                format_path(ref.path),
                None,
                ref.text,
                f"New commitment {ident} lets the developer relax its commitments.",
                ident,
            )
        elif ident not in old_refs and ident not in came:
            yield Change(
                "commitment_added",
                format_path(ref.path),
                None,
                ref.strength,
                f"New commitment {ident} ({ref.strength}).",
                ident,
            )
    yield from _prose_field_changes(old, new)
    old_clauses = {clause.id for clause in old.adjustment_clauses}
    new_clauses = {clause.id for clause in new.adjustment_clauses}
    for index, clause in enumerate(new.adjustment_clauses):
        if clause.id not in old_clauses:
            yield Change(
                "escape_clause_added",
                format_path(("adjustment_clauses", index)),
                None,
                clause.condition,
                f"New condition under which commitments may be relaxed: {clause.effect}",
                clause.id,
            )
    for index, clause in enumerate(old.adjustment_clauses):
        if clause.id not in new_clauses:
            yield Change(
                "escape_clause_removed",
                format_path(("adjustment_clauses", index)),
                clause.condition,
                None,
                "A condition for relaxing commitments was withdrawn.",
                clause.id,
            )
    if new.review.cadence_months != old.review.cadence_months:
        longer = new.review.cadence_months > old.review.cadence_months
        yield Change(
            "cadence_lengthened" if longer else "cadence_shortened",
            "review.cadence_months",
            old.review.cadence_months,
            new.review.cadence_months,
            "The framework is reviewed less often." if longer else "The framework is reviewed more often.",
            "review",
        )
    if (old.third_party_assessment is None) != (new.third_party_assessment is None):
        dropped = new.third_party_assessment is None
        yield Change(
            "third_party_dropped" if dropped else "third_party_added",
            "third_party_assessment",
            None if old.third_party_assessment is None else old.third_party_assessment.summary,
            None if new.third_party_assessment is None else new.third_party_assessment.summary,
            "The framework no longer says how third parties assess risk."
            if dropped
            else "The framework now says how third parties assess risk.",
            "third-party",
        )


def _prose_field_changes(old: SecureDevelopmentFramework, new: SecureDevelopmentFramework) -> Iterator[Change]:
    """Firm-to-soft verbs and escape wording in the front matter's prose that no commitment holds."""
    before = {key: text for key, _, text in _prose_fields(old)}
    for key, path, text in _prose_fields(new):
        was = before.get(key)
        if was is not None and was != text:
            yield from _sentence_changes([was], [text], path, None, report_lost=False)


def _prose_fields(framework: SecureDevelopmentFramework) -> Iterator[tuple[str, str, str]]:
    """(key, path, text) of each prose field; keyed by section or id, so reordering pairs no unrelated texts."""
    yield "scope.criteria", "scope.criteria", framework.scope.criteria
    if framework.scope.substantially_modified is not None:
        yield "scope.substantially_modified", "scope.substantially_modified", framework.scope.substantially_modified
    for section, practice in framework.practices():
        if isinstance(practice, Governance):
            yield "governance.board_oversight", "governance.board_oversight", practice.board_oversight
        else:
            yield f"{section}.summary", f"{section}.summary", practice.summary
    for d_index, domain in enumerate(framework.risk_domains):
        for t_index, threshold in enumerate(domain.thresholds):
            path = format_path(("risk_domains", d_index, "thresholds", t_index, "description"))
            yield f"threshold:{threshold.id}", path, threshold.description


def _inside(path: FieldPath, framework: SecureDevelopmentFramework, domains: set[str], sections: set[str]) -> bool:
    """Whether a commitment sits in one of ``domains`` or, for the third-party section, in ``sections``."""
    if path[0] == "third_party_assessment":
        return path[0] in sections
    if path[0] != "risk_domains" or not isinstance(path[1], int):
        return False
    return framework.risk_domains[path[1]].id in domains


def _scope_changes(old: SecureDevelopmentFramework, new: SecureDevelopmentFramework) -> Iterator[Change]:
    removed, added, paired = _pair_texts(old.scope.models, new.scope.models)
    for text in removed:
        yield Change("scope_narrowed", "scope.models", text, None, f"No longer covered: {text}")
    for text in added:
        yield Change("scope_widened", "scope.models", None, text, f"Now covered: {text}")
    for before, after in paired:
        lost = [word for word in _MODIFICATION_WORDS if word in before.casefold() and word not in after.casefold()]
        if lost:
            yield Change("scope_narrowed", "scope.models", before, after, f"No longer covers {', '.join(lost)} models.")
        else:
            yield from _scope_bar(before, after, "scope.models")
    _, _, criteria = _pair_texts(sentences(old.scope.criteria), sentences(new.scope.criteria))
    for before, after in criteria:
        yield from _scope_bar(before, after, "scope.criteria")
    for token in old.scope.modifications:
        if token not in new.scope.modifications:
            yield Change(
                "scope_narrowed", "scope.modifications", token, None, f"Modifications ({token}) no longer covered."
            )
    for token in new.scope.modifications:
        if token not in old.scope.modifications:
            yield Change("scope_widened", "scope.modifications", None, token, f"Modifications ({token}) now covered.")


def _scope_bar(before: str, after: str, path: str) -> Iterator[Change]:
    """A coverage bar such as "more than 1e26 operations" moved: a higher bar covers fewer models.

    Only large numbers (1,000 and up: compute, parameters, money) are read, so "Acme-3" becoming "Acme-4" is not.
    """
    moved = _single_move([n for n in _numbers(before) if n >= 1000], [n for n in _numbers(after) if n >= 1000])
    if moved is not None:
        higher = moved[1] > moved[0]
        yield Change(
            "scope_narrowed" if higher else "scope_widened",
            path,
            before,
            after,
            f"The coverage bar moved from {moved[0]:g} to {moved[1]:g}: "
            + ("fewer models are covered." if higher else "more models are covered."),
        )


_MODIFICATION_WORDS = ("fine-tun", "distill", "variant", "internal")


def _threshold_changes(old: Iterable[Any], new: Iterable[Any], base: FieldPath) -> Iterator[Change]:
    before = {threshold.id: threshold for threshold in old}
    for index, threshold in enumerate(new):
        path: FieldPath = (*base, "thresholds", index)
        was = before.pop(threshold.id, None)
        if was is None:
            yield Change(
                "threshold_added", format_path(path), None, threshold.id, f"New threshold {threshold.id}.", threshold.id
            )
            continue
        old_numbers = _numbers(was.measure) if was.value is None else [float(was.value)]
        new_numbers = _numbers(threshold.measure) if threshold.value is None else [float(threshold.value)]
        was_quantitative = was.form == "quantitative" or (was.form is None and bool(old_numbers))
        is_qualitative = threshold.form == "qualitative" or (
            threshold.form is None
            and (not new_numbers or (_judgement(threshold.measure) and not _judgement(was.measure)))
        )
        if was_quantitative and is_qualitative:
            yield Change(
                "threshold_made_qualitative",
                format_path((*path, "measure")),
                was.measure,
                threshold.measure,
                f"{threshold.id} was a number and is now a judgement.",
                threshold.id,
            )
        elif is_qualitative is False and not was_quantitative and new_numbers:
            yield Change(
                "threshold_made_quantitative",
                format_path((*path, "measure")),
                was.measure,
                threshold.measure,
                f"{threshold.id} is now a number rather than a judgement.",
                threshold.id,
            )
        else:
            # A number moved in a measure reworded out of recognition is not read as the same trigger moving.
            similar = was.value is not None or _overlap(_words(was.measure), _words(threshold.measure)) >= _PAIR_RATIO
            moved = _single_move(old_numbers, new_numbers) if similar else None
            if moved is not None:
                raised = moved[1] > moved[0]
                yield Change(
                    "threshold_raised" if raised else "threshold_lowered",
                    format_path((*path, "value" if threshold.value is not None else "measure")),
                    _plain(moved[0]),
                    _plain(moved[1]),
                    f"{threshold.id} now triggers at {_plain(moved[1])} instead of {_plain(moved[0])}: "
                    + ("a higher trigger means action comes later." if raised else "action comes sooner."),
                    threshold.id,
                )
    for ident in before:
        yield Change(
            "threshold_removed", format_path((*base, "thresholds")), ident, None, f"Threshold {ident} removed.", ident
        )


def _evaluation_changes(old: Iterable[Any], new: Iterable[Any], base: FieldPath) -> Iterator[Change]:
    before = {evaluation.id: evaluation for evaluation in old}
    for index, evaluation in enumerate(new):
        was = before.get(evaluation.id)
        if was is None:
            continue
        path: FieldPath = (*base, "evaluations", index)
        had = was.run_by != "internal"
        has = evaluation.run_by != "internal"
        if had != has:
            yield Change(
                "third_party_dropped" if had else "third_party_added",
                format_path((*path, "run_by")),
                was.run_by,
                evaluation.run_by,
                f"{evaluation.id} is no longer run with a third party."
                if had
                else f"{evaluation.id} is now run with a third party.",
                evaluation.id,
            )
        old_months = was.cadence_months or _months(was.cadence)
        new_months = evaluation.cadence_months or _months(evaluation.cadence)
        if old_months is not None and new_months is not None and old_months != new_months:
            longer = new_months > old_months
            yield Change(
                "cadence_lengthened" if longer else "cadence_shortened",
                format_path((*path, "cadence")),
                was.cadence,
                evaluation.cadence,
                f"{evaluation.id} runs {'less' if longer else 'more'} often.",
                evaluation.id,
            )
        elif "periodic" in was.timing and "periodic" not in evaluation.timing:
            yield Change(
                "cadence_lengthened",
                format_path((*path, "timing")),
                was.cadence,
                None,
                f"{evaluation.id} no longer runs periodically.",
                evaluation.id,
            )


def _response_changes(old: Iterable[Any], new: Iterable[Any], base: FieldPath) -> Iterator[Change]:
    before = {response.id: response for response in old}
    for index, response in enumerate(new):
        was = before.get(response.id)
        if was is None:
            continue
        path: FieldPath = (*base, "responses", index)
        old_rank = RESPONSE_ACTIONS.index(was.action)
        new_rank = RESPONSE_ACTIONS.index(response.action)
        lost = [item for item in was.safeguards if item not in response.safeguards]
        if new_rank > old_rank or (new_rank == old_rank and lost):
            yield Change(
                "response_weakened",
                format_path((*path, "action" if new_rank > old_rank else "safeguards")),
                was.action if new_rank > old_rank else lost,
                response.action if new_rank > old_rank else None,
                f"Crossing the threshold now leads to {response.action} rather than {was.action}."
                if new_rank > old_rank
                else f"Named safeguards dropped from {response.id}.",
                response.id,
            )
        elif new_rank == old_rank and _response_wording(response.description) > _response_wording(was.description):
            yield Change(
                "response_weakened",
                format_path((*path, "description")),
                was.description,
                response.description,
                f"{response.id}'s wording no longer stops the model: it now only safeguards or monitors it.",
                response.id,
            )
        elif new_rank < old_rank:
            yield Change(
                "response_strengthened",
                format_path((*path, "action")),
                was.action,
                response.action,
                f"Crossing the threshold now leads to {response.action} rather than {was.action}.",
                response.id,
            )


_STOPS = re.compile(r"\b(not (?:be )?deployed|halt\w*|paus\w*|stop\w*|not (?:be )?trained|suspend\w*)\b")
_SAFEGUARDS = re.compile(r"\b(safeguard\w*|mitigation\w*|classifier\w*|restrict\w*|security level)")
_MONITORS = re.compile(r"\b(monitor\w*|review\w*|report\w*)")


def _response_wording(text: str) -> int:
    """How far a response's words go: 0 stops the model, 1 adds safeguards, 2 only watches, 3 says none of these."""
    folded = _normalise(text)
    for rank, pattern in enumerate((_STOPS, _SAFEGUARDS, _MONITORS)):
        if pattern.search(folded):
            return rank
    return 3


# --- System cards ----------------------------------------------------------------------------------------------

_DETERMINATION_RANK = {"below": 0, "approaching": 1, "inconclusive": 1, "crossed": 2}


def _card_changes(old: SystemCard, new: SystemCard) -> Iterator[Change]:
    later = {entry.domain: (index, entry) for index, entry in enumerate(new.evaluations)}
    earlier = {entry.domain for entry in old.evaluations}
    for index, entry in enumerate(old.evaluations):
        if entry.domain not in later:
            yield Change(
                "evaluation_removed",
                format_path(("evaluations", index)),
                entry.domain,
                None,
                f"The card no longer reports an evaluation for {entry.domain}.",
                entry.domain,
            )
            continue
        new_index, now = later[entry.domain]
        path: FieldPath = ("evaluations", new_index)
        if now.determination != entry.determination:
            lowered = _DETERMINATION_RANK[now.determination] < _DETERMINATION_RANK[entry.determination]
            if _DETERMINATION_RANK[now.determination] != _DETERMINATION_RANK[entry.determination]:
                yield Change(
                    "determination_lowered" if lowered else "determination_raised",
                    format_path((*path, "determination")),
                    entry.determination,
                    now.determination,
                    f"The finding for {entry.domain} went from {entry.determination} to {now.determination}.",
                    entry.domain,
                )
        if (entry.third_party is None) != (now.third_party is None):
            dropped = now.third_party is None
            yield Change(
                "third_party_dropped" if dropped else "third_party_added",
                format_path((*path, "third_party")),
                entry.third_party,
                now.third_party,
                f"Third-party involvement in {entry.domain} {'no longer' if dropped else 'now'} reported.",
                entry.domain,
            )
    for domain, (index, _) in later.items():
        if domain not in earlier:
            yield Change(
                "evaluation_added",
                format_path(("evaluations", index)),
                None,
                domain,
                f"New evaluation for {domain}.",
                domain,
            )


# --- Changelog -------------------------------------------------------------------------------------------------


def _changelog_omissions(
    old: SecureDevelopmentFramework, new: SecureDevelopmentFramework, changes: list[Change]
) -> Iterator[Change]:
    # Only a changelog the new version wrote is held to account: if it added no entry, nothing claims completeness.
    known = {(entry.version, entry.date) for entry in old.changelog}
    entries = [entry for entry in new.changelog if (entry.version, entry.date) not in known]
    if not entries:
        return
    named = {ident for entry in entries for ident in entry.commitments}
    lines = [text.casefold() for entry in entries for text in entry.changes]
    reported: set[str] = set()
    for change in changes:
        ident = change.subject
        if change.direction != "weakening" or ident is None or ident in reported:
            continue
        if ident in named or any(_mentions(line, ident) for line in lines):
            continue
        reported.add(ident)
        yield Change(
            "changelog_omits_change",
            "changelog",
            change.kind,
            None,
            f"The changelog for version {new.version} does not mention {ident} ({change.kind.replace('_', ' ')}).",
            ident,
        )


def _mentions(line: str, ident: str) -> bool:
    """Whether a changelog line names ``ident``: verbatim, or every part of it begins a word of the line.

    "Expert chemical red-teaming is now a may" names ``chem.expert-red-team``. Generous on purpose: a changelog
    wrongly accused of silence is worse than one silence missed.
    """
    if ident in line:
        return True
    words = re.findall(r"[a-z0-9]+", line)
    parts = [part for part in re.split(r"[.-]", ident) if part]
    # The first part of a dotted id is a namespace ("cbrn.radiological", "bio.kyc"): "radiological" names it.
    named = parts[1:] if "." in ident else parts
    return all(any(word.startswith(part) for word in words) for part in named)


# --- Text ------------------------------------------------------------------------------------------------------

# Line-start markers match only spaces and tabs around them, never newlines: ``^\s*`` would rescan every following
# blank line from each line start, quadratic in a run of blank lines.
_MARKUP = re.compile(r"[*_`]+|^[ \t]*(?:#+|>|[-+]|\d+[.)])[ \t]+", re.MULTILINE)
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")
_WORD = re.compile(r"[a-z0-9][a-z0-9.'-]*")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:e\d+)?")
_MODALS = (
    ("must", 0),
    ("shall", 0),
    ("will", 0),
    ("commit", 0),
    ("required", 0),
    ("should", 1),
    ("may", 2),
    ("might", 2),
    ("could", 2),
    ("aim", 2),
    ("strive", 2),
    ("endeavour", 2),
    ("endeavor", 2),
    ("consider", 2),
)
_ESCAPE = (
    re.compile(r"\b(competitor|competing|another developer|other developers|rival|another frontier)\b"),
    re.compile(r"\bmay (adjust|relax|revise|modify|waive|suspend|lower|set aside|depart from|deviate from)\b"),
    re.compile(r"\b(exceptional|extraordinary) circumstances\b"),
    re.compile(r"\bat (its|our) (sole )?discretion\b"),
)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "a": 1, "an": 1, "each": 1, "every": 1,
}  # fmt: skip
_CADENCE = re.compile(
    r"\b(?:every|each|at least every|once every)\s+(?:(\d+|[a-z]+)\s+)?(day|week|month|quarter|year)s?\b"
)
_UNIT_MONTHS = {"day": 1 / 30, "week": 7 / 30, "month": 1, "quarter": 3, "year": 12}
_ANNUAL = re.compile(r"\b(annually|once a year|yearly)\b")
_QUARTERLY = re.compile(r"\bquarterly\b")


def _normalise(text: str) -> str:
    return _SPACE.sub(" ", _MARKUP.sub(" ", text)).strip().casefold()


def sentences(text: str) -> list[str]:
    """The text's sentences, with Markdown formatting and spacing stripped and case folded."""
    return [part for part in _SENTENCE_END.split(_normalise(text)) if part]


def _text_changes(old: str, new: str, where: str) -> Iterator[Change]:
    yield from _sentence_changes([old], [new], where, None)


def _sentence_changes(
    old: list[str], new: list[str], where: str, subject: str | None, *, report_lost: bool = True
) -> Iterator[Change]:
    before = [s for text in old for s in sentences(text)]
    after = [s for text in new for s in sentences(text)]
    common = Counter(before) & Counter(after)
    removed = list((Counter(before) - common).elements())
    added = list((Counter(after) - common).elements())
    if not removed and not added:
        return
    lost, gained, paired = _pair_texts(removed, added)
    for was, now in paired:
        yield from _paired_sentence(was, now, where, subject)
    for now in gained:
        if _is_escape(now):
            yield Change(
                "escape_clause_added",
                where,
                None,
                now,
                "New wording lets the developer relax its commitments.",
                subject,
            )
    for was in lost:
        if report_lost and subject is None and _modal_rank(was) == 0:
            yield Change(
                "commitment_removed", where, was, None, "A sentence that made a firm promise is gone.", subject
            )


def _paired_sentence(was: str, now: str, where: str, subject: str | None) -> Iterator[Change]:
    if _is_escape(now) and not _is_escape(was):
        yield Change("escape_clause_added", where, was, now, "The wording now lets the developer relax it.", subject)
        return
    old_rank, new_rank = _modal_rank(was), _modal_rank(now)
    if old_rank is not None and new_rank is not None and old_rank != new_rank:
        lowered = new_rank > old_rank
        yield Change(
            "commitment_strength_lowered" if lowered else "commitment_strength_raised",
            where,
            was,
            now,
            "The wording went from a firmer to a softer verb." if lowered else "The wording is now firmer.",
            subject,
        )
        return
    old_months, new_months = _months(was), _months(now)
    if old_months is not None and new_months is not None and old_months != new_months:
        longer = new_months > old_months
        yield Change(
            "cadence_lengthened" if longer else "cadence_shortened", where, was, now,
            "It now happens less often." if longer else "It now happens more often.", subject,
        )  # fmt: skip
        return
    if "threshold" in was and "threshold" in now:
        moved = _single_move(_numbers(was), _numbers(now))
        if moved is not None:
            raised = moved[1] > moved[0]
            yield Change(
                "threshold_raised" if raised else "threshold_lowered", where, was, now,
                "A higher trigger means action comes later." if raised else "Action comes sooner.", subject,
            )  # fmt: skip


_JUDGEMENT = re.compile(r"\b(judge?ment|judged?|discretion|opinion|believes?|holistic|qualitative|deems?|determin)")


def _judgement(text: str) -> bool:
    """Whether a measure rests on someone's judgement rather than a count."""
    return _JUDGEMENT.search(text.casefold()) is not None


def _words(text: str) -> Counter[str]:
    return Counter(_WORD.findall(text.casefold()))


def _modal_rank(sentence: str) -> int | None:
    words = set(_WORD.findall(sentence))
    ranks = [rank for modal, rank in _MODALS if modal in words or f"{modal}s" in words]
    return min(ranks) if ranks else None


def _is_escape(sentence: str) -> bool:
    folded = sentence.casefold()
    competitor = _ESCAPE[0].search(folded) is not None
    relax = re.search(r"\b(adjust|relax|revis|modif|lower|waive|reduc|set aside|depart|reconsider|suspend)", folded)
    return (competitor and relax is not None) or any(pattern.search(folded) for pattern in _ESCAPE[1:])


def _months(text: str | None) -> float | None:
    if text is None:
        return None
    folded = text.casefold()
    match = _CADENCE.search(folded)
    if match is not None:
        count_word = match.group(1)
        if count_word is None:
            count = 1.0
        elif count_word.isdigit():
            count = float(count_word)
        elif count_word in _NUMBER_WORDS:
            count = float(_NUMBER_WORDS[count_word])
        else:
            return None
        return count * _UNIT_MONTHS[match.group(2)]
    if _ANNUAL.search(folded):
        return 12.0
    if _QUARTERLY.search(folded):
        return 3.0
    return None


def _numbers(text: str) -> list[float]:
    """The numbers written in ``text`` ("25", "0.87", "1e26"); one too large for a float is left out, not read as
    infinity, so no comparison or JSON output meets it."""
    values = (float(match.group(0)) for match in _NUMBER.finditer(text.casefold()))
    return [value for value in values if math.isfinite(value)]


def _single_move(old: list[float], new: list[float]) -> tuple[float, float] | None:
    """The one number that changed between two equally long lists of numbers, or None if not exactly one did."""
    if len(old) != len(new):
        return None
    moved = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    return moved[0] if len(moved) == 1 else None


def _plain(number: float) -> int | float:
    return int(number) if number.is_integer() else number


#: How far apart (in leftover sentences) two sentences may be and still be paired: keeps pairing linear.
_PAIR_WINDOW = 20
_PAIR_RATIO = 0.6


def _overlap(one: Counter[str], other: Counter[str]) -> float:
    """How many words two texts share, from 0 to 1, whatever their order: a reordered sentence is a rewording."""
    total = one.total() + other.total()
    if not total:
        return 1.0
    shared = (one & other).total()
    # A text cut down to a part of itself ("Acme-3 family, including fine-tunes" to "Acme-3 family") is the same
    # item, changed; three words at least, so a one-word heading does not pair with everything that holds it.
    smaller = min(one.total(), other.total())
    if smaller >= 3 and shared == smaller:
        return 1.0
    return 2 * shared / total


def _pair_texts(old: list[str], new: list[str]) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """Split two lists of texts into those only in old, only in new, and (old, new) pairs that are rewordings."""
    common = Counter(old) & Counter(new)
    left = list((Counter(old) - common).elements())
    right = list((Counter(new) - common).elements())
    taken: set[int] = set()
    pairs: list[tuple[str, str]] = []
    lost: list[str] = []
    right_words = [Counter(_WORD.findall(text.casefold())) for text in right]
    right_numbers = [_numbers(text) for text in right]
    for index, text in enumerate(left):
        words = Counter(_WORD.findall(text.casefold()))
        numbers = _numbers(text)
        best: int | None = None
        best_score: tuple[float, bool, int] = (_PAIR_RATIO, False, -_PAIR_WINDOW - 1)
        for other in range(max(0, index - _PAIR_WINDOW), min(len(right), index + _PAIR_WINDOW + 1)):
            if other in taken:
                continue
            # Ties go to the candidate with the same numbers, then the nearest: "threshold 7" rewritten beside
            # "threshold 9" must not be read as 7 raised to 9.
            score = (_overlap(words, right_words[other]), numbers == right_numbers[other], -abs(other - index))
            if score[0] >= _PAIR_RATIO and score > best_score:
                best, best_score = other, score
        if best is None:
            lost.append(text)
        else:
            taken.add(best)
            pairs.append((text, right[best]))
    gained = [text for index, text in enumerate(right) if index not in taken]
    return lost, gained, pairs
