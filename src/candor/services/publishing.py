"""The publish use case: a developer's signed statement and document in, one new log entry out.

The checks run in the order the registry promises, so that the first thing wrong is the thing reported:

1. the bearer token: known, unrevoked, of publish scope, and acting for the statement's developer;
2. the developer's signature over the statement, against a registered key that is not revoked; the statement is
   for this registry's log (its ``origin``) and was not issued in the future;
3. the document: its SHA-256 is the one the statement names, it parses, and its front matter agrees with the
   statement (developer, kind, version, series); it is a public version (no passage still marked for redaction),
   and any redaction placeholders come with the sealed original the statement names;
4. the series rules: versions increase, ``supersedes`` names the current version, and the same document again
   returns the entry already published; a withdrawal or correction names an earlier statement of the same
   developer.

Parsing and the standards run outside any transaction. Then ONE transaction, holding the log's append lock, stores
the document, the statement, its log entry and its findings; the index is allocated inside that lock, so indexes
are unique and dense however many server processes publish at once.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import public_key_from_raw
from candor.domain.documents import SystemCard
from candor.domain.log_entry import signed_entry
from candor.domain.parse import ParsedDocument, parse_bytes
from candor.domain.redaction import RedactionForm
from candor.domain.redaction_body import drawn_redactions
from candor.domain.redaction_markup import PLACEHOLDER
from candor.domain.sealing import SealingError, check_sealed_structure, least_original_chars
from candor.domain.source import refuse_carriage_returns
from candor.domain.standards import Finding, RulePack, run_standard
from candor.domain.statement import (
    KINDS_WITH_TARGET,
    SignatureError,
    Statement,
    StatementError,
    StatementKind,
    parse_statement,
    verify_statement_signature,
    version_key,
)
from candor.errors import CandorError, ConflictError
from candor.services.certifications import check_certification
from candor.services.integration import AppendGate
from candor.store.developers import Developers
from candor.store.documents import Documents
from candor.store.log_entries import append_log_entry, log_append_lock
from candor.store.sealed import SealedOriginals
from candor.store.search import index_publication
from candor.store.statements import Statements
from candor.store.tables import Developer, DeveloperKey, StatementRecord
from candor.store.tokens import ApiTokens
from candor.store.vocabulary import DeveloperStatus, TokenScope


class PublishError(CandorError):
    """A publication the registry refuses; ``http_status`` says how the API reports it."""

    http_status = 422


class UnauthenticatedError(PublishError):
    """No token, or one the registry does not know (or has revoked)."""

    http_status = 401
    error_code = "unauthorized"


class ForbiddenError(PublishError):
    """A token or key that may not publish this statement."""

    http_status = 403
    error_code = "forbidden"


class DocumentTooLargeError(PublishError):
    """A document over the registry's size limit."""

    http_status = 413
    error_code = "request_too_large"


#: How far ahead of the registry's clock a statement's ``issued_at`` may be: room for a developer's clock that
#: runs a little fast, not for statements dated into the future.
MAX_CLOCK_SKEW: Final = timedelta(minutes=10)
#: The registry's clock, in UTC; tests pass another.
_REGISTRY_CLOCK: Final = partial(datetime.now, UTC)


class WrongOriginError(PublishError):
    """A statement signed for another registry's log, or for none."""

    error_code = "wrong_origin"


class VersionConflictError(ConflictError):
    """A statement that breaks the series rules: an old version, or a supersedes that is not current."""


@dataclass(frozen=True)
class Publication:
    """What the developer sends: the canonical statement, its signature, and the document bytes."""

    statement_bytes: bytes
    signature: bytes
    document: bytes | None
    #: The sealed original of a redacted document, named by the statement's ``sealed_sha256``.
    sealed: bytes | None = None


@dataclass(frozen=True)
class PublishedEntry:
    """Where the registry recorded a statement; ``created`` is False when it had been published before."""

    statement_sha256: str
    log_index: int
    leaf_hash: bytes
    developer: str
    kind: str
    version: str
    created: bool


def series_of(model: object) -> str | None:
    """The series a disclosure belongs to: a system card's model name; None for a developer's single framework."""
    return model.model.name if isinstance(model, SystemCard) else None


