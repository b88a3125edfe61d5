"""Developer facts: the fixed schema reads as written, and every mistake names its file, line and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from candor.domain.facts import SLUG_PATTERN, DeveloperFacts, ModelFacts, parse_facts
from candor.domain.placeholders import is_placeholder
from candor.domain.yamlload import dump_yaml
from candor.errors import DocumentError
from tests.conftest import EXAMPLES, REPO

TEMPLATE = REPO / "src" / "candor" / "templates" / "facts.yaml"

ISSUE_EXAMPLE = """\
developer: acme-ai              # slug
legal_name: Acme AI, Inc.
revenue_usd_by_year:
  2025: 650000000               # gross revenue including affiliates, per calendar year
rnd_usd: 900000000
capex_usd: 300000000
academic_institution: false
models:
  - name: Acme-3
    training_compute_flop: 3.1e26      # including fine-tuning, RL and other modifications
    training_compute_cost_usd: 180000000
    training_started: 2025-03-01
    released: 2025-11-02              # null if unreleased or internal only
    eu_market_intent: true
    eu_placed_on: 2025-11-02
"""

OLD_FORMAT = """\
developer: acme-ai
legal_name: Acme AI, Inc.
fiscal_year: 2025
annual_revenue_usd: 650000000
rnd_capex_usd: 1200000000
academic_institution: false
models:
  - name: Acme-3
    training_compute_flop: 3.1e26
    training_compute_cost_usd: 180000000
    training_started: 2025-03-01
    released: 2025-11-02
    placed_on_eu_market: true
