"""``candor keygen``: a developer's Ed25519 signing key pair, as PEM files.

OUT receives the private key (PKCS #8 PEM, mode 0600); OUT.pub the public key (SubjectPublicKeyInfo PEM),
which is the file to hand to the registry. Existing files are never overwritten: losing a registered key
means asking the registry to register a new one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from candor.domain.developer_keys import generate_private_key, key_fingerprint, private_key_pem, public_key_pem
from candor.errors import CandorError


class KeyOutputError(CandorError):
    """A key file (or a regulator's recovered original) cannot be written where asked."""


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("keygen")(keygen)


def keygen(
    out: Annotated[Path, typer.Argument(help="Where to write the private key; the public key goes to OUT.pub.")],
) -> None:
    """Generate a developer's Ed25519 signing key: OUT (private, mode 0600) and OUT.pub (public)."""
    private_key = generate_private_key()
    public_out = write_key_pair(out, private_key_pem(private_key), public_key_pem(private_key.public_key()))
    typer.echo(f"private key: {out} (keep it secret; mode 0600)")
    typer.echo(f"public key:  {public_out} (give this file to the registry)")
    typer.echo(f"fingerprint: SHA256:{key_fingerprint(private_key.public_key())}")


def write_key_pair(out: Path, private_pem: bytes, public_pem: bytes, *, public_suffix: str = ".pub") -> Path:
    """Write OUT (private, mode 0600) and OUT.pub (public, mode 0644), replacing neither; returns OUT.pub."""
    public_out = out.with_name(out.name + public_suffix)
    # Check both before writing either, so a refusal never leaves half a key pair behind.
    for path in (out, public_out):
        if path.exists() or path.is_symlink():
            raise KeyOutputError(f"{path}: already exists; refusing to overwrite a key", hint="choose another OUT")
    if not out.parent.is_dir():
        raise KeyOutputError(f"{out.parent}: no such directory")
    write_new_file(out, private_pem, mode=0o600)
    write_new_file(public_out, public_pem, mode=0o644)
    return public_out


def write_new_file(path: Path, content: bytes, *, mode: int) -> None:
    """Create ``path`` with ``mode`` and write ``content``, refusing to replace anything already there."""
    # O_EXCL: never follow or replace something that appeared since any earlier check; the mode is set at
    # creation, so the private key is never readable by others, not even for a moment.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError as exc:
        raise KeyOutputError(f"{path}: already exists; refusing to overwrite it") from exc
    except OSError as exc:
        raise KeyOutputError(f"{path}: cannot create ({exc.strerror})") from exc
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(content)
    os.chmod(path, mode)  # the umask may have removed bits from the creation mode
