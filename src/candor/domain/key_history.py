"""Developer keys in the log: key events, and the walk that knows each developer's keys at every index.

A signature logged with a statement (``domain/log_entry.py``) says which key signed, not that the key is the
developer's: whoever holds the log key can log a statement signed by a key of their own. So registering, rotating
and revoking a developer's key are logged too, as key events, and a reader walking the log in order keeps each
developer's keys and checks every signed statement against the keys in force at its index.

A key event entry (``candor.signed-key-event/v1``) is an RFC 8785 canonical envelope:

- ``event``: the canonical ``candor.key-event/v1`` object (origin, developer, kind, key, previous_key, issued_at);
- ``registry_signature``: the log key's Ed25519 signature over the event's canonical bytes. The log key, because
  every verifier already pins it; the bytes hold no newline, so they can never be a signed note's text;
- ``previous_key_signature`` (a rotation only): the previous key's signature over the same bytes, so that the log
  key alone cannot hand a developer's name to another key once the developer has one.

The rules the walk enforces (``docs/formats.md``): a registration only for a developer with no key in the log; a
rotation names a key in force and is signed by it, which it replaces; a revocation names a key in force. A
statement logged before its developer's first key event (a registry made before key events, whose keys were logged
when it upgraded) is checked at the end of the walk against the keys the log registers for that developer; a
developer whose statements the log holds but whose key it never registers is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Literal

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from candor.domain.developer_keys import key_fingerprint, public_key_from_raw
from candor.domain.log_entry import LoggedStatement
from candor.domain.statement import LOG_ORIGIN_PATTERN, MAX_ORIGIN_CHARS, SIGNATURE_BYTES, DeveloperSlug, StatementError

KEY_EVENT_TYPE: Final = "candor.key-event/v1"
SIGNED_KEY_EVENT_TYPE: Final = "candor.signed-key-event/v1"

_BASE64_KEY = r"^[A-Za-z0-9+/]{43}=$"

#: Checks the log key's signature over some bytes (a signed-note verifier's ``verify``).
RegistryVerify = Callable[[bytes, bytes], bool]


class KeyEventKind(StrEnum):
    """What a key event does to a developer's keys."""

    REGISTRATION = "key-registration"
    ROTATION = "key-rotation"
    REVOCATION = "key-revocation"


class KeyEvent(BaseModel):
    """One change to a developer's keys, as logged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["candor.key-event/v1"] = KEY_EVENT_TYPE
    origin: str = Field(min_length=1, max_length=MAX_ORIGIN_CHARS, pattern=LOG_ORIGIN_PATTERN)
    developer: DeveloperSlug
    kind: KeyEventKind
    key: str = Field(pattern=_BASE64_KEY, description="The raw Ed25519 public key registered, rotated to, revoked.")
    previous_key: str | None = Field(default=None, pattern=_BASE64_KEY, description="A rotation's previous key.")
    issued_at: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

    @model_validator(mode="after")
    def _rotation_names_its_previous_key(self) -> KeyEvent:
        if (self.kind is KeyEventKind.ROTATION) != (self.previous_key is not None):
            raise ValueError("previous_key is given for a key-rotation, and only for one")
        return self

    def canonical_bytes(self) -> bytes:
        """The RFC 8785 bytes both signatures cover."""
        encoded: bytes = rfc8785.dumps(self.model_dump(mode="json", exclude_none=True))
        return encoded

    @property
    def key_raw(self) -> bytes:
        """The event's key as 32 raw bytes."""
        return base64.b64decode(self.key)

    @property
    def previous_key_raw(self) -> bytes | None:
        """A rotation's previous key as 32 raw bytes."""
        return None if self.previous_key is None else base64.b64decode(self.previous_key)


def key_text(raw: bytes) -> str:
    """A raw public key as a key event writes it."""
    return base64.b64encode(raw).decode("ascii")


def signed_key_event(
    event: KeyEvent,
    sign_as_registry: Callable[[bytes], bytes],
    previous: Ed25519PrivateKey | None = None,
    *,
    previous_key_signature: bytes | None = None,
) -> bytes:
    """The log entry recording ``event``, signed by the registry's log key and, for a rotation, the previous key
    (its private key ``previous``, or the signature it made, as a developer's endorsement carries it)."""
    message = event.canonical_bytes()
    envelope: dict[str, Any] = {
        "type": SIGNED_KEY_EVENT_TYPE,
        "event": json.loads(message),
        "registry_signature": key_text(sign_as_registry(message)),
    }
    if previous is not None:
        previous_key_signature = previous.sign(message)
    if previous_key_signature is not None:
        envelope["previous_key_signature"] = key_text(previous_key_signature)
    encoded: bytes = rfc8785.dumps(envelope)
    return encoded


KEY_ENDORSEMENT_TYPE: Final = "candor.key-endorsement/v1"
#: An endorsement file is one canonical JSON object; far below this.
MAX_ENDORSEMENT_BYTES: Final = 4096


