"""Errors the storage layer reports to a person. The errors every layer names (not found, conflict) live in
:mod:`candor.errors`."""

from __future__ import annotations

from candor.errors import CandorError


class StoreError(CandorError):
    """The database cannot be reached, is not migrated, or refused a change."""
