"""The risk taxonomy: stable ids for the harms a Secure Development Framework must address.

The ids are part of the public record. A system card, a rule pack and a later diff all refer to a domain by
its id, so an id never changes meaning once published. Domains the taxonomy does not name are written
``other:<slug>`` so that a developer can disclose a risk it tracks without waiting for the taxonomy to grow.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated

from pydantic import AfterValidator

#: Every named risk domain, with the title people read.
RISK_DOMAINS: dict[str, str] = {
    "cbrn.chemical": "Chemical weapons",
    "cbrn.biological": "Biological weapons",
    "cbrn.radiological": "Radiological weapons",
    "cbrn.nuclear": "Nuclear weapons",
    "autonomy": "Misaligned autonomy and loss of control",
    "cyber": "Cyber offence",
    "manipulation": "Harmful manipulation",
}

#: The four CBRN domains, which every framework must cover (with autonomy).
CBRN_DOMAINS: tuple[str, ...] = ("cbrn.chemical", "cbrn.biological", "cbrn.radiological", "cbrn.nuclear")

OTHER_PREFIX = "other:"

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_risk_domain_id(value: str) -> bool:
    """Whether ``value`` is a named domain id or a well-formed ``other:<slug>``."""
    if value in RISK_DOMAINS:
        return True
    return value.startswith(OTHER_PREFIX) and _SLUG.match(value.removeprefix(OTHER_PREFIX)) is not None


def check_risk_domain_id(value: str) -> str:
    """Return ``value`` if it is a risk domain id; otherwise raise ``ValueError`` with a did-you-mean hint."""
    if is_risk_domain_id(value):
        return value
    if value.startswith(OTHER_PREFIX):
        raise ValueError(f"{value!r} is not a valid other:<slug> id; use lower-case letters, digits and hyphens")
    close = difflib.get_close_matches(value, RISK_DOMAINS, n=1)
    suggestion = f"did you mean {close[0]}? " if close else ""
    raise ValueError(
        f"{value!r} is not a risk domain id; {suggestion}known ids are {', '.join(RISK_DOMAINS)}, or other:<slug>"
    )


def risk_domain_title(domain_id: str) -> str:
    """The human title of a domain id; ``other:`` domains are titled from their slug."""
    if domain_id in RISK_DOMAINS:
        return RISK_DOMAINS[domain_id]
    check_risk_domain_id(domain_id)
    return "Other: " + domain_id.removeprefix(OTHER_PREFIX).replace("-", " ")


def is_cbrn(domain_id: str) -> bool:
    """Whether the domain is one of the four CBRN domains."""
    return domain_id in CBRN_DOMAINS


#: A pydantic field type that accepts only risk domain ids.
RiskDomainId = Annotated[str, AfterValidator(check_risk_domain_id)]
