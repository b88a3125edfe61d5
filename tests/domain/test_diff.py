"""The semantic diff: each kind of weakening found from a minimal edit of the example framework, and no other;
rewording, reordering and reformatting never called a weakening."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from candor.domain.diff import KIND_DIRECTIONS, DiffResult, diff_documents
from candor.domain.parse import parse_bytes
from candor.errors import DocumentError

EXAMPLES = Path(__file__).parents[2] / "examples" / "acme-ai"
SDF = (EXAMPLES / "sdf-v1.md").read_text(encoding="utf-8")
CARD = (EXAMPLES / "system-card-acme-3.md").read_text(encoding="utf-8")


def edited(text: str, old: str, new: str, count: int = 1) -> str:
    assert text.count(old) >= count, f"edit target missing: {old!r}"
    assert count > 1 or text.count(old) == 1, f"edit target not unique: {old!r}"
    return text.replace(old, new, count)


def diff_texts(before: str, after: str) -> DiffResult:
    old = parse_bytes("old.md", before.encode())
    new = parse_bytes("new.md", after.encode())
    return diff_documents(old.model, new.model, old.body, new.body)


def kinds(result: DiffResult) -> set[str]:
    return {change.kind for change in result.changes}


def weakening_kinds(result: DiffResult) -> set[str]:
    return {change.kind for change in result.changes if change.direction == "weakening"}


CYBER_BLOCK = SDF[SDF.index("  - id: cyber\n") : SDF.index("deployment_review:")]
THIRD_PARTY_SECTION = SDF[SDF.index("third_party_assessment:") : SDF.index("governance:")]
NEW_DOMAIN = """  - id: manipulation
    strength: must
    description: Persuasion of people at scale against their interests.

"""
CLAUSE = """adjustment_clauses:
  - id: competitor-release
    condition: Another developer releases a comparable model without equivalent safeguards.
    effect: We may lower the safeguards any domain requires.

