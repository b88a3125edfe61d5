"""Developers and their signing keys."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from candor.domain.confusables import check_visible, confusable_keys
from candor.domain.developer_keys import public_key_raw
from candor.domain.slugs import is_developer_slug
from candor.errors import ConflictError, NotFoundError
from candor.store.columns import utc_now
from candor.store.errors import StoreError
from candor.store.tables import Developer, DeveloperKey, DeveloperStatus

# A host name: dot-separated labels of letters, digits and inner hyphens, with at least one dot.
_DOMAIN = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")


class Developers:
    """Registering developers, finding them, and managing their keys."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, slug: str, *, legal_name: str, website_domain: str, registered_at: datetime | None = None
    ) -> Developer:
        """Register a developer; the slug becomes its permanent name in URLs and statements."""
        if not is_developer_slug(slug):
            raise StoreError(
                f"developer slug {slug!r} is not valid",
                hint="lowercase letters and digits in words joined by single hyphens, at most 64, e.g. acme-ai",
            )
        domain = website_domain.strip().lower().rstrip(".")
        if not _DOMAIN.fullmatch(domain):
            raise StoreError(f"website domain {website_domain!r} is not a host name", hint="e.g. example.com")
        name = legal_name.strip()
        if not name:
            raise StoreError("a developer needs a legal name")
        check_visible(name, "the legal name")
        if self.find(slug) is not None:
            raise ConflictError(f"developer {slug!r} is already registered")
        self._refuse_lookalikes(slug, name, domain)
        developer = Developer(
            slug=slug,
            legal_name=name,
            website_domain=domain,
            status=DeveloperStatus.ACTIVE.value,
            registered_at=registered_at or utc_now(),
        )
        self.session.add(developer)
        self.session.flush()
        return developer

    def _refuse_lookalikes(self, slug: str, legal_name: str, domain: str) -> None:
        """Refuse a developer whose slug, legal name or domain reads like a registered developer's (TR39).

        Every registered developer is compared; registries hold hundreds, not millions, and a developer is added
        rarely, so a scan is cheaper than keeping skeleton columns in step with the Unicode version.
        """
        ours = {"slug": slug, "legal name": legal_name, "website domain": domain}
        wanted = {field: confusable_keys(value) for field, value in ours.items()}
        for existing in self.all():
            theirs = {
                "slug": existing.slug,
                "legal name": existing.legal_name,
                "website domain": existing.website_domain,
            }
            for field, keys in wanted.items():
                if not keys.isdisjoint(confusable_keys(theirs[field])):
                    raise ConflictError(
                        f"the {field} {ours[field]!r} reads like {theirs[field]!r}, the {field} of the registered "
                        f"developer {existing.slug!r}",
                        hint="a developer's names must not be mistakable for another's (Unicode TR39 confusables)",
                    )

    def find(self, slug: str) -> Developer | None:
        """The developer with this slug, if registered."""
        return self.session.scalars(select(Developer).where(Developer.slug == slug)).one_or_none()

    def get(self, slug: str) -> Developer:
        """The developer with this slug; :class:`NotFoundError` if there is none."""
        developer = self.find(slug)
        if developer is None:
            raise NotFoundError(f"no developer {slug!r} is registered")
        return developer

    def all(self) -> Sequence[Developer]:
        """Every registered developer, by slug."""
        return self.session.scalars(select(Developer).order_by(Developer.slug)).all()

    def add_key(
        self,
        developer: Developer,
        public_key: Ed25519PublicKey,
        *,
        valid_from: datetime | None = None,
        log_index: int | None = None,
    ) -> DeveloperKey:
        """Register a public key the developer will sign with; ``log_index`` is the key event that logs it."""
        raw = public_key_raw(public_key)
        existing = self.find_key(raw)
        if existing is not None:
            # One key, one developer: a shared key would let one developer sign as another.
            raise ConflictError(f"this public key is already registered for developer id {existing.developer_id}")
        key = DeveloperKey(developer=developer, public_key=raw, valid_from=valid_from or utc_now(), log_index=log_index)
        self.session.add(key)
        self.session.flush()
        return key

    def keys_valid_at(self, developer: Developer, moment: datetime) -> Sequence[DeveloperKey]:
        """The developer's keys that were valid at ``moment``: in force, and not yet revoked."""
        return self.session.scalars(
            select(DeveloperKey)
            .where(DeveloperKey.developer_id == developer.id, DeveloperKey.valid_from <= moment)
            .where((DeveloperKey.revoked_at.is_(None)) | (DeveloperKey.revoked_at > moment))
            .order_by(DeveloperKey.id)
        ).all()

    def revoke_key(self, key: DeveloperKey, *, at: datetime | None = None, log_index: int | None = None) -> None:
        """Stop accepting new signatures by ``key``; statements it signed before stay valid. ``log_index`` is the
        key event (revocation or rotation) that retires it."""
        if key.revoked_at is None:
            key.revoked_at = at or utc_now()
            key.retired_log_index = log_index
            self.session.flush()

    def find_key(self, public_key: bytes) -> DeveloperKey | None:
        """The key with these 32 raw bytes, whichever developer's it is."""
        return self.session.scalars(select(DeveloperKey).where(DeveloperKey.public_key == public_key)).one_or_none()

    def log_key(self, key: DeveloperKey, log_index: int) -> None:
        """Record the key event that logged ``key`` (a key from before migration 0008)."""
        key.log_index = log_index
        self.session.flush()

    def log_key_retirement(self, key: DeveloperKey, log_index: int) -> None:
        """Record the key event that logged ``key``'s revocation (a key revoked before migration 0008)."""
        key.retired_log_index = log_index
        self.session.flush()

    def developers_without_logged_keys(self) -> Sequence[Developer]:
        """Developers with keys of which no key event logs any (registered before migration 0008), by id."""
        logged = select(DeveloperKey.developer_id).where(DeveloperKey.log_index.is_not(None))
        return self.session.scalars(
            select(Developer)
            .where(Developer.id.in_(select(DeveloperKey.developer_id)), Developer.id.not_in(logged))
            .order_by(Developer.id)
        ).all()

    def key_history(self, developer: Developer) -> Sequence[DeveloperKey]:
        """The developer's keys, oldest first."""
        return self.session.scalars(
            select(DeveloperKey)
            .where(DeveloperKey.developer_id == developer.id)
            .order_by(DeveloperKey.valid_from, DeveloperKey.id)
        ).all()
