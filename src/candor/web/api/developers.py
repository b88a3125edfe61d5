"""``/api/v1/developers``: who is registered."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from candor.domain.key_history import KeyEventKind, parse_endorsement
from candor.domain.obligations import ObligationsCalendar, as_of_day
from candor.errors import NotFoundError
from candor.services.developer_keys import KeyEventView, KeyView, key_history
from candor.services.publishing import PublishError
from candor.web.api.models import DeveloperDetailOut, DeveloperOut, PageOut, page_out
from candor.web.api.publishing import Authorization, bearer_token, registration
from candor.web.deps import PageNumber, PageSize, Queries
from candor.web.errors import ERROR_RESPONSES

Slug = Annotated[str, Path(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$", description="Developer slug.")]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/developers", tags=["developers"], responses=ERROR_RESPONSES)

    @router.get("", summary="Registered developers, by slug")
    def list_developers(registry: Queries, page: PageNumber = 1, per_page: PageSize = 50) -> PageOut[DeveloperOut]:
        found = registry.developers(number=page, size=per_page)
        return page_out(found, [DeveloperOut.of(item) for item in found.items])

    @router.get("/{slug}", summary="One developer, with its current framework, system cards and certifications")
    def get_developer(slug: Slug, registry: Queries) -> DeveloperDetailOut:
        return DeveloperDetailOut.of_view(registry.developer(slug, size=1))

    @router.get(
        "/{slug}/obligations",
        summary="The developer's obligations calendar: each duty of each covering regime, its due date and state",
        description=(
            "Worked out from the developer's facts on file and its published statements, at the moment asked "
            "(now, or noon UTC of `as_of`). Each entry names its trigger, recurrence, due date (a day, ending at "
            "midnight in the law's time zone, or an instant for hour clocks) and state: `met` (naming the "
            "statement that meets it), `due`, `overdue`, `unknown` (naming the missing fact) or `ongoing` (no "
            "date). The same calendar is served as iCalendar at `/developers/{slug}/obligations.ics`. 404 when "
            "the developer is unknown or has no readable facts on file."
        ),
    )
    def get_obligations(
        slug: Slug,
        registry: Queries,
        as_of: Annotated[
            date | None, Query(description="The day to work the states out on (YYYY-MM-DD); default: now.")
        ] = None,
    ) -> ObligationsCalendar:
        view = registry.obligations(slug, None if as_of is None else as_of_day(as_of))
        if view.calendar is None:
            raise NoObligationsError(f"{slug}: {view.problem}")
        return view.calendar

    @router.get(
        "/{slug}/keys",
        summary="The developer's key history: each key, when it was in force, and the key events that logged it",
        description=(
            "Oldest key first. Each key names the key event in the log that made it the developer's (a "
            "`key-registration`, or a `key-rotation` signed by the previous key) and, once it stopped signing, the "
            "one that retired it (a `key-revocation`, or the rotation to the next key). `entry_url` serves the "
            "entry's exact bytes; `candor log verify --statements` checks the same events against the log key and "
            "every statement against the developer's key in force at its index."
        ),
    )
    def get_keys(slug: Slug, request: Request) -> KeyHistoryOut:
        keys = key_history(request.app.state.sessions, slug)
        base = str(request.base_url).rstrip("/")
        return KeyHistoryOut(developer=slug, keys=[KeyOut.of(key, base) for key in keys])

    @router.post(
        "/{slug}/keys",
        status_code=201,
        summary="Rotate to a new key, endorsed by the key it replaces (a publish token of the developer)",
        description=(
            "The body carries a `candor.key-endorsement/v1` file (from `candor keys endorse`): a `key-rotation` "
            "event for this registry's log origin, signed by the developer's current key. The registry checks the "
            "token is this developer's (403 otherwise), the endorsement (403 if the previous key did not sign it, "
            "or is not the developer's key in force; 422 for another origin or a stale one; 409 for a key already "
            "registered), then logs the rotation signed by its log key too, in the transaction that records the "
            "new key and retires the previous one."
        ),
        responses={201: {"description": "Logged: the new key is the developer's from this entry on."}},
    )
    async def rotate_key(
        slug: Slug, body: EndorsementIn, request: Request, response: Response, authorization: Authorization = None
    ) -> KeyChangeOut:
        token = bearer_token(authorization)
        registry = registration(request.app)

        def rotate() -> KeyChangeOut:
            try:
                raw = base64.b64decode(body.endorsement.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError) as exc:
                raise PublishError("endorsement: not valid base64") from exc
            change = registry.rotate(parse_endorsement(raw), token=token, slug=slug)
            base = str(request.base_url).rstrip("/")
            return KeyChangeOut(
                developer=change.developer,
                kind=change.kind,
                key_fingerprint=change.key_fingerprint,
                log_index=change.log_index,
                entry_url=entry_url(base, change.log_index),
            )

        changed = await run_in_threadpool(rotate)
        # Committed: the developer's pages this server kept are stale now, even where the database gives no signal.
        request.app.state.data_version.touch()
        integrator = getattr(request.app.state, "integrator", None)
        if integrator is not None:
            integrator.wake()
        return changed

    return router


def entry_url(base: str, log_index: int) -> str:
    """Where the API serves a log entry's exact bytes."""
    return f"{base}/api/v1/log/entries/{log_index}/raw"


class KeyEventOut(BaseModel):
    """A key event in the log."""

    log_index: int = Field(description="The entry's index in the log.")
    kind: KeyEventKind = Field(description="key-registration, key-rotation or key-revocation.")
    issued_at: str = Field(description="When the registry issued it (UTC), as the event says.")
    entry_url: str = Field(description="The entry's exact bytes (a candor.signed-key-event/v1 envelope).")

    @classmethod
    def of(cls, event: KeyEventView | None, base: str) -> KeyEventOut | None:
        if event is None:
            return None
        return cls(
            log_index=event.log_index,
            kind=event.kind,
            issued_at=event.issued_at,
            entry_url=entry_url(base, event.log_index),
        )


class KeyOut(BaseModel):
    """One of the developer's keys."""

    fingerprint: str = Field(description="SHA256:<base64> of the raw public key, as candor verify prints it.")
    public_key: str = Field(description="The raw 32-byte Ed25519 public key, base64.")
    valid_from: datetime
    valid_to: datetime | None = Field(description="When it stopped signing; null while in force.")
    registered_by: KeyEventOut | None = Field(
        description="The key event that made it the developer's; null for a key not in the log (from before key "
        "events, awaiting the developer's endorsement)."
    )
    retired_by: KeyEventOut | None = Field(description="The key event that retired it, if any.")

    @classmethod
    def of(cls, key: KeyView, base: str) -> KeyOut:
        return cls(
            fingerprint=key.fingerprint,
            public_key=key.public_key,
            valid_from=key.valid_from,
            valid_to=key.valid_to,
            registered_by=KeyEventOut.of(key.registered_by, base),
            retired_by=KeyEventOut.of(key.retired_by, base),
        )


class KeyHistoryOut(BaseModel):
    """A developer's keys, oldest first."""

    developer: str
    keys: list[KeyOut]


class EndorsementIn(BaseModel):
    """A key endorsement file, as ``candor keys endorse`` writes it."""

    endorsement: str = Field(max_length=8192, description="The candor.key-endorsement/v1 file's bytes, base64.")


class KeyChangeOut(BaseModel):
    """The key event the registry logged."""

    developer: str
    kind: KeyEventKind
    key_fingerprint: str
    log_index: int
    entry_url: str


class NoObligationsError(NotFoundError):
    """A developer with no facts on file (or unreadable ones), so no calendar can be worked out."""
