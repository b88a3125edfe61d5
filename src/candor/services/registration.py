"""The registration use case: a developer and its signing keys, each change to them logged as a key event.

The operator registers a developer with its first key (``candor admin developer add``), the demo registers its
fictional developers, and the tests register theirs, all through :class:`Registration`. Every change to a
developer's keys is a key event in the registry's log (``docs/formats.md``), signed by the log key, appended in the
SAME transaction, under the log's append lock, that writes the key's row: a crash, a refusal or a failed signature
leaves neither the key nor its event, and an event never names a key the database does not hold.

- **Registration** of a developer's first key: the log key alone signs it (trust on first use, as the registry's
  vetting of the developer is).
- **Rotation** to a new key: the developer signs the rotation with the key it replaces (``candor keys endorse``),
  and hands the endorsement to the registry, over the API with its own token (``candor keys rotate``) or through
  the operator (``candor admin developer rotate-key``). The log key adds its signature. The previous key is retired
  from that entry on; statements it signed before stay valid.
- **Revocation** of a key in force, by the operator: logged, and no new statement by that key is accepted.

A registry made before key events were logged holds keys with no event: :meth:`Registration.log_keys` logs them
(``candor serve`` does on start). See ``docs/formats.md`` for what it can and cannot log.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session, sessionmaker

from candor.domain.developer_keys import key_fingerprint, public_key_from_raw, public_key_raw
from candor.domain.key_history import (
    KeyEndorsement,
    KeyEvent,
    KeyEventKind,
    KeyHistoryError,
    key_text,
    signed_key_event,
)
from candor.errors import CandorError, ConflictError, NotFoundError
from candor.services.integration import AppendGate, RegistryLog
from candor.services.publishing import MAX_CLOCK_SKEW, ForbiddenError, PublishError, token_holder
from candor.store.developers import Developers
from candor.store.log_entries import append_log_entry, log_append_lock
from candor.store.tokens import ApiTokens
from candor.store.vocabulary import TokenScope

#: How old an endorsement may be when the registry receives it: long enough for a developer to hand it to the
#: operator by mail, short enough that a stale endorsement found later cannot be replayed.
MAX_ENDORSEMENT_AGE: Final = timedelta(days=7)


class RegistrationError(PublishError):
    """A key change the registry refuses (a wrong origin, a stale endorsement); the API answers 422."""


@dataclass(frozen=True)
class KeyChange:
    """One key event the registry logged."""

    developer: str
    kind: KeyEventKind
    key_fingerprint: str
    log_index: int


@dataclass(frozen=True)
class RegisteredDeveloper:
    """A developer just registered, the key event that logged its first key, and its publish token if asked."""

    slug: str
    legal_name: str
    website_domain: str
    key: KeyChange
    token: str | None


@dataclass(frozen=True)
class LoggedKeys:
    """What :meth:`Registration.log_keys` did: the events it logged, and the keys it could not log."""

    changes: list[KeyChange]
    #: (developer, key fingerprint) of keys that need the developer's endorsement (``candor keys endorse``).
    unlogged: list[tuple[str, str]]


def utc_now() -> datetime:
    """The registry's clock."""
    return datetime.now(UTC)


def require_registered(sessions: sessionmaker[Session], slug: str) -> None:
    """:class:`NotFoundError` unless ``slug`` is a registered developer."""
    with sessions() as session:
        Developers(session).get(slug)


def event_time(moment: datetime) -> str:
    """A key event's ``issued_at``: UTC, whole seconds."""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


