"""The developer page's certification line: what the latest certification certified, and whether it still stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from candor.domain.certification_standing import (
    CERTIFICATION_MONTHS,
    CertificationFlag,
    CertifiedFacts,
    CurrentFramework,
    certification_flags,
    stands_until,
)
from candor.domain.documents import Certification
from candor.domain.parse import parse_bytes
from candor.errors import CandorError
from candor.services.queries import RegistryQueries
from candor.services.views import DeveloperView, StatementSummary


@dataclass(frozen=True)
class CertificationStatus:
    """The latest certification that is not withdrawn, what it says, and why it does not stand (if it does not)."""

    #: The latest certification's statement; None when there is none.
    statement: StatementSummary | None
    #: Its parsed document; None when there is no certification or the current parser no longer reads it.
    certification: Certification | None
    current_framework: StatementSummary | None
    flags: tuple[CertificationFlag, ...]
    #: The last day the certification stands on age.
    stands_until: date | None

    @property
    def lapsed(self) -> bool:
        """Whether the certification is missing or no longer stands."""
        return bool(self.flags)

    @property
    def reasons(self) -> list[str]:
        """One sentence per flag, in the registry's words."""
        return [self._reason(flag) for flag in self.flags]

    def _reason(self, flag: CertificationFlag) -> str:
        framework = self.current_framework
        if flag is CertificationFlag.MISSING:
            return "No certification of compliance is published."
        if flag is CertificationFlag.EXPIRED:
            return f"It is older than {CERTIFICATION_MONTHS} months: it stood until {self.stands_until}."
        assert framework is not None  # the rules flag a framework only when there is one
        if flag is CertificationFlag.SUPERSEDED:
            return (
                f"It is older than the current framework, version {framework.version}, "
                f"published {framework.published_at.date()}."
            )
        return f"It certifies a framework version other than the current one, version {framework.version}."


def certification_status(registry: RegistryQueries, developer: DeveloperView, today: date) -> CertificationStatus:
    """The status of ``developer``'s latest certification on ``today``."""
    framework = developer.current_framework
    current = None if framework is None else CurrentFramework(framework.version, framework.published_at)
    latest = next((item for item in developer.certifications if not item.withdrawn), None)
    if latest is None:
        return CertificationStatus(None, None, framework, tuple(certification_flags(None, current, today)), None)
    certification = _read(registry, latest)
    facts = CertifiedFacts(
        certified_on=latest.published_at.date() if certification is None else certification.date,
        published_at=latest.published_at,
        framework_version=None if certification is None else certification.framework,
    )
    flags = tuple(certification_flags(facts, current, today))
    return CertificationStatus(latest, certification, framework, flags, stands_until(facts.certified_on))


def _read(registry: RegistryQueries, statement: StatementSummary) -> Certification | None:
    if statement.document_sha256 is None:
        return None
    try:
        model = parse_bytes(f"{statement.document_sha256[:12]}.md", registry.document_bytes(statement.document_sha256))
    except CandorError:
        return None  # published under an older parser: shown by its statement alone
    return model.model if isinstance(model.model, Certification) else None
