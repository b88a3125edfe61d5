"""Errors the storage layer reports to a person."""

from __future__ import annotations

# Moved to candor.errors so that layers above the store can name them; importable from here for one more step,
# while other branches still import them from the store. New code imports them from candor.errors.
from candor.errors import CandorError, ConflictError, NotFoundError

__all__ = ["ConflictError", "NotFoundError", "StoreError"]


class StoreError(CandorError):
    """The database cannot be reached, is not migrated, or refused a change."""
