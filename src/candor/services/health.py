"""Whether a running registry is healthy: its database answers, its log signs, and its audit finds nothing.

One assessment serves both ``/healthz`` and the gauges of ``/metrics``. It reads three indexed rows (the log's
last index, its latest checkpoint, and the oldest entry no checkpoint covers), never the whole log, so a load
balancer may ask it every few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from candor.services.audit import AuditStatus
from candor.services.integration import LogRefusesError
from candor.store.log_entries import appended_at, latest_checkpoint, log_size

#: Audit states that need an operator: the database disagrees with the log, or the audit cannot run at all.
UNHEALTHY_AUDIT_STATES = frozenset({"findings", "failed"})


@dataclass(frozen=True)
class LogLag:
    """How far the log's signed checkpoint trails the entries in the database."""

    size: int
    signed_size: int
    signed_at: datetime | None
    oldest_unsigned_at: datetime | None

    @property
    def unsigned(self) -> int:
        """Entries in the database that no signed checkpoint covers yet."""
        return max(self.size - self.signed_size, 0)

    def unsigned_for(self, now: datetime) -> float:
        """Seconds the oldest unsigned entry has waited for a checkpoint (0 when none waits)."""
        return 0.0 if self.oldest_unsigned_at is None else max((now - self.oldest_unsigned_at).total_seconds(), 0.0)

    def checkpoint_age(self, now: datetime) -> float | None:
        """Seconds since the latest checkpoint was signed; None before the first."""
        return None if self.signed_at is None else max((now - self.signed_at).total_seconds(), 0.0)


def log_lag(session: Session) -> LogLag:
    """The log's size, its latest checkpoint, and when the oldest entry past that checkpoint was appended."""
    size = log_size(session)
    checkpoint = latest_checkpoint(session)
    signed_size = 0 if checkpoint is None else checkpoint.size
    oldest = None
    if size > signed_size:
        oldest = appended_at(session, signed_size)
    return LogLag(size, signed_size, None if checkpoint is None else checkpoint.signed_at, oldest)


@dataclass(frozen=True)
class Health:
    """The registry's state as operators watch it; ``reasons`` is empty exactly when it is healthy."""

    checked_at: datetime
    database_reachable: bool
    lag: LogLag | None
    refusal: str | None
    audit: AuditStatus
    reasons: tuple[str, ...] = field(default=())
    #: "signing" while this server holds the integrator lease, "serving" while another signs; None without a log.
    role: str | None = None

    @property
    def healthy(self) -> bool:
        return not self.reasons


def assess_health(
    sessions: sessionmaker[Session],
    *,
    refusal: LogRefusesError | None,
    audit: AuditStatus,
    now: datetime,
    max_unsigned_seconds: float,
    role: str | None = None,
) -> Health:
    """Assess the registry: unhealthy when the database does not answer, the log refuses to sign, an entry has
    waited longer than ``max_unsigned_seconds`` for a checkpoint, or the last audit found mismatches or failed."""
    reasons: list[str] = []
    lag = None
    try:
        with sessions() as session:
            lag = log_lag(session)
    except SQLAlchemyError as exc:
        # The driver's first line says why (refused connection, missing file) without the statement it ran.
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["no answer"]
        reasons.append(f"the database is unreachable: {cause[0]}")
    if refusal is not None:
        prefix = "" if refusal.message.startswith("the log refuses to sign") else "the log refuses to sign: "
        reasons.append(prefix + refusal.message)
    if lag is not None and lag.unsigned and lag.unsigned_for(now) > max_unsigned_seconds:
        reasons.append(
            f"{lag.unsigned} entr{'y' if lag.unsigned == 1 else 'ies'} not in a signed checkpoint for "
            f"{lag.unsigned_for(now):.0f} s (limit {max_unsigned_seconds:g} s): the checkpoint is stale"
        )
    if audit.state in UNHEALTHY_AUDIT_STATES:
        reasons.append(f"the last audit {'failed' if audit.state == 'failed' else 'found mismatches'}")
    refused = None if refusal is None else refusal.message
    return Health(now, lag is not None, lag, refused, audit, tuple(reasons), role)
