"""``candor withdraw``: publish a signed withdrawal of an earlier statement.

Nothing is deleted: the withdrawal is one more entry in the log, and the withdrawn document stays readable,
marked as withdrawn.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from candor.cli.signing import RegistryOption, SigningKeyOption, TokenOption, load_signing_key
from candor.errors import CandorError

if TYPE_CHECKING:
    from candor.domain.statement import Statement

#: What the statement format's refusals of a reason mean, in words.
_REASON_RULES = {
    "string_too_short": "is empty",
    "string_too_long": "is over 1,000 characters",
    "string_pattern_mismatch": "holds a line break or another control character",
}


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("withdraw")(withdraw)


def withdraw(
    statement_id: Annotated[str, typer.Argument(help="The id (SHA-256) of the statement to withdraw.")],
    registry: RegistryOption,
    token: TokenOption,
    key: SigningKeyOption,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            help="Why you withdraw it, in one line (at most 1,000 characters); signed into the withdrawal and shown "
            "on its page.",
        ),
    ] = None,
) -> None:
    """Sign a withdrawal of STATEMENT_ID with KEY and publish it; prints its log index and page."""
    from candor.domain.statement import is_sha256_hex, sign_statement
    from candor.registry_client import RegistryClient

    if not is_sha256_hex(statement_id):
        raise CandorError(f"{statement_id!r} is not a statement id", hint="64 lowercase hex digits, as publish prints")
    if reason is not None:
        reason = reason.strip()
    private_key = load_signing_key(key)
    with RegistryClient(registry) as client:
        target = client.statement(statement_id)
        statement = _withdrawal_statement(
            client.log_origin(), target.developer, target.series, target.version, statement_id, reason
        )
        entry = client.publish(token, statement.canonical_bytes(), sign_statement(statement, private_key), None)
    verb = "withdrawn" if entry.created else "already withdrawn"
    typer.echo(f"{verb}: {target.developer} {target.kind} {target.version} ({statement_id})")
    typer.echo(f"log index: {entry.log_index}")
    typer.echo(f"page: {entry.url}")


def _withdrawal_statement(
    origin: str, developer: str, series: str | None, version: str, target: str, reason: str | None
) -> Statement:
    """The withdrawal to sign; a reason the statement format refuses is a one-line error naming --reason."""
    from pydantic import ValidationError

    from candor.domain.statement import MAX_REASON_CHARS, Statement, StatementKind

    try:
        return Statement(
            origin=origin,
            developer=developer,
            kind=StatementKind.WITHDRAWAL,
            series=series,
            version=version,
            target=target,
            issued_at=datetime.now(UTC),
            reason=reason,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["loc"] and first["loc"][0] == "reason":
            raise CandorError(
                f"--reason: {_REASON_RULES.get(first['type'], first['msg'])}",
                hint=f"one line of 1 to {MAX_REASON_CHARS:,} characters",
            ) from None
        raise
