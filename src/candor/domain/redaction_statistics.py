"""How much of a document is redacted, overall and by category, as the public page states it.

A public version tells only each passage's size bucket, so a share is known only between two bounds: every
passage at its bucket's floor, or at its ceiling (the largest bucket has none, so then only the lower bound is
known). In an author's original, where the passages are still marked, the lengths are exact and the bounds meet.

A category's bounds allow for the other categories' passages being anywhere in their own buckets, so they are true
bounds of that category's share, and the categories' bounds need not add up to the total's. The page says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from candor.domain.redaction import DocumentRedactions, Redaction, RedactionCategory, RedactionForm, SizeBucket
from candor.domain.yamlload import format_path

#: The most characters a passage in each bucket has; None where there is no upper limit.
_BUCKET_CEILINGS: dict[SizeBucket, int | None] = {
    SizeBucket.UNDER_100: 99,
    SizeBucket.UNDER_1K: 999,
    SizeBucket.UNDER_10K: 9_999,
    SizeBucket.OVER_10K: None,
}


@dataclass(frozen=True)
class Bounds:
    """A quantity known to lie between ``least`` and ``most`` (None: no upper bound is known)."""

    least: float
    most: float | None

    @property
    def exact(self) -> bool:
        return self.most == self.least


@dataclass(frozen=True)
class CategoryStatistics:
    """The redactions of one category in one document."""

    category: RedactionCategory
    passages: int
    chars: Bounds
    #: The share of the document's prose, from 0 to 1.
    share: Bounds


@dataclass(frozen=True)
class RedactedValue:
    """A front-matter value that is redacted: which field, and on what ground."""

    field: str
    category: RedactionCategory
    justification: str | None


@dataclass(frozen=True)
class RedactionStatistics:
    """A document's redactions in numbers: the share of its prose redacted, overall and by category."""

    passages: int
    #: How many characters all the passages hold together.
    chars: Bounds
    #: The share of the document's prose (body and redacted front-matter values), from 0 to 1.
    share: Bounds
    #: Only the categories that occur, in the categories' own order.
    by_category: tuple[CategoryStatistics, ...]
    front_matter: tuple[RedactedValue, ...]


def _bounds(redaction: Redaction) -> tuple[int, int | None]:
    if redaction.text is not None:
        return len(redaction.text), len(redaction.text)
    assert redaction.size is not None  # a placeholder always has one
    return redaction.size.least_chars, _BUCKET_CEILINGS[redaction.size]


def _sum(values: list[int | None]) -> int | None:
    return None if any(value is None for value in values) else sum(value or 0 for value in values)


def _share(part: int, rest: int, visible: int) -> float:
    total = visible + part + rest
    return 0.0 if total == 0 else part / total


def redaction_statistics(redactions: DocumentRedactions) -> RedactionStatistics:
    """The statistics of a document's redactions (from :meth:`DocumentRedactions.of`)."""
    items = redactions.items
    bounds = [_bounds(item) for item in items]
    # The prose nobody redacted: DocumentRedactions counts each passage at its floor.
    visible = redactions.prose_chars - sum(least for least, _ in bounds)
    least_all = sum(least for least, _ in bounds)
    most_all = _sum([most for _, most in bounds])
    categories = []
    for category in RedactionCategory:
        mine = [bound for item, bound in zip(items, bounds, strict=True) if item.category is category]
        if not mine:
            continue
        others = [bound for item, bound in zip(items, bounds, strict=True) if item.category is not category]
        least, most = sum(low for low, _ in mine), _sum([high for _, high in mine])
        others_least, others_most = sum(low for low, _ in others), _sum([high for _, high in others])
        # Smallest when this category is at its floor and the rest at their ceilings; largest the other way round.
        share_least = 0.0 if others_most is None else _share(least, others_most, visible)
        share_most = None if most is None else _share(most, others_least, visible)
        categories.append(CategoryStatistics(category, len(mine), Bounds(least, most), Bounds(share_least, share_most)))
    return RedactionStatistics(
        passages=len(items),
        chars=Bounds(least_all, most_all),
        share=Bounds(_share(least_all, 0, visible), None if most_all is None else _share(most_all, 0, visible)),
        by_category=tuple(categories),
        front_matter=tuple(
            RedactedValue(format_path(item.field or ()), item.category, item.justification)
            for item in items
            if item.form is RedactionForm.FRONT_MATTER
        ),
    )