def statement_for_document(
    parsed: ParsedDocument, raw: bytes, issued_at: datetime, *, origin: str, sealed: bytes | None = None
) -> Statement:
    """The statement a developer signs to publish ``raw`` (and its ``sealed`` original) to the log ``origin``, read
    from its front matter."""
    model = parsed.model
    try:
        return Statement(
            origin=origin,
            developer=model.developer,
            kind=StatementKind(model.kind),
            series=series_of(model),
            version=model.version,
            document_sha256=hashlib.sha256(raw).hexdigest(),
            supersedes=model.supersedes,
            issued_at=issued_at,
            sealed_sha256=None if sealed is None else hashlib.sha256(sealed).hexdigest(),
        )
    except ValidationError as exc:
        # A front-matter value can be valid in a document and still not fit a statement (a model name with spaces).
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise StatementError(f"{parsed.name}: cannot be stated for publication: {field}: {first['msg']}") from exc


class Publisher:
    """Publishes statements into the registry whose sessions it holds, checking them against ``standard``."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        standard: RulePack,
        *,
        max_document_bytes: int,
        gate: AppendGate | None = None,
        now: Callable[[], datetime] = _REGISTRY_CLOCK,
        regulator_key: str | None = None,
        origin: str,
        sequencing_check: Callable[[Session], None] | None = None,
    ) -> None:
        self.sessions = sessions
        #: The origin of this registry's log: every new statement must name it.
        self.origin = origin
        #: Asked inside the append lock before a new entry gets its index (the registry log's
        #: :meth:`~candor.services.integration.RegistryLog.check_sequencing`): an index the log has already signed
        #: with other contents must never be given out again.
        self.sequencing_check = sequencing_check
        #: The registry's clock: publication times, and which keys are in force. Injectable so that a demo or a
        #: test can publish a history on its own dates.
        self.now = now
        self.standard = standard
        self.max_document_bytes = max_document_bytes
        self.gate = gate or AppendGate()
        #: The fingerprint of the regulator's public key, when the registry knows it: every sealed original must be
        #: sealed to that key.
        self.regulator_key = regulator_key

    def publish(self, token: str | None, publication: Publication) -> PublishedEntry:
        """Check ``publication`` and record it, or return the entry that already records it."""
        with self.sessions.begin() as session:
            holder = self._token_holder(session, token)
            statement = parse_statement(publication.statement_bytes)
            if holder != statement.developer:
                raise ForbiddenError(
                    f"this token publishes for {holder}, not for {statement.developer}",
                    hint="one developer can never publish as another",
                )
            key_id = self._signing_key(session, statement, publication).id
        self._check_origin_and_time(statement)
        parsed = self._check_document(statement, publication.document)
        check_sealed_original(statement, publication.sealed, parsed, regulator_key=self.regulator_key)
        findings = run_standard(self.standard, parsed) if parsed is not None else []
        with self.gate, self.sessions.begin() as session, log_append_lock(session):
            # Looked up again under the lock (the signature needs no second check): a key revoked in the meantime
            # must not sign anything new.
            key = session.get(DeveloperKey, key_id)
            if key is None or key.revoked_at is not None:
                raise ForbiddenError("the key that signed this statement was revoked while it was being checked")
            existing = self._check_series(session, statement, parsed.model.kind if parsed else None)
            if existing is not None:
                return _entry(existing, created=False)
            check_certification(session, statement.developer, parsed, self.now())
            if self.sequencing_check is not None:
                self.sequencing_check(session)
            record = self._record(session, statement, publication, key, findings)
            return _entry(record, created=True)

    # -- 1. the token ---------------------------------------------------------------------------------------------

    def token_holder(self, token: str | None) -> str:
        """The developer a publish token acts for; :class:`UnauthenticatedError` or :class:`ForbiddenError` if none.

        The API asks this before it reads a request's body, so that nobody learns what a body must hold before
        hearing whether they may publish at all; :meth:`publish` asks again, inside its transaction.
        """
        with self.sessions() as session:
            return self._token_holder(session, token)

    @staticmethod
    def _token_holder(session: Session, token: str | None) -> str:
        """The slug of the active developer the publish token acts for."""
        if not token:
            raise UnauthenticatedError("publishing needs a bearer token", hint="Authorization: Bearer <token>")
        row = ApiTokens(session).authenticate(token)
        if row is None:
            raise UnauthenticatedError("the bearer token is unknown or revoked")
        if row.scope != TokenScope.PUBLISH.value or row.developer is None:
            raise ForbiddenError(f"a {row.scope} token cannot publish; use a publish token of the developer")
        if row.developer.status != DeveloperStatus.ACTIVE.value:
            raise ForbiddenError(f"developer {row.developer.slug} is {row.developer.status} and cannot publish")
        return row.developer.slug

    # -- 2. the signature -----------------------------------------------------------------------------------------

    def _signing_key(self, session: Session, statement: Statement, publication: Publication) -> DeveloperKey:
        developers = Developers(session)
        developer = developers.get(statement.developer)
        keys = developers.keys_valid_at(developer, self.now())
        for key in keys:
            try:
                verify_statement_signature(
                    publication.statement_bytes, publication.signature, public_key_from_raw(key.public_key)
                )
            except SignatureError:
                continue
            return key
        if not keys:
            raise ForbiddenError(f"developer {developer.slug} has no registered key that is in force")
        raise ForbiddenError(
            f"the statement's signature does not verify against any unrevoked key of {developer.slug}",
            hint="sign with the private key whose public key the registry holds",
        )

    def _check_origin_and_time(self, statement: Statement) -> None:
        if statement.origin is None:
            raise WrongOriginError(
                f"the statement names no log origin; a new statement must name this registry's, {self.origin}",
                hint="sign it again with a current candor, which reads the origin from the registry",
            )
        if statement.origin != self.origin:
            raise WrongOriginError(
                f"the statement is for the log {statement.origin}, not for this registry's log {self.origin}",
                hint="a statement signed for one registry cannot be replayed into another; sign one for this log",
            )
        latest = self.now() + MAX_CLOCK_SKEW
        if statement.issued_at > latest:
            raise PublishError(
                f"the statement is issued at {statement.issued_at:%Y-%m-%dT%H:%M:%SZ}, more than "
                f"{MAX_CLOCK_SKEW.total_seconds() / 60:.0f} minutes ahead of the registry's clock "
                f"({self.now():%Y-%m-%dT%H:%M:%SZ})",
                hint="check the signing machine's clock",
            )

    # -- 3. the document ------------------------------------------------------------------------------------------

    def _check_document(self, statement: Statement, document: bytes | None) -> ParsedDocument | None:
        if statement.document_sha256 is None:
            if document is not None:
                raise PublishError("a withdrawal carries no document; send the statement alone")
            return None
        if document is None:
            raise PublishError(f"the statement names document {statement.document_sha256}, but none was sent")
        if len(document) > self.max_document_bytes:
            raise DocumentTooLargeError(
                f"document is {len(document):,} bytes, over the limit of {self.max_document_bytes:,} bytes"
            )
        actual = hashlib.sha256(document).hexdigest()
        if actual != statement.document_sha256:
            raise PublishError(
                f"the document's SHA-256 is {actual}, but the statement names {statement.document_sha256}"
            )
        name = f"{statement.developer}/{statement.kind.value}/{statement.version}"
        refuse_carriage_returns(name, document)
        parsed = parse_bytes(name, document)
        _front_matter_agrees(parsed, statement)
        return parsed

    # -- 4. the series ---------------------------------------------------------------------------------------------

    @staticmethod
    def _check_series(session: Session, statement: Statement, document_kind: str | None) -> StatementRecord | None:
        """The statement already recording this publication, if any; raises if it breaks the series rules."""
        statements = Statements(session)
        same = statements.find(statement.digest())
        if same is not None:
            return same
        developer = Developers(session).get(statement.developer)
        if statement.kind in KINDS_WITH_TARGET:
            return _check_target(statements, developer, statement, document_kind)
        series = statements.series(developer, statement.kind.value, statement.series)
        for earlier in series:
            if earlier.version == statement.version:
                if earlier.document_sha256 == statement.document_sha256:
                    _same_sealed_original(session, earlier, statement)
                    return earlier
                raise VersionConflictError(
                    f"version {statement.version} of {_series_name(statement)} is already published "
                    "with a different document",
                    hint="give the new document a higher version",
                )
        if series:
            newest = max(series, key=lambda record: version_key(record.version))
            if version_key(statement.version) <= version_key(newest.version):
                raise VersionConflictError(
                    f"version {statement.version} of {_series_name(statement)} does not increase on "
                    f"{newest.version}, already published"
                )
        current = _current(statements, series)
        if statement.supersedes != (current.version if current else None):
            if current is None:
                raise VersionConflictError(
                    f"supersedes {statement.supersedes} names no current version of {_series_name(statement)}",
                    hint="the first published version supersedes nothing",
                )
            raise VersionConflictError(
                f"{_series_name(statement)} version {statement.version} must supersede the current version "
                f"{current.version}, not {statement.supersedes}"
            )
        return None

    def _record(
        self,
        session: Session,
        statement: Statement,
        publication: Publication,
        key: DeveloperKey,
        findings: Sequence[Finding],
    ) -> StatementRecord:
        developer = Developers(session).get(statement.developer)
        document = (
            Documents(session).put(publication.document, limit=self.max_document_bytes)
            if publication.document is not None
            else None
        )
        # The entry logs the signature and key with the statement, so that an auditor holding only the log can
        # check who signed it (docs/formats.md).
        entry = append_log_entry(
            session, signed_entry(publication.statement_bytes, publication.signature, key.public_key)
        )
        statements = Statements(session)
        record = statements.add(
            statement,
            signature=publication.signature,
            developer=developer,
            key=key,
            log_entry=entry,
            document=document,
            published_at=self.now(),
        )
        if publication.sealed is not None:
            SealedOriginals(session).put(record, publication.sealed)
        if document is not None:  # the public version only: the sealed original is never indexed
            index_publication(session, record, developer, document)
        for finding in findings:
            statements.add_finding(
                record,
                standard_id=self.standard.id,
                standard_version=self.standard.version,
                rule_id=finding.rule_id,
                severity=finding.severity.value,
                message=finding.message,
                location=finding.field,
            )
        return record


def check_sealed_original(
    statement: Statement, sealed: bytes | None, parsed: ParsedDocument | None, *, regulator_key: str | None = None
) -> None:
    """A sealed original comes exactly when the statement names one, with that hash, bound to this statement, and
    sealed to the regulator's key (fingerprint ``regulator_key``) when the registry knows it.

    The document must also be a public version that can be published (see :func:`check_public_version`).
    """
    if statement.sealed_sha256 is None and sealed is not None:
        raise PublishError("a sealed original was sent, but the statement names none in sealed_sha256")
    if parsed is not None:
        check_public_version(parsed, sealed=statement.sealed_sha256 is not None)
    if statement.sealed_sha256 is None:
        return
    if sealed is None or parsed is None:
        raise PublishError(f"the statement names sealed original {statement.sealed_sha256}, but none was sent")
    actual = hashlib.sha256(sealed).hexdigest()
    if actual != statement.sealed_sha256:
        raise PublishError(
            f"the sealed original's SHA-256 is {actual}, but the statement names {statement.sealed_sha256}"
        )
    placeholders = [redaction for redaction in parsed.redactions if redaction.is_placeholder]
    try:
        header = check_sealed_structure(
            sealed,
            "sealed original",
            salts=len(placeholders),
            least_original_bytes=least_original_chars(parsed.source.text, placeholders),
        )
    except SealingError as exc:
        raise PublishError(exc.message, hint=exc.hint) from None
    bound = (header.developer, header.kind, header.version, header.public_sha256)
    expected = (statement.developer, parsed.model.kind, statement.version, statement.document_sha256)
    if bound != expected:
        raise PublishError(
            "the sealed original is bound to {} {} {} (document {}), not to this statement".format(*bound),
            hint="publish the public version and the sealed original that `candor redact` wrote together",
        )
    if regulator_key is not None and header.regulator_key != regulator_key:
        raise PublishError(
            f"the sealed original is sealed to regulator key {header.regulator_key}, but the regulator's key is "
            f"{regulator_key}; the regulator could never open it",
            hint="run `candor redact` again with --regulator-key set to the regulator's published public key",
        )


def check_public_version(parsed: ParsedDocument, *, sealed: bool) -> None:
    """Refuse a document that is not a public version fit to publish, with or without a ``sealed`` original.

    The registry and ``candor publish`` (before it signs) both run this check:

    - no passage may still be marked for redaction: the developer marked it as not for the public, and the log
      would serve it in clear, in every download and diff, forever;
    - a document holding redaction placeholders must come with its sealed original: otherwise the regulator could
      never open what was withheld, and a redaction would become a hiding place;
    - the site's renderer must draw a placeholder exactly where the public version holds one: a placeholder drawn
      over text that is not one would hide from the page what the registry serves in clear.
    """
    marked = next((redaction for redaction in parsed.redactions if not redaction.is_placeholder), None)
    if marked is not None:
        raise PublishError(
            f"{parsed.name}:{marked.line}: this passage is still marked for redaction and would be published",
            hint="run `candor redact` and publish the public version it writes, with its sealed original",
        )
    placeholder = next((redaction for redaction in parsed.redactions if redaction.is_placeholder), None)
    if placeholder is not None and not sealed:
        raise PublishError(
            f"{parsed.name}:{placeholder.line}: this redaction placeholder comes without the sealed original "
            "that lets the regulator open it",
            hint="publish the sealed original `candor redact` wrote beside the public version (candor publish "
            "--sealed)",
        )
    _check_drawn_placeholders(parsed)


def _check_drawn_placeholders(parsed: ParsedDocument) -> None:
    held = Counter(
        redaction.line - parsed.body_line
        for redaction in parsed.redactions
        if redaction.form is not RedactionForm.FRONT_MATTER
    )
    for line, kind in drawn_redactions(parsed.body):
        if kind != PLACEHOLDER or held[line] == 0:
            raise PublishError(
                f"{parsed.name}:{line + parsed.body_line}: the site would draw a redaction placeholder here over "
                "text that is not one, and serve that text in clear",
                hint="run `candor redact` and publish the public version it writes",
            )
        held[line] -= 1
    missing = sorted(line for line, count in held.items() if count)
    if missing:
        raise PublishError(
            f"{parsed.name}:{missing[0] + parsed.body_line}: the document holds a placeholder here that the site "
            "would not draw"
        )


def _front_matter_agrees(parsed: ParsedDocument, statement: Statement) -> None:
    model = parsed.model
    kind = statement.kind.value
    if statement.kind is StatementKind.CORRECTION:
        kind = model.kind  # a correction's document is of the corrected statement's kind, checked later
    expected = {
        "developer": (model.developer, statement.developer),
        "kind": (model.kind, kind),
        "version": (model.version, statement.version),
        "series": (series_of(model), statement.series),
    }
    for field, (written, stated) in expected.items():
        if written != stated:
            raise PublishError(
                f"{parsed.name}: the document's {field} is {written!r}, but the statement says {stated!r}",
                hint="build the statement from the document's front matter",
            )


def _check_target(
    statements: Statements, developer: Developer, statement: Statement, document_kind: str | None
) -> StatementRecord | None:
    assert statement.target is not None  # the Statement model requires it for these kinds
    target = statements.find(statement.target)
    if target is None:
        raise PublishError(f"the {statement.kind.value} names statement {statement.target}, which is not published")
    if target.developer_id != developer.id:
        raise ForbiddenError(f"statement {statement.target} is not {developer.slug}'s; only its developer acts on it")
    if target.kind in {kind.value for kind in KINDS_WITH_TARGET}:
        raise PublishError(f"statement {statement.target} is a {target.kind}; name the statement it acted on")
    if statement.kind is StatementKind.WITHDRAWAL:
        for earlier in statements.targeting(target.statement_sha256):
            if earlier.kind == StatementKind.WITHDRAWAL.value:
                return earlier  # already withdrawn: the same request again gets the same answer
    elif target.kind != document_kind or target.series != (statement.series or ""):
        raise PublishError(
            f"a correction of {target.kind} {target.version} must be a {target.kind} of the same series, "
            f"not a {document_kind}"
        )
    return None


def _same_sealed_original(session: Session, earlier: StatementRecord, statement: Statement) -> None:
    """Refuse a republication of ``earlier``'s document that comes with another sealed original.

    Answering "already published" would tell the developer that this sealed original is on record when the
    registry keeps only the first; the regulator would then hold a different (perhaps truncated) original.
    """
    kept = SealedOriginals(session).of_statement(earlier)
    on_record = None if kept is None else kept.sha256
    if on_record != statement.sealed_sha256:
        raise VersionConflictError(
            f"version {statement.version} of {_series_name(statement)} is already published with sealed original "
            f"{on_record or 'none'}; this publication names sealed original {statement.sealed_sha256 or 'none'}",
            hint="a published sealed original is never replaced; publish a new version to seal a new original",
        )


def _current(statements: Statements, series: Sequence[StatementRecord]) -> StatementRecord | None:
    """The newest version in the series that has not been withdrawn."""
    for record in sorted(series, key=lambda item: version_key(item.version), reverse=True):
        withdrawn = any(
            action.kind == StatementKind.WITHDRAWAL.value for action in statements.targeting(record.statement_sha256)
        )
        if not withdrawn:
            return record
    return None


def _series_name(statement: Statement) -> str:
    base = f"{statement.developer}'s {statement.kind.value}"
    return f"{base} {statement.series}" if statement.series else base


def _entry(record: StatementRecord, *, created: bool) -> PublishedEntry:
    return PublishedEntry(
        statement_sha256=record.statement_sha256,
        log_index=record.log_index,
        leaf_hash=record.log_entry.leaf_hash,
        developer=record.developer.slug,
        kind=record.kind,
        version=record.version,
        created=created,
    )