@dataclass(frozen=True)
class KeyEndorsement:
    """A developer's request to rotate to a new key: the rotation event, signed by the key it replaces.

    The developer makes it (``candor keys endorse``) and hands it to the registry (``candor keys rotate`` over the
    API, or the operator's ``candor admin developer rotate-key``), which adds its log key's signature and logs it.
    """

    event: KeyEvent
    previous_key_signature: bytes

    def to_bytes(self) -> bytes:
        """The endorsement file: RFC 8785 canonical JSON."""
        encoded: bytes = rfc8785.dumps(
            {
                "type": KEY_ENDORSEMENT_TYPE,
                "event": json.loads(self.event.canonical_bytes()),
                "previous_key_signature": key_text(self.previous_key_signature),
            }
        )
        return encoded

    def verify(self) -> None:
        """Raise :class:`KeyHistoryError` unless the previous key signed the event."""
        try:
            public_key_from_raw(base64.b64decode(self.event.previous_key or "")).verify(
                self.previous_key_signature, self.event.canonical_bytes()
            )
        except InvalidSignature as exc:
            raise KeyHistoryError(
                f"the key-rotation of {self.event.developer} is not signed by the previous key",
                hint="sign it with the private key of the key it replaces: candor keys endorse --key OLD.key",
            ) from exc


def endorse_rotation(event: KeyEvent, previous: Ed25519PrivateKey) -> KeyEndorsement:
    """Sign the rotation ``event`` with the key it replaces."""
    if event.kind is not KeyEventKind.ROTATION:
        raise StatementError(f"only a key-rotation is endorsed, not a {event.kind.value}")
    return KeyEndorsement(event, previous.sign(event.canonical_bytes()))


def parse_endorsement(raw: bytes, *, name: str = "endorsement") -> KeyEndorsement:
    """Read a key endorsement; :class:`StatementError` naming ``name`` and the field unless it is a canonical one
    of a key-rotation. The signature is not checked here (see :meth:`KeyEndorsement.verify`)."""
    if len(raw) > MAX_ENDORSEMENT_BYTES:
        raise StatementError(f"{name}: {len(raw):,} bytes, over the limit of {MAX_ENDORSEMENT_BYTES:,}")
    try:
        data: Any = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("type") != KEY_ENDORSEMENT_TYPE:
            raise StatementError(f"{name}: not a {KEY_ENDORSEMENT_TYPE} file", hint="make one with candor keys endorse")
        extra = set(data) - {"type", "event", "previous_key_signature"}
        if extra:
            raise StatementError(f"{name}: an endorsement has no field {sorted(extra)[0]}")
        event = KeyEvent.model_validate(data["event"])
        endorsement = KeyEndorsement(event, _signature(data["previous_key_signature"]))
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError, binascii.Error) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) else None
        detail = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}" if first else str(exc)
        raise StatementError(f"{name}: not a valid key endorsement ({detail})") from exc
    if event.kind is not KeyEventKind.ROTATION:
        raise StatementError(f"{name}: event.kind: an endorsement is of a key-rotation, not a {event.kind.value}")
    if endorsement.to_bytes() != raw.rstrip(b"\n"):
        raise StatementError(f"{name}: not in RFC 8785 canonical form", hint="make it with candor keys endorse")
    return endorsement


@dataclass(frozen=True)
class LoggedKeyEvent:
    """A key event read from the log, with its signatures."""

    event: KeyEvent
    registry_signature: bytes
    previous_key_signature: bytes | None


def is_key_event_entry(entry: bytes) -> bool:
    """Whether a log entry claims to be a key event: in canonical form only a key event begins with its ``event``
    field (the parser then insists on the rest)."""
    return entry.startswith(b'{"event":')


def parse_key_event_entry(entry: bytes, *, name: str = "log entry") -> LoggedKeyEvent:
    """Read a key event entry; :class:`StatementError` unless it is exactly a canonical one."""
    try:
        raw: Any = json.loads(entry.decode("utf-8"))
        if not isinstance(raw, dict) or raw.get("type") != SIGNED_KEY_EVENT_TYPE:
            raise StatementError(f"{name}: not a {SIGNED_KEY_EVENT_TYPE} entry")
        event = KeyEvent.model_validate(raw["event"])
        registry_signature = _signature(raw["registry_signature"])
        previous = raw.get("previous_key_signature")
        previous_signature = None if previous is None else _signature(previous)
        extra = set(raw) - {"type", "event", "registry_signature", "previous_key_signature"}
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError, binascii.Error) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) else None
        detail = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}" if first else str(exc)
        raise StatementError(f"{name}: not a valid key event ({detail})") from exc
    if extra:
        raise StatementError(f"{name}: a key event has no field {sorted(extra)[0]}")
    logged = LoggedKeyEvent(event, registry_signature, previous_signature)
    rebuilt: dict[str, Any] = {
        "type": SIGNED_KEY_EVENT_TYPE,
        "event": json.loads(event.canonical_bytes()),
        "registry_signature": key_text(registry_signature),
    }
    if previous_signature is not None:
        rebuilt["previous_key_signature"] = key_text(previous_signature)
    if rfc8785.dumps(rebuilt) != entry:
        raise StatementError(f"{name}: not in RFC 8785 canonical form")
    return logged