"""


def parse(text: str) -> DeveloperFacts:
    return parse_facts("facts.yaml", text.encode())


def error_of(text: str) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        parse(text)
    return caught.value


def test_the_issue_example_reads_with_its_exact_field_names() -> None:
    facts = parse(ISSUE_EXAMPLE)
    assert facts.developer == "acme-ai"
    assert facts.legal_name == "Acme AI, Inc."
    assert facts.revenue_usd_by_year == {2025: 650_000_000}
    assert facts.revenue_for(2025) == 650_000_000
    assert facts.revenue_for(2024) is None
    assert facts.rnd_usd == 900_000_000
    assert facts.capex_usd == 300_000_000
    assert facts.academic_institution is False
    (model,) = facts.models
    assert model.name == "Acme-3"
    assert model.training_compute_flop == 3.1e26
    assert model.training_compute_cost_usd == 180_000_000
    assert model.training_started == date(2025, 3, 1)
    assert model.released == date(2025, 11, 2)
    assert model.eu_market_intent is True
    assert model.eu_placed_on == date(2025, 11, 2)


@pytest.mark.parametrize(
    ("written", "expected"),
    [("1e26", 1e26), ("3.1e26", 3.1e26), ("1.0e+26", 1e26), ("100000000000000000000000000", 10**26)],
)
def test_compute_reads_as_a_number_however_it_is_written(written: str, expected: float) -> None:
    facts = parse(ISSUE_EXAMPLE.replace("3.1e26", written))
    assert facts.models[0].training_compute_flop == expected
    assert not isinstance(facts.models[0].training_compute_flop, str)


def test_an_integer_written_in_full_stays_exact() -> None:
    facts = parse(ISSUE_EXAMPLE.replace("3.1e26", "100000000000000000000000001"))
    assert facts.models[0].training_compute_flop == 10**26 + 1


def test_released_may_be_null_and_optional_fields_have_defaults() -> None:
    text = ISSUE_EXAMPLE.replace("released: 2025-11-02 ", "released: null ").replace(
        "    eu_market_intent: true\n    eu_placed_on: 2025-11-02\n", ""
    )
    facts = parse(text.replace("academic_institution: false\n", "").replace("rnd_usd: 900000000\n", ""))
    assert facts.models[0].released is None
    assert facts.models[0].eu_market_intent is False
    assert facts.models[0].eu_placed_on is None
    # A fact left out is unknown, not false or zero: the coverage report asks for it where a regime needs it.
    assert facts.academic_institution is None
    assert facts.rnd_usd is None


def test_a_facts_file_in_the_old_format_fails_with_one_line_saying_how_to_rewrite_it() -> None:
    error = error_of(OLD_FORMAT)
    assert (error.line, error.field) == (3, "fiscal_year")
    assert error.detail == "is a field of the old facts format"
    assert error.hint is not None
    for advice in (
        "revenue_usd_by_year: {2025: 650000000}",
        "rnd_usd and capex_usd",
        "eu_market_intent",
        "eu_placed_on",
    ):
        assert advice in error.hint
    assert "\n" not in error.diagnostics()


def test_a_model_placed_on_the_eu_market_before_its_training_began_is_refused() -> None:
    error = error_of(ISSUE_EXAMPLE.replace("eu_placed_on: 2025-11-02", "eu_placed_on: 2025-01-02"))
    assert error.field == "models[0].eu_placed_on"
    assert error.line == 15


def test_a_developer_with_no_models_is_valid() -> None:
    text = ISSUE_EXAMPLE[: ISSUE_EXAMPLE.index("models:")]
    assert parse(text).models == []


def test_unknown_field_names_line_and_suggests_the_right_one() -> None:
    error = error_of(ISSUE_EXAMPLE.replace("rnd_usd:", "rnd_uds:"))
    assert error.line == 5
    assert error.field == "rnd_uds"
    assert error.hint == "did you mean 'rnd_usd'?"
    assert error.diagnostics().startswith("facts.yaml:5: rnd_uds: unknown field")


def test_unknown_field_inside_a_model_suggests_from_the_model_fields() -> None:
    error = error_of(ISSUE_EXAMPLE.replace("eu_market_intent:", "eu_market_intnt:"))
    assert error.line == 14
    assert error.field == "models[0].eu_market_intnt"
    assert error.hint == "did you mean 'eu_market_intent'?"


def test_missing_field_names_the_field_and_the_nearest_line() -> None:
    error = error_of(ISSUE_EXAMPLE.replace("    training_started: 2025-03-01\n", ""))
    assert error.field == "models[0].training_started"
    assert error.detail == "is required"
    assert error.line == 9  # the model's first line, since the field itself is absent


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("3.1e26", '"3.1e26"', "models[0].training_compute_flop"),
        ("650000000", "true", "revenue_usd_by_year[2025]"),
        ("650000000", "-5", "revenue_usd_by_year[2025]"),
        ("900000000", "-5", "rnd_usd"),
        ("3.1e26", ".inf", "models[0].training_compute_flop"),
        ("3.1e26", ".nan", "models[0].training_compute_flop"),
        ("180000000", "lots", "models[0].training_compute_cost_usd"),
    ],
)
def test_a_quantity_that_is_not_a_non_negative_number_is_refused(old: str, new: str, field: str) -> None:
    error = error_of(ISSUE_EXAMPLE.replace(old, new, 1))
    assert error.field == field
    assert error.line is not None


def test_a_developer_slug_must_be_a_slug() -> None:
    error = error_of(ISSUE_EXAMPLE.replace("developer: acme-ai", "developer: Acme AI"))
    assert error.field == "developer"
    assert error.line == 1
    assert "slug" in error.detail


def test_a_wrong_date_names_its_field() -> None:
    error = error_of(ISSUE_EXAMPLE.replace("training_started: 2025-03-01", "training_started: soon"))
    assert error.field == "models[0].training_started"
    assert error.line == 12


def test_a_model_released_before_its_training_began_is_refused() -> None:
    error = error_of(ISSUE_EXAMPLE.replace("released: 2025-11-02", "released: 2025-01-02"))
    assert error.field == "models[0].released"
    assert error.line == 13


def test_two_models_with_one_name_are_refused() -> None:
    model = ISSUE_EXAMPLE[ISSUE_EXAMPLE.index("  - name:") :]
    error = error_of(ISSUE_EXAMPLE + model)
    assert error.field == "models[1].name"
    assert error.line == 16
    assert "listed twice" in error.detail


def test_a_facts_file_that_is_not_a_mapping_is_refused() -> None:
    error = error_of("- developer: acme-ai\n")
    assert "mapping" in error.detail


def test_duplicate_keys_and_yaml_tags_are_refused_with_a_line() -> None:
    assert error_of(ISSUE_EXAMPLE + "rnd_usd: 1\n").line == 16
    assert error_of(ISSUE_EXAMPLE.replace("legal_name: Acme AI, Inc.", "legal_name: !!python/none x")).line == 2


def test_bytes_that_are_not_utf8_are_an_error_naming_their_line() -> None:
    line = ISSUE_EXAMPLE[: ISSUE_EXAMPLE.index("Acme AI, Inc.")].count("\n") + 1
    with pytest.raises(DocumentError, match=rf"^facts\.yaml:{line}: bytes are not valid UTF-8"):
        parse_facts("facts.yaml", ISSUE_EXAMPLE.encode().replace(b"Acme AI, Inc.", b"Acme \xff"))


def test_the_template_fails_clearly_while_unfilled() -> None:
    with pytest.raises(DocumentError) as caught:
        parse_facts("facts.yaml", TEMPLATE.read_bytes())
    assert caught.value.field == "developer"
    assert "placeholder <developer-slug>" in caught.value.detail


def test_the_template_passes_once_filled() -> None:
    filled = {
        "<developer-slug>": "acme-ai",
        "<legal-name>": "Acme AI, Inc.",
        "<year>": "2025",
        "<revenue>": "650000000",
        "<rnd>": "900000000",
        "<capex>": "300000000",
        "<true-or-false>": "false",
        "<model-name>": "Acme-3",
        "<flop>": "3.1e26",
        "<cost>": "180000000",
        "<yyyy-mm-dd>": "2025-03-01",
        "<yyyy-mm-dd-or-null>": "null",
    }
    text = TEMPLATE.read_text()
    for placeholder, value in filled.items():
        text = text.replace(placeholder, value)
    assert "<" not in text.split("#")[0]
    facts = parse(text)
    assert facts.models[0].training_compute_flop == 3.1e26
    assert facts.models[0].released is None


@pytest.mark.parametrize(
    "path", sorted([EXAMPLES / "acme-ai" / "facts.yaml", *(EXAMPLES / "facts").glob("*.yaml")]), ids=str
)
def test_every_example_facts_file_parses(path: Path) -> None:
    facts = parse_facts(str(path), path.read_bytes())
    assert facts.models


_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(lambda name: not is_placeholder(name) and name.strip() == name and name)
_quantities = st.one_of(
    st.integers(min_value=0, max_value=10**30), st.floats(min_value=0, max_value=1e30, allow_nan=False)
)
_days = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))


@st.composite
def _models(draw: st.DrawFn, name: str) -> ModelFacts:
    started = draw(_days)
    released = draw(st.none() | st.dates(min_value=started, max_value=date(2036, 12, 31)))
    return ModelFacts(
        name=name,
        training_compute_flop=draw(_quantities),
        training_compute_cost_usd=draw(_quantities),
        training_started=started,
        released=released,
        eu_market_intent=draw(st.booleans()),
        eu_placed_on=draw(st.none() | st.dates(min_value=started, max_value=date(2036, 12, 31))),
    )


@st.composite
def _developers(draw: st.DrawFn) -> DeveloperFacts:
    names = draw(st.lists(_names, max_size=4, unique=True))
    return DeveloperFacts(
        developer=draw(st.from_regex(SLUG_PATTERN, fullmatch=True).filter(lambda slug: len(slug) < 40)),
        legal_name=draw(_names),
        revenue_usd_by_year=draw(
            st.none() | st.dictionaries(st.integers(min_value=1900, max_value=2200), _quantities, max_size=3)
        ),
        rnd_usd=draw(st.none() | _quantities),
        capex_usd=draw(st.none() | _quantities),
        academic_institution=draw(st.none() | st.booleans()),
        new_york_operations=draw(st.none() | st.booleans()),
        eu_established=draw(st.none() | st.booleans()),
        models=[draw(_models(name)) for name in names],
    )


@settings(max_examples=150, deadline=None)
@given(_developers())
def test_any_valid_facts_written_as_yaml_read_back_equal(facts: DeveloperFacts) -> None:
    text = dump_yaml(facts.model_dump())
    assert parse_facts("facts.yaml", text.encode()) == facts


def test_a_name_that_yaml_reads_as_a_number_asks_for_quotes() -> None:
    error = error_of(ISSUE_EXAMPLE.replace("name: Acme-3", "name: 2025"))
    assert error.field == "models[0].name"
    assert error.hint == "put the value in quotes"
    assert parse(ISSUE_EXAMPLE.replace("name: Acme-3", 'name: "2025"')).models[0].name == "2025"


@pytest.mark.parametrize(
    ("key", "detail"),
    [
        ("<year>", "still holds the template placeholder <year>"),
        ("twenty", "'twenty' is not a calendar year: write the year as a number, such as 2025"),
        ("1800", "1800 is not a year between 1900 and 2200"),
    ],
)
def test_a_revenue_year_that_is_not_a_year_names_the_mapping(key: str, detail: str) -> None:
    error = error_of(ISSUE_EXAMPLE.replace("  2025: 650000000", f"  {key}: 650000000"))
    assert error.field == "revenue_usd_by_year"
    assert error.detail == detail
    assert error.line in (3, 4)
