"""The strict YAML loader: YAML 1.2 numbers, no tags, no aliases, no duplicate keys, and a line for every field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from candor.domain.yamlload import (
    LoadedYaml,
    _LibyamlStrictLoader,
    _load,
    _PythonStrictLoader,
    dump_yaml,
    format_path,
    load_yaml,
)
from candor.errors import DocumentError
from tests.conftest import EXAMPLES

Load = Callable[..., LoadedYaml]


@pytest.fixture(params=[_LibyamlStrictLoader, _PythonStrictLoader], ids=["libyaml", "python"])
def load(request: pytest.FixtureRequest) -> Load:
    """The strict loader on each parser: libyaml (used where installed) and PyYAML's own (the fallback)."""

    def run(text: str, name: str, line_offset: int = 0) -> LoadedYaml:
        return _load(request.param, text, name, line_offset)

    return run


@pytest.mark.parametrize(
    ("written", "value"),
    [("1e26", 1e26), ("3.1e26", 3.1e26), ("1E25", 1e25), ("-2.5e-3", -2.5e-3), ("6.5e8", 6.5e8), ("0.5", 0.5)],
)
def test_compute_figures_read_as_numbers_not_text(load: Load, written: str, value: float) -> None:
    loaded = load(f"training_compute_flop: {written}\n", "facts.yaml")
    assert loaded.value["training_compute_flop"] == value
    assert isinstance(loaded.value["training_compute_flop"], float)


def test_plain_values_keep_their_yaml_types(load: Load) -> None:
    loaded = load("a: 650000000\nb: true\nc: 2025-03-01\nd: null\ne: '1e26'\nf: Acme-3\n", "f.yaml")
    assert loaded.value == {"a": 650000000, "b": True, "c": dt.date(2025, 3, 1), "d": None, "e": "1e26", "f": "Acme-3"}


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/object/apply:os.system ['true']\n",
        "x: !!python/name:builtins.eval\n",
        "x: !!binary aGVsbG8=\n",
        "x: !custom value\n",
        "x: !!str 12\n",
        "!!map {x: 1}\n",
    ],
)
def test_tags_are_refused_so_no_object_can_be_built(load: Load, text: str) -> None:
    with pytest.raises(DocumentError, match=r"YAML tags such as .* are not allowed") as caught:
        load(text, "evil.md")
    assert caught.value.line == 1


def test_a_billion_laughs_alias_bomb_is_refused_before_expanding(load: Load) -> None:
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    bomb += "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    with pytest.raises(DocumentError, match=r"YAML anchors \(&a\) are not allowed") as caught:
        load(bomb, "bomb.md")
    assert caught.value.line == 1


def test_an_alias_alone_is_refused_as_an_alias(load: Load) -> None:
    with pytest.raises(DocumentError, match=r"YAML aliases \(\*name\) are not allowed") as caught:
        load("a: 1\nb: *x\n", "alias.md")
    assert caught.value.line == 2


def test_merge_keys_are_refused(load: Load) -> None:
    with pytest.raises(DocumentError, match=r"YAML merge keys \(<<\) are not allowed") as caught:
        load("a: 1\n<<: {b: 2}\n", "merge.md")
    assert caught.value.line == 2


@pytest.mark.parametrize(
    "text",
    ["a: " + "[" * 3000 + "]" * 3000, "a:\n" + "".join("  " * depth + "- \n" for depth in range(1, 400))],
    ids=["flow", "block"],
)
def test_deep_nesting_is_an_error_not_a_stack_overflow(load: Load, text: str) -> None:
    with pytest.raises(DocumentError, match="nest"):
        load(text, "deep.md")


def test_nesting_up_to_the_limit_is_fine(load: Load) -> None:
    value = load("a: " + "[" * 63 + "]" * 63, "deep.md").value["a"]
    depth = 1
    while value:
        value, depth = value[0], depth + 1
    assert depth == 63


def test_a_key_written_twice_is_an_error_naming_both_lines(load: Load) -> None:
    with pytest.raises(
        DocumentError, match=r"key 'developer' is written twice in one mapping \(first on line 1\)"
    ) as e:
        load("developer: acme-ai\ntitle: x\ndeveloper: other\n", "sdf.md")
    assert e.value.line == 3


def test_duplicate_keys_are_found_in_nested_mappings_too(load: Load) -> None:
    with pytest.raises(DocumentError, match="key 'id' is written twice") as caught:
        load("risk_domains:\n  - id: cyber\n    id: autonomy\n", "sdf.md")
    assert caught.value.line == 3


def test_malformed_yaml_names_the_line(load: Load) -> None:
    with pytest.raises(DocumentError, match="malformed YAML") as caught:
        load("a: 1\nb: [1, 2\nc: 3\n", "bad.md", line_offset=1)
    assert caught.value.line is not None
    assert caught.value.line >= 2


def test_an_unclosed_quote_is_reported_where_it_opens(load: Load) -> None:
    with pytest.raises(DocumentError, match="quoted scalar") as caught:
        load('a: 1\nb: "never closed\nc: 3\nd: 4\n', "bad.md")
    assert caught.value.line == 2


