"""The corpus itself: its manifest is what ``make_corpus.py`` writes, every case is named and complete, and there are
at least 300 of them."""

from __future__ import annotations

import re
from collections import Counter

from tests.hostile import make_corpus
from tests.hostile.corpus import CORPUS, MANIFEST, load_cases

_PLACE = re.compile(r"\{corpus\}/([^\s\"']+)")


def test_the_manifest_and_files_are_what_make_corpus_writes() -> None:
    manifest, stale = make_corpus.build(check_only=True)
    assert stale == [], f"corpus files differ from make_corpus.py; run it: {stale[:10]}"
    assert MANIFEST.read_text("utf-8") == manifest, "corpus.yaml is stale; run python -m tests.hostile.make_corpus"
    assert make_corpus.leftovers() == [], "files no case uses; make_corpus.py removes them"


def test_the_corpus_holds_at_least_300_named_cases() -> None:
    cases = load_cases()
    assert len(cases) >= 300
    assert len({case["id"] for case in cases}) == len(cases)
    for case in cases:
        assert case["attack"].strip(), case["id"]
        assert case["target"] in ("cli", "http"), case["id"]
        assert case.get("expected_fix", "none") in ("none", "pending", "defect"), case["id"]
        assert bool(case.get("pending")) == ("expected_fix" in case), case["id"]


def test_every_file_a_case_names_is_in_the_corpus() -> None:
    missing = Counter[str]()
    for case in load_cases():
        for relative in _PLACE.findall(repr(case)):
            path = CORPUS / relative.rstrip("\\")
            # A few cases name a path through a file or to nothing on purpose; their parent must still exist.
            if not path.exists() and not path.parent.exists() and not path.parent.parent.exists():
                missing[relative] += 1
    assert not missing, missing