def _signature(text: object) -> bytes:
    if not isinstance(text, str):
        raise TypeError("a signature is not a base64 string")
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    if len(raw) != SIGNATURE_BYTES:
        raise ValueError(f"a signature is {len(raw)} bytes, not {SIGNATURE_BYTES}")
    return raw


class KeyHistoryError(StatementError):
    """A key event the log's rules refuse, or a statement signed by a key not the developer's at its index."""


@dataclass
class _KeyState:
    registered_at: int
    retired_at: int | None = None


@dataclass
class KeyHistory:
    """Each developer's keys, as the log's entries so far say; feed it every entry in order."""

    registry_verify: RegistryVerify
    keys: dict[str, dict[bytes, _KeyState]] = field(default_factory=dict)
    #: Signed statements of developers with no key in the log yet at their index: (index, developer, key).
    deferred: list[tuple[int, str, bytes]] = field(default_factory=list)

    def apply(self, index: int, logged: LoggedKeyEvent) -> None:
        """Apply the key event at ``index``, or raise :class:`KeyHistoryError` naming why it is refused."""
        event, name = logged.event, f"log entry {index}"
        message = event.canonical_bytes()
        if not self.registry_verify(message, logged.registry_signature):
            raise KeyHistoryError(f"{name}: the {event.kind.value} of {event.developer} is not signed by the log key")
        keys = self.keys.setdefault(event.developer, {})
        in_force = {key for key, state in keys.items() if state.retired_at is None}
        if event.kind is KeyEventKind.REGISTRATION:
            if keys:
                raise KeyHistoryError(
                    f"{name}: {event.developer} already has a key in the log; a new key is a key-rotation signed "
                    "by the previous key"
                )
        elif event.kind is KeyEventKind.ROTATION:
            previous = base64.b64decode(event.previous_key or "")
            if previous not in in_force:
                raise KeyHistoryError(f"{name}: the rotation's previous key is not {event.developer}'s key in force")
            try:
                public_key_from_raw(previous).verify(logged.previous_key_signature or b"", message)
            except InvalidSignature as exc:
                raise KeyHistoryError(
                    f"{name}: the key-rotation of {event.developer} is not signed by the previous key",
                    hint="a new key is accepted only with the signature of the key it replaces",
                ) from exc
            keys[previous].retired_at = index
        elif event.key_raw not in in_force:
            raise KeyHistoryError(f"{name}: the key-revocation names no key of {event.developer} in force")
        else:
            keys[event.key_raw].retired_at = index
            return
        if event.key_raw in keys:
            raise KeyHistoryError(f"{name}: the key was {event.developer}'s before; a key is never registered twice")
        keys[event.key_raw] = _KeyState(registered_at=index)

    def check_statement(self, index: int, logged: LoggedStatement) -> None:
        """Raise :class:`KeyHistoryError` unless the statement at ``index`` is signed by its developer's key in force.

        A bare statement (logged before signatures were) carries no key and is not checked. A statement of a
        developer with no key in the log yet (logged before its keys were, by a registry made before key events) is
        checked by :meth:`finish`, once the whole log has been read.
        """
        developer = logged.statement.developer
        keys = self.keys.get(developer)
        if logged.public_key is None:
            return
        if not keys:
            self.deferred.append((index, developer, logged.public_key))
            return
        state = keys.get(logged.public_key)
        if state is None:
            raise _never_registered(index, developer, logged.public_key)
        if state.retired_at is not None:
            raise KeyHistoryError(
                f"log entry {index}: signed by {developer}'s key {_shown(logged.public_key)}, revoked or replaced at "
                f"log entry {state.retired_at}"
            )

    def finish(self) -> None:
        """Check the statements logged before their developer had a key in the log: each must be signed by a key
        the log registers for that developer later on. A developer the log never registers a key for is refused."""
        for index, developer, public_key in self.deferred:
            keys = self.keys.get(developer)
            if not keys:
                raise KeyHistoryError(
                    f"log entry {index}: signed in {developer}'s name, but the log never registers a key for "
                    f"{developer}",
                    hint="the registry logs each developer's key (candor serve does on start); or a forged statement",
                )
            if public_key not in keys:
                raise _never_registered(index, developer, public_key)
        self.deferred.clear()


def _shown(public_key: bytes) -> str:
    return f"SHA256:{key_fingerprint(public_key_from_raw(public_key))}"


def _never_registered(index: int, developer: str, public_key: bytes) -> KeyHistoryError:
    return KeyHistoryError(
        f"log entry {index}: signed in {developer}'s name by key {_shown(public_key)}, which the log never registered "
        f"for {developer}",
        hint="a statement forged by whoever holds the log key, or a key registered outside the log",
    )
