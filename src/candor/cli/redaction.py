"""``candor redact`` for developers, and ``candor regulator keygen/open/check-redactions`` for the regulator.

A developer redacts a marked-up document into a public version (published and hashed into the statement) and a
sealed original (only the regulator's private key opens it). The regulator opens the sealed original and checks
that the public version was honestly derived from it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from candor.cli.keys import write_key_pair, write_new_file

regulator_app = typer.Typer(
    name="regulator",
    help="The regulator's tools: a key pair for sealed originals, opening them, checking public versions.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add ``redact`` and the ``regulator`` group to the root app."""
    app.command("redact")(redact)
    app.add_typer(regulator_app)


def redact(
    file: Annotated[Path, typer.Argument(help="The document with passages marked ::: redact or {.redact}.")],
    regulator_key: Annotated[
        Path, typer.Option("--regulator-key", help="The regulator's public key (OUT.pub of `regulator keygen`).")
    ],
    out: Annotated[Path, typer.Option("--out", help="The directory for DIR/<name>.md and DIR/<name>.sealed.")],
) -> None:
    """Write the public version (DIR/<name>.md) and the original sealed to the regulator (DIR/<name>.sealed)."""
    from candor.services.redacting import redact_file

    written = redact_file(file, regulator_key, out)
    count = len(written.redacted.public.redactions)
    typer.echo(f"public version:  {written.public_path} ({count} redaction{'s' if count != 1 else ''})")
    typer.echo(f"sealed original: {written.sealed_path}")
    typer.echo(f"document_sha256: {written.redacted.public_sha256}")
    typer.echo(f"sealed_sha256:   {written.redacted.sealed_sha256}")


@regulator_app.command("keygen")
def keygen(
    out: Annotated[Path, typer.Argument(help="Where to write the private key; the public key goes to OUT.pub.")],
) -> None:
    """Generate the regulator's X25519 key pair: OUT (private, mode 0600, keep offline) and OUT.pub (public)."""
    from candor.domain.regulator_keys import (
        generate_regulator_key,
        regulator_key_fingerprint,
        regulator_private_pem,
        regulator_public_pem,
    )

    private_key = generate_regulator_key()
    public_out = write_key_pair(out, regulator_private_pem(private_key), regulator_public_pem(private_key.public_key()))
    typer.echo(f"private key: {out} (keep it offline; mode 0600)")
    typer.echo(f"public key:  {public_out} (give this file to developers, for `candor redact --regulator-key`)")
    typer.echo(f"fingerprint: SHA256:{regulator_key_fingerprint(private_key.public_key())}")


@regulator_app.command("open")
def open_sealed(
    sealed: Annotated[Path, typer.Argument(help="The sealed original (<name>.sealed).")],
    key: Annotated[Path, typer.Option("--key", help="The regulator's private key file.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the original here (mode 0600) instead of to standard output.")
    ] = None,
) -> None:
    """Recover the full, unredacted original from a sealed original."""
    from candor.services.redacting import open_sealed_file

    opened = open_sealed_file(sealed, key)
    if out is None:
        sys.stdout.buffer.write(opened.original)
        sys.stdout.buffer.flush()
        return
    write_new_file(out, opened.original, mode=0o600)
    header = opened.header
    typer.echo(f"{out}: the original of {header.developer} {header.kind} version {header.version}", err=True)


@regulator_app.command("check-redactions")
def check_redactions(
    sealed: Annotated[Path, typer.Argument(help="The sealed original (<name>.sealed).")],
    public: Annotated[Path, typer.Argument(help="The public version, as published.")],
    key: Annotated[Path, typer.Option("--key", help="The regulator's private key file.")],
) -> None:
    """Verify every commitment: the public version must be exactly the one derived from the sealed original."""
    from candor.services.redacting import check_redactions as check

    mismatches = check(sealed, public, key)
    if not mismatches:
        typer.echo(f"{public}: every redaction matches the sealed original; the public version derives from it")
        return
    for mismatch in mismatches:
        location = public if mismatch.line is None else f"{public}:{mismatch.line}"
        typer.echo(f"mismatch: {location}: {mismatch.message}", err=True)
    typer.echo(f"{public}: {len(mismatches)} mismatch{'es' if len(mismatches) != 1 else ''}", err=True)
    raise typer.Exit(1)
