"""Errors the storage layer reports to a person."""

from __future__ import annotations

from candor.errors import CandorError


class StoreError(CandorError):
    """The database cannot be reached, is not migrated, or refused a change."""


class NotFoundError(StoreError):
    """A developer, key, token, document or statement that is not in the registry."""

    exit_code = 3


class ConflictError(StoreError):
    """A change that clashes with what the registry already holds, such as a slug that is taken."""
