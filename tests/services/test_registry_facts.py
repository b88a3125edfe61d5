"""Recording a developer's facts, from which the website decides its coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from candor.errors import CandorError
from candor.services.registry_facts import FactsError, facts_path, record_facts
from tests.conftest import EXAMPLES

ACME_FACTS = (EXAMPLES / "acme-ai" / "facts.yaml").read_bytes()


def test_recorded_facts_replace_the_file_on_record(tmp_path: Path) -> None:
    facts_dir = tmp_path / "facts"
    facts = record_facts(facts_dir, "acme-ai", "facts.yaml", ACME_FACTS)
    assert facts.developer == "acme-ai"
    assert facts_path(facts_dir, "acme-ai").read_bytes() == ACME_FACTS
    record_facts(facts_dir, "acme-ai", "facts.yaml", ACME_FACTS + b"# revised\n")
    assert facts_path(facts_dir, "acme-ai").read_bytes().endswith(b"# revised\n")
    assert [path.name for path in facts_dir.iterdir()] == ["acme-ai.yaml"]


def test_facts_for_another_developer_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FactsError, match="for 'acme-ai', not 'borealis-labs'"):
        record_facts(tmp_path, "borealis-labs", "facts.yaml", ACME_FACTS)
    assert list(tmp_path.iterdir()) == []


def test_facts_that_do_not_parse_are_refused_and_the_old_ones_kept(tmp_path: Path) -> None:
    record_facts(tmp_path, "acme-ai", "facts.yaml", ACME_FACTS)
    with pytest.raises(CandorError, match=r"broken\.yaml"):
        record_facts(tmp_path, "acme-ai", "broken.yaml", b"developer: acme-ai\nlegal_name: [unclosed\n")
    assert facts_path(tmp_path, "acme-ai").read_bytes() == ACME_FACTS
