"""The named checks that implement a standard's rules, and the registry that rule packs refer to by name.

A rule pack names its checks; a name missing from :data:`CHECKS` is an error when the pack is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from candor.domain.checks import certification, common, framework, redaction, system_card
from candor.domain.checks.base import Check, CheckContext, CheckParamsError, DisclosureModel, Gap

__all__ = ["CHECKS", "Check", "CheckContext", "CheckParamsError", "DisclosureModel", "Gap"]

_ALL: tuple[Check[Any, Any], ...] = (
    framework.COVERS_DOMAINS,
    framework.DOMAINS_COMMITTED,
    framework.DOMAIN_HAS_PART,
    framework.DOMAIN_EVALUATED_AT,
    framework.THRESHOLDS_EVALUATED,
    framework.PRACTICE_COMMITS,
    framework.PRACTICE_MENTIONS,
    framework.REVIEW_CADENCE,
    system_card.CARD_EVALUATES,
    system_card.CARD_MITIGATES,
    system_card.CARD_CROSSED_RESTRICTED,
    system_card.CARD_THIRD_PARTY,
    system_card.CARD_COVERS_FRAMEWORK_DOMAINS,
    certification.CERTIFIES_PAST_PERIOD,
    common.FIELD_PRESENT,
    common.CHANGELOG_COVERS_VERSION,
    common.FRAMEWORK_VERSION_KNOWN,
    redaction.REDACTION_JUSTIFIED,
    redaction.REDACTED_SHARE,
    redaction.MANDATORY_NOT_REDACTED,
)

#: Every check by name.
CHECKS: Mapping[str, Check[Any, Any]] = {check.name: check for check in _ALL}
