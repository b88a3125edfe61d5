"""The registry's fixed sets of words, kept free of SQLAlchemy so that light callers (the CLI) import them cheaply."""

from __future__ import annotations

from enum import StrEnum


class DeveloperStatus(StrEnum):
    """Whether a developer may publish."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


class TokenScope(StrEnum):
    """What an API token allows."""

    PUBLISH = "publish"
    ADMIN = "admin"
