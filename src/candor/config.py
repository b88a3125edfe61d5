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
#: The log key's file name inside the data directory when ``log_key_file`` is not set.
LOG_KEY_FILE_NAME = "log.key"


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
    report_pepper_file: Path | None = Field(
        default=None,
        description="A file holding the confidential channel's pepper (at least 32 random bytes, as hex): receipts "
        "are stretched with it, so keep it out of the database, its backups and the data directory's copies. "
        "Without it, or without a reviewer key, the channel is closed.",
    )
    report_reviewer_keys: list[Path] = Field(
        default_factory=list,
        description="The reviewers' X25519 public keys (PEM, from `candor regulator keygen`) that reports are sealed "
        "to; empty means the regulator_public_key alone.",
    )
    report_posts_per_day: int = Field(
        default=20,
        ge=1,
        description="Reports the channel accepts from one address a day (counted under an HMAC, in memory).",
    )
    report_zone: str = Field(
        default="America/Los_Angeles",
        description="The time zone in which the confidential channel counts its service clocks (days).",
    )
    witnesses: list[str] = Field(
        default_factory=list,
        description="Witnesses that cosign the log's checkpoints, each 'URL VKEY' (c2sp.org/tlog-witness; the vkey "
        "is the witness's cosignature key). As JSON in the environment: CANDOR_WITNESSES='[\"URL VKEY\"]'.",
    )
    witness_quorum: int = Field(
        default=0,
        ge=0,
        description="Cosignatures /log/checkpoint needs: it serves the newest checkpoint that this many of the "
        "witnesses cosigned (0: the newest checkpoint, with whatever cosignatures it has).",
    )
    log_key_file: Path | None = Field(
        default=None,
        description="The registry log's signer key; unset means log.key in data_dir. Every app server of one "
        "registry reads the same key; a server whose key is not the database's log key serves but never signs.",
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

    watch_interval: float = Field(
        default=3600.0,
        ge=0,
        description="Seconds between the watcher's rounds inside `candor serve` (0 turns it off); a URL is fetched "
        "again only once this long has passed since it was last fetched.",
    )
    watch_allow_hosts: str = Field(
        default="",
        description="Comma-separated hosts or addresses the watcher may fetch although they are private, loopback or "
        "link-local (by default it refuses them); e.g. 127.0.0.1 for tests.",
    )
    watch_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0, description="Largest page or PDF the watcher reads.")
    watch_deadline: float = Field(
        default=60.0, gt=0, description="Seconds one fetch may take in all (redirects, headers, body)."
    )
    watch_max_redirects: int = Field(default=5, ge=0, le=20, description="Redirects the watcher follows per fetch.")
    watch_unreachable_days: float = Field(
        default=3.0, gt=0, description="Days a watched site may fail to answer before it is reported unreachable."
    )
    watch_host_interval: float = Field(
        default=1.0, ge=0, description="Seconds the watcher waits between two requests to the same host."
    )
    watch_contact_url: str = Field(
        default="https://candor.example/watcher",
        pattern=r"^https?://\S+$",
        description="The page the watcher's User-Agent names, where site operators learn what it is and who runs it.",
    )

    @model_validator(mode="after")
    def _quorum_within_witnesses(self) -> Settings:
        if self.witness_quorum > len(self.witnesses):
            raise ValueError(f"witness_quorum {self.witness_quorum} needs at least that many witnesses")
        return self

    @model_validator(mode="after")
    def _default_database_in_data_dir(self) -> Settings:
        if not self.database_url:
            # The model is frozen; this is the one place the derived default is filled in.
            object.__setattr__(self, "database_url", sqlite_url(self.data_dir / SQLITE_FILE_NAME))
        if self.log_key_file is None:
            object.__setattr__(self, "log_key_file", self.data_dir / LOG_KEY_FILE_NAME)
        return self

    @property
    def watch_allowed_hosts(self) -> list[str]:
        """``watch_allow_hosts`` as a list."""
        return [host.strip() for host in self.watch_allow_hosts.split(",") if host.strip()]

    @property
    def log_key(self) -> Path:
        """Where the log's signer key is: ``log_key_file``, by default ``log.key`` in the data directory."""
        return self.log_key_file or self.data_dir / LOG_KEY_FILE_NAME

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
