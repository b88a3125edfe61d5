"""``candor publish``: sign a disclosure with the developer's key and publish it to a registry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from candor.cli.signing import RegistryOption, SigningKeyOption, TokenOption, load_signing_key
from candor.domain.source import MAX_DOCUMENT_BYTES, refuse_carriage_returns
from candor.services.files import read_input_file


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("publish")(publish)


def publish(
    file: Annotated[Path, typer.Argument(help="The disclosure to publish (Markdown with front matter).")],
    registry: RegistryOption,
    token: TokenOption,
    key: SigningKeyOption,
    sealed: Annotated[
        Path | None,
        typer.Option("--sealed", help="For a redacted FILE: the sealed original `candor redact` wrote beside it."),
    ] = None,
) -> None:
    """Parse FILE, sign its statement with KEY, and publish both; prints the log index, leaf hash and page."""
    from candor.domain.parse import parse_bytes
    from candor.domain.sealing import MAX_SEALED_BYTES
    from candor.domain.statement import sign_statement
    from candor.registry_client import RegistryClient
    from candor.services.publishing import check_public_version, statement_for_document

    # Parsed here first, so that a mistake is reported with its file and line before anything is sent; read once,
    # so that the bytes signed are the bytes parsed.
    raw = read_input_file(file, what="disclosure file", limit=MAX_DOCUMENT_BYTES)
    refuse_carriage_returns(str(file), raw)
    parsed = parse_bytes(str(file), raw)
    # The registry's own check, run here before anything is signed or sent, so that passages marked for redaction
    # never leave the developer's machine, not even to be refused.
    check_public_version(parsed, sealed=sealed is not None)
    private_key = load_signing_key(key)
    sealed_bytes = None if sealed is None else read_input_file(sealed, what="sealed original", limit=MAX_SEALED_BYTES)
    with RegistryClient(registry) as client:
        # The statement names the registry's log, so that it cannot be replayed into another registry.
        origin = client.log_origin()
        statement = statement_for_document(parsed, raw, datetime.now(UTC), origin=origin, sealed=sealed_bytes)
        entry = client.publish(
            token, statement.canonical_bytes(), sign_statement(statement, private_key), raw, sealed_bytes
        )
    verb = "published" if entry.created else "already published"
    typer.echo(f"{verb}: {file} ({entry.developer} {entry.kind} {entry.version})")
    typer.echo(f"log index: {entry.log_index}")
    typer.echo(f"leaf hash: {entry.leaf_hash}")
    typer.echo(f"statement: {entry.id}")
    typer.echo(f"page: {entry.url}")
