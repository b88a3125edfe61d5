"""The risk taxonomy: stable ids, titles, and a validator that suggests the id a writer meant."""

from __future__ import annotations

import pytest

from candor.domain.taxonomy import (
    CBRN_DOMAINS,
    RISK_DOMAINS,
    check_risk_domain_id,
    is_cbrn,
    is_risk_domain_id,
    risk_domain_title,
)


def test_the_published_ids_never_change() -> None:
    assert list(RISK_DOMAINS) == [
        "cbrn.chemical",
        "cbrn.biological",
        "cbrn.radiological",
        "cbrn.nuclear",
        "autonomy",
        "cyber",
        "manipulation",
    ]
    assert CBRN_DOMAINS == ("cbrn.chemical", "cbrn.biological", "cbrn.radiological", "cbrn.nuclear")


@pytest.mark.parametrize("domain_id", [*RISK_DOMAINS, "other:election-integrity", "other:x", "other:a1-b2"])
def test_named_and_other_ids_are_accepted(domain_id: str) -> None:
    assert is_risk_domain_id(domain_id)
    assert check_risk_domain_id(domain_id) == domain_id


@pytest.mark.parametrize(
    "domain_id",
    ["", "cbrn", "CBRN.chemical", "bio", "other:", "other:Election", "other:two--hyphens", "other:-x", "cyber "],
)
def test_malformed_ids_are_refused(domain_id: str) -> None:
    assert not is_risk_domain_id(domain_id)
    with pytest.raises(ValueError, match="not a"):
        check_risk_domain_id(domain_id)


def test_a_near_miss_gets_a_did_you_mean() -> None:
    with pytest.raises(ValueError, match=r"did you mean cbrn\.biological\?"):
        check_risk_domain_id("cbrn.biologicl")


def test_titles_name_the_harm() -> None:
    assert risk_domain_title("autonomy") == "Misaligned autonomy and loss of control"
    assert risk_domain_title("other:election-integrity") == "Other: election integrity"
    with pytest.raises(ValueError, match="not a risk domain id"):
        risk_domain_title("nope")


def test_only_the_four_cbrn_domains_are_cbrn() -> None:
    assert [domain for domain in RISK_DOMAINS if is_cbrn(domain)] == list(CBRN_DOMAINS)