class Registration:
    """Registers developers and changes their keys in the registry whose sessions it holds, logging each change.

    ``sign`` is the log key's signature (a signed-note signer's ``sign``), ``origin`` the log's name, and
    ``sequencing_check`` the registry log's check that it may give out new indexes (see
    :meth:`~candor.services.integration.RegistryLog.check_sequencing`).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        origin: str,
        sign: Callable[[bytes], bytes],
        sequencing_check: Callable[[Session], None] | None = None,
        gate: AppendGate | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.sessions = sessions
        self.origin = origin
        self.sign = sign
        self.sequencing_check = sequencing_check
        self.gate = gate or AppendGate()
        self.now = now

    @classmethod
    def of_log(
        cls, sessions: sessionmaker[Session], log: RegistryLog, *, now: Callable[[], datetime] = utc_now
    ) -> Registration:
        """The registration of the registry whose log is ``log``: its key signs, its origin names the events."""
        return cls(
            sessions,
            origin=log.origin,
            sign=log.signer.sign,
            sequencing_check=log.check_sequencing,
            gate=log.gate,
            now=now,
        )

    # -- the transaction every key change runs in ------------------------------------------------------------------

    @contextmanager
    def _logging(self) -> Iterator[Session]:
        """One transaction holding the log's append lock: the key rows and the key event commit together, or
        neither does."""
        with self.gate, self.sessions.begin() as session, log_append_lock(session):
            if self.sequencing_check is not None:
                self.sequencing_check(session)
            yield session

    def _log(self, session: Session, event: KeyEvent, previous_key_signature: bytes | None = None) -> KeyChange:
        entry = append_log_entry(
            session, signed_key_event(event, self.sign, previous_key_signature=previous_key_signature)
        )
        fingerprint = f"SHA256:{key_fingerprint(public_key_from_raw(event.key_raw))}"
        return KeyChange(event.developer, event.kind, fingerprint, entry.log_index)

    def _event(self, slug: str, kind: KeyEventKind, key: bytes, moment: datetime) -> KeyEvent:
        return KeyEvent(origin=self.origin, developer=slug, kind=kind, key=key_text(key), issued_at=event_time(moment))

    # -- registering ------------------------------------------------------------------------------------------------

    def register(
        self,
        slug: str,
        *,
        legal_name: str,
        website_domain: str,
        public_key: Ed25519PublicKey,
        registered_at: datetime | None = None,
        with_token: bool = False,
    ) -> RegisteredDeveloper:
        """Register a developer with its first key (logged as a key-registration) and, if asked, a publish token."""
        moment = registered_at or self.now()
        with self._logging() as session:
            developers = Developers(session)
            developer = developers.add(slug, legal_name=legal_name, website_domain=website_domain, registered_at=moment)
            key = developers.add_key(developer, public_key, valid_from=moment)
            change = self._log(session, self._event(slug, KeyEventKind.REGISTRATION, key.public_key, moment))
            developers.log_key(key, change.log_index)
            token = ApiTokens(session).issue(TokenScope.PUBLISH, developer)[0] if with_token else None
            return RegisteredDeveloper(slug, developer.legal_name, developer.website_domain, change, token)

    def issue_token(self, slug: str | None, scope: TokenScope) -> str:
        """A new API token, for ``slug`` (a publish token) or the operator (an admin token); shown once."""
        if scope is TokenScope.PUBLISH and slug is None:
            raise CandorError("a publish token needs the developer's SLUG")
        with self.sessions.begin() as session:
            developer = Developers(session).get(slug) if slug else None
            return ApiTokens(session).issue(scope, developer)[0]

    # -- rotating ---------------------------------------------------------------------------------------------------

    def rotate(self, endorsement: KeyEndorsement, *, token: str | None = None, slug: str | None = None) -> KeyChange:
        """Log the developer's endorsed rotation to a new key, signed by the log key too.

        Through the API, ``token`` must be a publish token of the developer, and ``slug`` the developer the request
        names: one developer can never rotate another's key. The operator (no token) may hand in any endorsement;
        the previous key's signature is what authorises it either way.
        """
        event = endorsement.event
        if token is not None:
            with self.sessions() as session:
                holder = token_holder(session, token)
            if holder != (slug or event.developer):
                raise ForbiddenError(
                    f"this token acts for {holder}, not for {slug or event.developer}",
                    hint="one developer can never change another's keys",
                )
        if slug is not None and slug != event.developer:
            raise ForbiddenError(f"the endorsement is a rotation of {event.developer}'s key, not of {slug}'s")
        self._check_endorsement(endorsement)
        with self._logging() as session:
            developers = Developers(session)
            developer = developers.get(event.developer)
            previous = developers.find_key(base64.b64decode(event.previous_key or ""))
            if previous is None or previous.developer_id != developer.id or previous.revoked_at is not None:
                raise ForbiddenError(f"the rotation's previous key is not a key of {developer.slug} in force")
            if previous.log_index is None:
                raise ForbiddenError(
                    f"the rotation's previous key is not in the log yet; log {developer.slug}'s keys first",
                    hint="candor admin developer log-keys",
                )
            if developers.find_key(event.key_raw) is not None:
                raise ConflictError("the new key is already registered; a key is never registered twice")
            moment = self.now()
            change = self._log(session, event, endorsement.previous_key_signature)
            new_key = public_key_from_raw(event.key_raw)
            developers.add_key(developer, new_key, valid_from=moment, log_index=change.log_index)
            developers.revoke_key(previous, at=moment, log_index=change.log_index)
            return change

    def _check_endorsement(self, endorsement: KeyEndorsement) -> None:
        event = endorsement.event
        if event.origin != self.origin:
            raise RegistrationError(
                f"the endorsement is for the log {event.origin}, not for this registry's log {self.origin}",
                hint="endorse the rotation for this registry: candor keys endorse --origin ORIGIN",
            )
        issued = datetime.strptime(event.issued_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        now = self.now()
        if issued > now + MAX_CLOCK_SKEW or issued < now - MAX_ENDORSEMENT_AGE:
            raise RegistrationError(
                f"the endorsement is issued at {event.issued_at}; the registry accepts one from the last "
                f"{MAX_ENDORSEMENT_AGE.days} days, and not from the future (its clock: {event_time(now)})",
                hint="endorse the rotation again",
            )
        try:
            endorsement.verify()
        except KeyHistoryError as exc:
            raise ForbiddenError(exc.message, hint=exc.hint) from None

    # -- revoking ---------------------------------------------------------------------------------------------------

    def revoke(self, slug: str, public_key: Ed25519PublicKey) -> KeyChange:
        """Revoke a key of ``slug`` in force, and log the revocation; statements it signed before stay valid."""
        raw = public_key_raw(public_key)
        with self._logging() as session:
            developers = Developers(session)
            developer = developers.get(slug)
            key = developers.find_key(raw)
            if key is None or key.developer_id != developer.id:
                raise NotFoundError(f"{slug} has no key SHA256:{key_fingerprint(public_key)}")
            if key.revoked_at is not None:
                raise ConflictError(f"the key SHA256:{key_fingerprint(public_key)} of {slug} is revoked already")
            if key.log_index is None:
                raise ForbiddenError(
                    f"the key is not in the log yet; log {slug}'s keys first", hint="candor admin developer log-keys"
                )
            moment = self.now()
            change = self._log(session, self._event(slug, KeyEventKind.REVOCATION, raw, moment))
            developers.revoke_key(key, at=moment, log_index=change.log_index)
            return change

    # -- keys from before key events ----------------------------------------------------------------------------------

    def log_keys(self) -> LoggedKeys:
        """Log the keys of every developer that has none in the log yet (a registry made before migration 0008).

        For each such developer: a key-registration of its oldest key in force (or, if none is, of its oldest key,
        followed by that key's revocation), dated when the key was registered. Its other keys cannot be logged:
        only a rotation signed by the logged key can make them the developer's, so they are reported, and the
        registry accepts no new statement signed by them until the developer endorses them. Safe to run again,
        and from several servers at once: each developer is looked at under the append lock.
        """
        with self.sessions() as session:
            pending = [developer.slug for developer in Developers(session).developers_without_logged_keys()]
        changes: list[KeyChange] = []
        unlogged: list[tuple[str, str]] = []
        for slug in pending:
            with self._logging() as session:
                developers = Developers(session)
                developer = developers.get(slug)
                keys = developers.key_history(developer)
                if not keys or any(key.log_index is not None for key in keys):
                    continue  # logged by another server meanwhile
                in_force = [key for key in keys if key.revoked_at is None]
                first = (in_force or keys)[0]
                registration = self._event(slug, KeyEventKind.REGISTRATION, first.public_key, first.valid_from)
                change = self._log(session, registration)
                developers.log_key(first, change.log_index)
                changes.append(change)
                if first.revoked_at is not None:
                    revocation = self._event(slug, KeyEventKind.REVOCATION, first.public_key, first.revoked_at)
                    change = self._log(session, revocation)
                    developers.log_key_retirement(first, change.log_index)
                    changes.append(change)
                unlogged.extend(
                    (slug, f"SHA256:{key_fingerprint(public_key_from_raw(key.public_key))}")
                    for key in keys
                    if key is not first and key.revoked_at is None
                )
        return LoggedKeys(changes, unlogged)