def test_every_field_path_has_its_line_with_the_offset(load: Load) -> None:
    text = "kind: system-card\nmodel:\n  name: Acme-3\nevaluations:\n  - domain: cyber\n    results: fine\n"
    loaded = load(text, "card.md", line_offset=1)
    assert loaded.line_of(("kind",)) == 2
    assert loaded.line_of(("model", "name")) == 4
    assert loaded.line_of(("evaluations", 0)) == 6
    assert loaded.line_of(("evaluations", 0, "results")) == 7
    # A field that is not written falls back to its nearest written ancestor.
    assert loaded.line_of(("model", "version")) == 3


def test_field_paths_are_written_the_way_people_read_them() -> None:
    assert format_path(("risk_domains", 0, "evaluations", 2, "timing")) == "risk_domains[0].evaluations[2].timing"
    assert format_path(()) == "(document)"


def test_a_lone_equals_key_reads_as_text(load: Load) -> None:
    assert load("=: 1\n", "f.yaml").value == {"=": 1}


def test_an_empty_document_loads_as_none(load: Load) -> None:
    assert load("# only a comment\n", "empty.md").value is None


# Printable text: YAML itself cannot carry most control characters, and the loader drops a leading BOM.
_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, exclude_categories=("Cs", "Cc", "Zl", "Zp")))
_scalars = (
    _text
    | st.integers()
    | st.floats(allow_nan=False)
    | st.booleans()
    | st.none()
    | st.dates()
    | st.sampled_from(["1e26", "3.1e26", "2.1", "2026-01-01", "true", "null", "~", "- x", "a: b", "#c", "*a", "&a"])
)
_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=20,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_text, _values, max_size=6))
def test_what_dump_yaml_writes_loads_back_unchanged(value: dict[str, object]) -> None:
    assert load_yaml(dump_yaml(value), "round.yaml").value == value


def test_both_parsers_read_every_example_the_same_way() -> None:
    for path in sorted(EXAMPLES.glob("*/*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        front = text.split("\n---\n", 1)[0].removeprefix("---\n")
        outcomes: list[object] = []
        for loader in (_LibyamlStrictLoader, _PythonStrictLoader):
            try:
                loaded = _load(loader, front, path.name, 1)
                outcomes.append((loaded.value, loaded.lines))
            except DocumentError as exc:
                outcomes.append((exc.line, exc.detail.split(":")[0]))
        assert outcomes[0] == outcomes[1], path.name


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2026-02-30", "2026-02-30 is not a real date"),
        ("2026-13-45", "2026-13-45 is not a real date"),
        ("2025-02-29", "2025-02-29 is not a real date"),
        ("2026-02-28T25:00:00", "2026-02-28T25:00:00 is not a real date and time"),
        ("2026-02-28T10:00:00+25:00", "2026-02-28T10:00:00+25:00 is not a real date and time"),
        ("0b_", "0b_ cannot be read as a number"),
        ("9" * 5000, "numbers may have at most 1,000 digits"),
        ("0x" + "f" * 1000, "numbers may have at most 1,000 digits"),
    ],
)
def test_values_shaped_like_dates_or_numbers_but_impossible_are_document_errors(
    load: Load, written: str, message: str
) -> None:
    with pytest.raises(DocumentError) as caught:
        load(f"kind: x\nmodels:\n  - training_started: {written}\n", "facts.yaml", 1)
    assert caught.value.line == 4
    assert caught.value.field == "models[0].training_started"
    assert caught.value.detail == message
    assert str(caught.value).startswith("facts.yaml:4: models[0].training_started: ")


def test_an_impossible_date_as_a_key_names_its_line(load: Load) -> None:
    with pytest.raises(DocumentError, match=r"^f.yaml:2: 2026-02-30: 2026-02-30 is not a real date$"):
        load("a: 1\n2026-02-30: x\n", "f.yaml")


def test_real_dates_numbers_and_long_numbers_under_the_limit_still_load(load: Load) -> None:
    loaded = load(f"a: 2024-02-29\nb: 2026-02-28T23:59:59+14:00\nc: {'9' * 1000}\nd: 0b101\n", "f.yaml")
    assert loaded.value["a"] == dt.date(2024, 2, 29)
    assert loaded.value["b"].utcoffset() == dt.timedelta(hours=14)
    assert loaded.value["c"] == int("9" * 1000)
    assert loaded.value["d"] == 5


# Fragments that steer the fuzzer toward the shapes resolvers match: dates, times, numbers in every base.
_yaml_pieces = st.sampled_from(
    ["\n", ": ", "- ", "  ", "[", "]", "{", "}", ",", "'", '"', "#", "&", "*", "!", "|", ">", "---", "...",
     "2026-", "02-30", "13-45", "T25:", "00:00", "+25:00", "Z", ".5", "0x", "0o", "0b", "_", "1e", "9", ":", "."]
)  # fmt: skip
_fuzz_text = st.lists(_yaml_pieces | st.text(max_size=3), max_size=30).map("".join)


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_fuzz_text)
def test_any_text_loads_or_raises_a_document_error(text: str) -> None:
    for loader in (_LibyamlStrictLoader, _PythonStrictLoader):
        message = ""
        try:
            _load(loader, text, "fuzz.yaml", 1)
        except DocumentError as exc:
            message = exc.diagnostics()
        assert "\n" not in message


def test_a_control_character_is_a_one_line_error_naming_its_line(load: Load) -> None:
    with pytest.raises(DocumentError) as caught:
        load("a: 1\nb: x\x1fy\n", "f.yaml", 1)
    assert caught.value.line == 3
    assert caught.value.detail == "character U+001F is not allowed in YAML"