changelog:"""

#: (kind, edits of sdf-v1 that should produce it). Each edit is (old, new), applied in order.
PAIRS: dict[str, list[tuple[str, str]]] = {
    "risk_domain_removed": [(CYBER_BLOCK, "")],
    "risk_domain_added": [("deployment_review:", NEW_DOMAIN + "deployment_review:")],
    "threshold_raised": [("Success rate above 10%", "Success rate above 20%")],
    "threshold_lowered": [("Success rate above 10%", "Success rate above 5%")],
    "threshold_made_qualitative": [
        (
            "measure: Success rate above 10% on the exfiltration task suite in a realistic sandbox.",
            "measure: The Frontier Risk Team's judgement after reviewing the exfiltration task suite.",
        )
    ],
    "threshold_made_qualitative/judgement-with-a-number": [
        (
            "measure: Success rate above 10% on the exfiltration task suite in a realistic sandbox.",
            "measure: The judgement of 3 senior researchers on the exfiltration task suite in a realistic sandbox.",
        )
    ],
    "commitment_removed": [
        (
            "    - id: security.insider-controls\n      strength: must\n"
            "      statement: No single employee can copy a covered model's weights without a second approver.\n",
            "",
        ),
    ],
    "commitment_added": [
        (
            "      statement: No single employee can copy a covered model's weights without a second approver.\n",
            "      statement: No single employee can copy a covered model's weights without a second approver.\n"
            "    - id: security.red-team\n      strength: must\n      statement: Security is red-teamed yearly.\n",
        )
    ],
    "commitment_strength_lowered": [
        (
            "    - id: assess.before-deployment\n      strength: must",
            "    - id: assess.before-deployment\n      strength: should",
        )
    ],
    "commitment_strength_raised": [
        (
            "    - id: assess.safety-margin\n      strength: should",
            "    - id: assess.safety-margin\n      strength: must",
        )
    ],
    "response_weakened": [
        (
            "action: halt-deployment\n        threshold: chem.novice-uplift",
            "action: additional-safeguards\n        threshold: chem.novice-uplift",
        )
    ],
    "response_weakened/wording": [
        (
            "A model that crosses the threshold is not deployed until mitigations bring measured uplift below it.",
            "A model that crosses the threshold is deployed once classifiers are in place.",
        )
    ],
    "escape_clause_added": [("changelog:", CLAUSE)],
    "escape_clause_added/as-a-commitment": [
        (
            "      statement: No single employee can copy a covered model's weights without a second approver.\n",
            "      statement: No single employee can copy a covered model's weights without a second approver.\n"
            "    - id: security.competitor-adjustment\n      strength: may\n      statement: >-\n        If another "
            "developer releases a comparable model with weaker safeguards, we may lower these requirements.\n",
        )
    ],
    "cadence_lengthened": [("cadence_months: 12", "cadence_months: 24")],
    "cadence_shortened": [("cadence_months: 12", "cadence_months: 6")],
    "third_party_dropped": [
        (
            "        run_by: internal-and-third-party\n        third_party: A radiation-protection consultancy.\n",
            "        run_by: internal\n",
        )
    ],
    "third_party_added": [
        (
            "no refusal training.\n        run_by: internal\n",
            "no refusal training.\n        run_by: internal-and-third-party\n        third_party: A chemistry lab.\n",
        )
    ],
    "scope_narrowed": [("    - Acme-2 model family\n", "")],
    "third_party_dropped/section": [(THIRD_PARTY_SECTION, "")],
    "scope_narrowed/compute-bar": [
        (
            "    - Any model trained with more than 1e26 floating-point operations",
            "    - Any model trained with more than 1e27 floating-point operations",
        )
    ],
    "scope_narrowed/variants": [(", including all fine-tuned and distilled variants", "")],
    "escape_clause_added/summary": [
        (
            "the risk. The Frontier Risk Team writes",
            "the risk. If a competitor deploys a comparable model first, we "
            "may relax these assessments. The Frontier Risk Team writes",
        )
    ],
    "cadence_lengthened/prose": [
        ("We review this framework at least once a year", "We review this framework at least every two years")
    ],
    "scope_widened": [("    - Acme-2 model family\n", "    - Acme-2 model family\n    - Acme-5 model family\n")],
}


def apply(edits: list[tuple[str, str]], text: str = SDF) -> str:
    for old, new in edits:
        text = edited(text, old, new)
    return text


@pytest.mark.parametrize("case", sorted(PAIRS))
def test_each_edit_is_named_by_its_kind_and_no_other_weakening(case: str) -> None:
    kind = case.partition("/")[0]
    result = diff_texts(SDF, apply(PAIRS[case]))
    assert kind in kinds(result)
    expected = {kind} if KIND_DIRECTIONS[kind] == "weakening" else set()
    assert weakening_kinds(result) == expected
    assert result.direction == ("weakening" if expected else "strengthening")


def test_a_changelog_that_says_nothing_of_a_dropped_commitment_is_flagged() -> None:
    after = apply(
        [
            *PAIRS["commitment_removed"],
            ('changelog:\n  - version: "1.0"', 'changelog:\n  - version: "1.1"\n    date: 2025-09-01\n'
             '    changes:\n      - Clarified wording.\n  - version: "1.0"'),
        ]
    )  # fmt: skip
    result = diff_texts(SDF, after)
    assert weakening_kinds(result) == {"commitment_removed", "changelog_omits_change"}
    omission = next(change for change in result.changes if change.kind == "changelog_omits_change")
    assert "security.insider-controls" in omission.explanation


def test_a_changelog_that_names_the_commitment_by_id_is_not_flagged() -> None:
    after = apply(
        [
            *PAIRS["commitment_removed"],
            ('changelog:\n  - version: "1.0"', 'changelog:\n  - version: "1.1"\n    date: 2025-09-01\n'
             '    changes:\n      - Dropped one control.\n    commitments: [security.insider-controls]\n'
             '  - version: "1.0"'),
        ]
    )  # fmt: skip
    assert weakening_kinds(diff_texts(SDF, after)) == {"commitment_removed"}


def test_a_competitor_clause_slipped_into_the_prose_is_an_escape_clause() -> None:
    after = edited(
        SDF,
        "We will not weaken a commitment without publishing a new version that says so.",
        "We will not weaken a commitment without publishing a new version that says so. If a competitor releases "
        "a comparable model first, we may adjust these requirements.",
    )
    assert weakening_kinds(diff_texts(SDF, after)) == {"escape_clause_added"}


def test_a_plain_statement_given_a_soft_verb_is_not_claimed_as_weakening() -> None:
    # "reviews" carries no modal verb, so the diff cannot rank it against "should review": it says nothing wrong.
    after = edited(SDF, "Officer reviews it before any deployment", "Officer should review it before any deployment")
    assert weakening_kinds(diff_texts(SDF, after)) == set()


def test_must_turned_into_should_in_the_prose_is_a_weakening() -> None:
    after = edited(SDF, "Security level 3 is required for any model", "Security level 3 should be used for any model")
    assert weakening_kinds(diff_texts(SDF, after)) == {"commitment_strength_lowered"}


# --- Neutral controls --------------------------------------------------------------------------------------------


def test_rewording_prose_is_editorial_only() -> None:
    after = edited(
        SDF,
        "Model weights are the most sensitive asset we hold.",
        "Model weights are the most sensitive assets we have.",
    )
    result = diff_texts(SDF, after)
    assert result.direction == "neutral"
    assert kinds(result) == {"editorial_only"}


def test_reordering_risk_domains_is_not_a_weakening() -> None:
    after = edited(SDF, CYBER_BLOCK, "")
    after = edited(after, "risk_domains:\n", "risk_domains:\n" + CYBER_BLOCK)
    result = diff_texts(SDF, after)
    assert result.direction == "neutral"
    assert kinds(result) == {"editorial_only"}


def test_whitespace_and_markdown_formatting_is_editorial_only() -> None:
    after = edited(SDF, "Model weights are the most sensitive asset", "Model  weights are the *most* sensitive asset")
    after = edited(after, "## 6. Governance\n", "### 6.   Governance\n")
    result = diff_texts(SDF, after)
    assert result.direction == "neutral"
    assert kinds(result) == {"editorial_only"}


def test_an_identical_version_has_no_changes() -> None:
    result = diff_texts(SDF, SDF)
    assert result.to_json() == {"direction": "neutral", "changes": []}


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_shuffling_commitments_and_domains_never_reads_as_weakening(rng: random.Random) -> None:
    parsed = parse_bytes("sdf.md", SDF.encode())
    model = parsed.model
    domains = list(model.risk_domains)  # type: ignore[union-attr]
    rng.shuffle(domains)
    assessment = model.assessment  # type: ignore[union-attr]
    commitments = list(assessment.commitments)
    rng.shuffle(commitments)
    shuffled = model.model_copy(
        update={"risk_domains": domains, "assessment": assessment.model_copy(update={"commitments": commitments})}
    )
    assert diff_documents(model, shuffled, parsed.body, parsed.body).direction == "neutral"


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=400))
def test_a_text_compared_with_itself_has_no_changes(text: str) -> None:
    assert diff_documents(None, None, text, text).to_json() == {"direction": "neutral", "changes": []}


# --- System cards and plain text ---------------------------------------------------------------------------------


def test_a_system_card_that_drops_an_evaluation_is_weakened() -> None:
    start = CARD.index("  - domain: cbrn.radiological\n")
    end = CARD.index("  - domain: cbrn.nuclear\n")
    result = diff_texts(CARD, CARD[:start] + CARD[end:])
    assert weakening_kinds(result) == {"evaluation_removed"}


def test_a_system_card_whose_finding_is_softened_is_weakened() -> None:
    after = edited(CARD, "    determination: approaching\n", "    determination: below\n")
    assert weakening_kinds(diff_texts(CARD, after)) == {"determination_lowered"}


PLAIN = "Safety policy.\n\nWe must evaluate every model before release. We publish our results every 6 months.\n"


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (PLAIN.replace("We must evaluate", "We should evaluate"), {"commitment_strength_lowered"}),
        (PLAIN.replace("every 6 months", "every 12 months"), {"cadence_lengthened"}),
        (PLAIN + "In exceptional circumstances we may set aside these commitments.\n", {"escape_clause_added"}),
        (PLAIN.replace("We must evaluate every model before release. ", ""), {"commitment_removed"}),
        (PLAIN.replace("We must evaluate every model before release.", "Before release we must evaluate all."), set()),
        (PLAIN.replace("\n\n", "\n\n\n").replace("Safety policy.", "# Safety policy."), set()),
    ],
)  # fmt: skip
def test_plain_text_says_only_what_its_words_show(after: str, expected: set[str]) -> None:
    result = diff_documents(None, None, PLAIN, after)
    assert weakening_kinds(result) == expected
    if not expected:
        assert result.direction == "neutral"


def test_every_kind_has_a_direction_from_the_documented_vocabulary() -> None:
    assert set(KIND_DIRECTIONS.values()) <= {"weakening", "strengthening", "neutral"}
    documented = (Path(__file__).parents[2] / "docs" / "diff.md").read_text(encoding="utf-8")
    for kind in KIND_DIRECTIONS:
        assert re.search(rf"`{kind}`", documented), kind


def test_a_reworded_sentence_is_not_paired_with_its_neighbour_that_differs_only_in_a_number() -> None:
    before = "".join(f"We must test threshold {n} before release. " for n in range(1, 12))
    after = before.replace("We must test threshold 7 before", "We must check threshold 7 before").replace(
        "threshold 9 before release", "threshold 9, before release"
    )
    result = diff_documents(None, None, before, after)
    assert result.direction == "neutral", result.to_json()


def test_a_run_of_blank_lines_is_read_in_linear_time() -> None:
    # Markdown markers were once matched with ^\s*, which rescanned every following blank line from each line start:
    # 20,000 blank lines took 50 s. At 100,000 that regression would not finish.
    padding = "\n" * 100_000
    result = diff_documents(None, None, "We must test." + padding, "We should test." + padding)
    assert weakening_kinds(result) == {"commitment_strength_lowered"}


def test_a_number_too_large_for_a_float_is_not_read_as_a_threshold_move() -> None:
    result = diff_documents(None, None, "The threshold is 1e26 operations.", "The threshold is 1e999 operations.")
    assert result.direction == "neutral"
    assert result.to_json()["changes"][0]["kind"] == "editorial_only"


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_a_threshold_value_that_is_not_a_finite_number_is_refused(value: str) -> None:
    text = edited(SDF, "        tier: high\n", f"        tier: high\n        value: {value}\n", count=2)
    with pytest.raises(DocumentError, match="finite"):
        parse_bytes("sdf.md", text.encode())


def changelog_entry(*lines: str) -> tuple[str, str]:
    """An edit adding a version 1.1 changelog entry with ``lines``."""
    changes = "".join(f"      - {line}\n" for line in lines)
    return (
        'changelog:\n  - version: "1.0"',
        f'changelog:\n  - version: "1.1"\n    date: 2025-09-01\n    changes:\n{changes}  - version: "1.0"',
    )


@pytest.mark.parametrize(
    ("edits", "line", "flagged"),
    [
        (PAIRS["risk_domain_removed"], "Cyber offence is no longer a risk domain.", False),
        (PAIRS["scope_narrowed"], "Narrowed the scope to current model families.", False),
        (PAIRS["scope_narrowed"], "Editorial changes.", True),
        (PAIRS["cadence_lengthened"], "The framework is now reviewed every two years.", False),
        (PAIRS["cadence_lengthened"], "Fixed typos.", True),
    ],
)
def test_the_changelog_is_read_for_the_change_in_its_own_words(
    edits: list[tuple[str, str]], line: str, flagged: bool
) -> None:
    result = diff_texts(SDF, apply([*edits, changelog_entry(line)]))
    assert ("changelog_omits_change" in kinds(result)) is flagged


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_shuffling_the_paragraphs_of_the_prose_is_never_a_change_of_substance(rng: random.Random) -> None:
    parsed = parse_bytes("sdf.md", SDF.encode())
    paragraphs = parsed.body.split("\n\n")
    rng.shuffle(paragraphs)
    result = diff_documents(parsed.model, parsed.model, parsed.body, "\n\n".join(paragraphs))
    assert result.direction == "neutral"


@settings(max_examples=100, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("abc must should may every 6 12 months threshold 1e26 . \n#*-")), max_size=300
    ),
    st.text(
        alphabet=st.sampled_from(list("abc must should may every 6 12 months threshold 1e26 . \n#*-")), max_size=300
    ),
)
def test_any_two_texts_give_a_strict_json_report(old: str, new: str) -> None:
    report = diff_documents(None, None, old, new).to_json()
    json.dumps(report, allow_nan=False)
    assert report["direction"] in {"weakening", "strengthening", "mixed", "neutral"}
    assert all(change["kind"] in KIND_DIRECTIONS for change in report["changes"])
