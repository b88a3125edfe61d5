"""What a check is: a small pure function from a disclosure and its settings to the gaps it finds.

A check knows nothing of severities, messages or sources: those belong to the rule that uses it, so that one
check (say, "these risk domains are covered") can serve the framework's tenets and a statute alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, ValidationError

from candor.domain.documents import DISCLOSURE_KINDS, Certification, SecureDevelopmentFramework, SystemCard
from candor.domain.redaction import DocumentRedactions
from candor.domain.yamlload import FieldPath

#: Any disclosure a check may look at.
DisclosureModel = SecureDevelopmentFramework | SystemCard | Certification


@dataclass(frozen=True)
class Gap:
    """One place where a document lacks what a check looks for.

    ``path`` points at the field that is wrong, or, for something missing, at the field that should hold it
    (its nearest written ancestor gives the line).
    """

    path: FieldPath
    detail: str | None = None
    hint: str | None = None
    #: The file line, for a gap in the body, where no field path gives one.
    line: int | None = None


@dataclass(frozen=True)
class CheckContext:
    """The other disclosures checked alongside a document, for rules that compare documents.

    A system card names the framework version it applied; when that framework is among the files checked, a rule
    can hold the card to the domains the framework actually covers. Checks that look at one document ignore it.
    """

    #: The frameworks checked together, by (developer, version).
    frameworks: Mapping[tuple[str, str], SecureDevelopmentFramework] = field(default_factory=dict)
    #: The redactions of the document being checked; :func:`~candor.domain.standards.run_standard` sets them.
    redactions: DocumentRedactions = field(default_factory=DocumentRedactions)

    @classmethod
    def of(cls, models: Iterable[DisclosureModel]) -> CheckContext:
        """The context made by a set of disclosures checked together."""
        frameworks = {
            (model.developer, model.version): model for model in models if isinstance(model, SecureDevelopmentFramework)
        }
        return cls(frameworks)

    def framework(self, developer: str, version: str) -> SecureDevelopmentFramework | None:
        """The developer's framework of that version, if it was checked alongside."""
        return self.frameworks.get((developer, version))

    def has_frameworks_of(self, developer: str) -> bool:
        """Whether any framework of ``developer`` was checked alongside."""
        return any(key[0] == developer for key in self.frameworks)


class CheckParamsError(Exception):
    """A rule gives a check settings it does not accept; ``path`` is relative to the rule's ``params``."""

    def __init__(self, message: str, path: FieldPath = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class Params(BaseModel):
    """Base of every check's settings: unknown keys are errors, so a typo in a rule pack is caught on load."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(Params):
    """For checks that take no settings."""


P = TypeVar("P", bound=Params)
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Check(Generic[M, P]):
    """A named check, the disclosure models it reads, and the settings it takes."""

    name: str
    #: One line saying what the check looks for, for ``candor standards show``.
    summary: str
    #: The model classes ``run`` accepts; ``M`` is one of them or their union.
    reads: tuple[type[DisclosureModel], ...]
    params: type[P]
    #: The check itself: the document, its settings, and the documents checked alongside it.
    run: Callable[[M, P, CheckContext], Iterator[Gap]]
    #: Extra load-time validation that needs the kinds a rule applies to (e.g. that a field exists).
    validate_for_kinds: Callable[[P, tuple[str, ...]], None] | None = None

    @property
    def kinds(self) -> frozenset[str]:
        """The ``kind`` values of the documents this check reads."""
        return frozenset(kind for kind, model in DISCLOSURE_KINDS.items() if model in self.reads)

    def validate_params(self, raw: Mapping[str, Any], kinds: tuple[str, ...]) -> P:
        """Settings parsed for this check; a :class:`CheckParamsError` names the first bad one."""
        unsupported = [kind for kind in kinds if kind not in self.kinds]
        if unsupported:
            raise CheckParamsError(
                f"cannot read {', '.join(unsupported)} documents; it reads {', '.join(sorted(self.kinds))}"
            )
        try:
            params = self.params.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            path = tuple(part for part in error["loc"] if isinstance(part, str | int))
            raise CheckParamsError(error["msg"].removeprefix("Value error, "), path) from None
        if self.validate_for_kinds is not None:
            self.validate_for_kinds(params, kinds)
        return params

    def inspect(self, model: DisclosureModel, raw: Mapping[str, Any], context: CheckContext) -> Iterator[Gap]:
        """The gaps this check finds in ``model`` with the settings ``raw``."""
        if not isinstance(model, self.reads):
            return iter(())
        return self.run(cast(M, model), self.params.model_validate(raw), context)
