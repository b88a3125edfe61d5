"""Candor's settings, declared once as data and loaded once per process.

Values come from keyword overrides first (for example a CLI ``--data-dir`` option), then from ``CANDOR_*``
environment variables, then from the defaults below. Nothing is read at import time: callers run
:func:`load_settings` and pass the result on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.domain.statement import MAX_STATEMENT_BYTES
from candor.errors import CandorError

#: The SQLite file's name inside the data directory when no database URL is given.
SQLITE_FILE_NAME = "candor.sqlite3"


class SettingsError(CandorError):
    """A setting (from the environment or an option) that has the wrong form."""


class Settings(BaseSettings):
    """Where Candor keeps its data, which database it uses, and the limits on what it accepts."""

    model_config = SettingsConfigDict(env_prefix="CANDOR_", frozen=True, extra="forbid")

    data_dir: Path = Field(default=Path("candor-data"), description="Directory for the SQLite file and log tiles.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means a SQLite file in data_dir. PostgreSQL: postgresql+psycopg://...",
    )
    max_document_bytes: int = Field(default=MAX_DOCUMENT_BYTES, gt=0, description="Largest document accepted.")
    max_statement_bytes: int = Field(
        default=MAX_STATEMENT_BYTES, gt=0, le=MAX_STATEMENT_BYTES, description="Largest canonical statement accepted."
    )
    max_request_bytes: int = Field(
        # A publication carries the document in base64, which is 4/3 of its size, and for a redacted document its
        # sealed original too, about as large again.
        default=2 * ((MAX_DOCUMENT_BYTES + 2) // 3 * 4) + 256 * 1024,
        gt=0,
        description="Largest request body: a base64 document and sealed original, statement, signature, envelope.",
    )
    regulator_public_key: Path | None = Field(
        default=None,
        description="The regulator's X25519 public key (PEM, as `candor regulator keygen` writes it); when set, a "
        "sealed original sealed to any other key is refused, since the regulator could never open it.",
    )
    log_origin: str = Field(
        default="candor.example/registry",
        min_length=1,
        pattern=r"^[^\s+]+$",
        description="The registry log's origin: the first line of its checkpoints and the name of its key.",
    )

    audit_interval: float = Field(
        default=3600.0,
        ge=0,
        description="Seconds between the registry audits `candor serve` runs in the background (0 turns them off); "
        "the first runs a minute after start, or after one interval if that is shorter.",
    )

    log_format: Literal["text", "json"] = Field(
        default="text",
        description="How `candor serve` writes its log: text lines, or JSON lines (one object a line) for collectors.",
    )
    max_unsigned_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Seconds an entry may wait for a signed checkpoint before /healthz reports the registry unhealthy.",
    )
    revision_poll_interval: float = Field(
        default=0.0,
        ge=0,
        description="On PostgreSQL, seconds a server may answer from its page cache before asking the database "
        "whether anything changed (0: ask on every request). SQLite needs no polling: every commit is seen at once.",
    )

    @model_validator(mode="after")
    def _default_database_in_data_dir(self) -> Settings:
        if not self.database_url:
            # The model is frozen; this is the one place the derived default is filled in.
            object.__setattr__(self, "database_url", sqlite_url(self.data_dir / SQLITE_FILE_NAME))
        return self

    @property
    def uses_sqlite(self) -> bool:
        """Whether the database is SQLite (the embedded default), rather than a server such as PostgreSQL."""
        return self.database_url.startswith("sqlite")


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file, absolute so that it does not depend on the working directory."""
    return f"sqlite:///{path.expanduser().resolve()}"


def load_settings(**overrides: Any) -> Settings:
    """Load the settings; ``overrides`` whose value is None are ignored, so CLI options can pass through as-is."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "settings"
        raise SettingsError(
            f"setting {field}: {first['msg']}", hint=f"check CANDOR_{field.upper()} or the matching option"
        ) from exc
