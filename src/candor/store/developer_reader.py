"""Reading registered developers as :class:`DeveloperSummary` rows, with how many statements each published."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from candor.errors import NotFoundError
from candor.store.summaries import DeveloperSummary
from candor.store.tables import Developer, StatementRecord


def _developer_select() -> Select[*tuple[Any, ...]]:
    counts = (
        select(StatementRecord.developer_id, func.count().label("statements"))
        .group_by(StatementRecord.developer_id)
        .subquery()
    )
    return select(
        Developer.slug,
        Developer.legal_name,
        Developer.website_domain,
        Developer.status,
        Developer.registered_at,
        func.coalesce(counts.c.statements, 0),
    ).outerjoin(counts, counts.c.developer_id == Developer.id)


#: Built once per process: building the select costs more than running it.
_DEVELOPERS = _developer_select()


def _missing(slug: str) -> NotFoundError:
    return NotFoundError(f"no developer {slug!r} is registered")


class DeveloperReader:
    """Registered developers, as summaries, inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def id_of(self, slug: str) -> int:
        """The developer's row id, for filtering its statements; :class:`NotFoundError` if not registered."""
        developer_id = self.session.scalar(select(Developer.id).where(Developer.slug == slug))
        if developer_id is None:
            raise _missing(slug)
        return developer_id

    def get(self, slug: str) -> DeveloperSummary:
        """One developer, with its statement count; :class:`NotFoundError` if not registered."""
        row = self.session.execute(_DEVELOPERS.where(Developer.slug == slug)).first()
        if row is None:
            raise _missing(slug)
        return DeveloperSummary(*row)

    def count(self) -> int:
        """How many developers are registered."""
        return self.session.scalar(select(func.count()).select_from(Developer)) or 0

    def by_slug(self, *, offset: int = 0, limit: int | None = None) -> list[DeveloperSummary]:
        """Developers ordered by slug; ``limit`` None means all."""
        rows = self.session.execute(_DEVELOPERS.order_by(Developer.slug).offset(offset).limit(limit)).all()
        return [DeveloperSummary(*row) for row in rows]

    def slugs_after(self, slug: str, *, limit: int) -> list[str]:
        """Up to ``limit`` registered developers' slugs that sort after ``slug``, in order (keyset paging: each
        batch of a whole-registry scan costs the same however far it has gone)."""
        query = select(Developer.slug).where(Developer.slug > slug).order_by(Developer.slug).limit(limit)
        return list(self.session.scalars(query))
