"""``candor withdraw``: publish a signed withdrawal of an earlier statement.

Nothing is deleted: the withdrawal is one more entry in the log, and the withdrawn document stays readable,
marked as withdrawn.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from candor.cli.signing import RegistryOption, SigningKeyOption, TokenOption, load_signing_key
from candor.errors import CandorError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("withdraw")(withdraw)


def withdraw(
    statement_id: Annotated[str, typer.Argument(help="The id (SHA-256) of the statement to withdraw.")],
    registry: RegistryOption,
    token: TokenOption,
    key: SigningKeyOption,
) -> None:
    """Sign a withdrawal of STATEMENT_ID with KEY and publish it; prints its log index and page."""
    from candor.domain.statement import Statement, StatementKind, is_sha256_hex, sign_statement
    from candor.registry_client import RegistryClient

    if not is_sha256_hex(statement_id):
        raise CandorError(f"{statement_id!r} is not a statement id", hint="64 lowercase hex digits, as publish prints")
    private_key = load_signing_key(key)
    with RegistryClient(registry) as client:
        target = client.statement(statement_id)
        statement = Statement(
            origin=client.log_origin(),
            developer=target.developer,
            kind=StatementKind.WITHDRAWAL,
            series=target.series,
            version=target.version,
            target=statement_id,
            issued_at=datetime.now(UTC),
        )
        entry = client.publish(token, statement.canonical_bytes(), sign_statement(statement, private_key), None)
    verb = "withdrawn" if entry.created else "already withdrawn"
    typer.echo(f"{verb}: {target.developer} {target.kind} {target.version} ({statement_id})")
    typer.echo(f"log index: {entry.log_index}")
    typer.echo(f"page: {entry.url}")
