"""``candor keys``: a developer's side of its key history.

- ``endorse``: sign a rotation to a NEW key with the CURRENT one, offline, into an endorsement file; only the key
  that is the developer's in the log can hand its name to another key, so the registry's log key alone never can.
- ``rotate``: hand the endorsement to the registry with the developer's publish token; the registry logs the
  rotation, signed by its log key as well, and the new key signs from then on.
- ``show``: a developer's key history as a registry serves it, with the log entry of each key event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from candor.cli.signing import RegistryOption, SigningKeyOption, TokenOption, load_signing_key
from candor.errors import CandorError
from candor.services.files import read_input_file, read_key_file

keys_app = typer.Typer(help="A developer's key changes: endorse a new key, rotate to it, show the history.")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(keys_app, name="keys")


def _slug(slug: str) -> str:
    from candor.domain.slugs import is_developer_slug

    if not is_developer_slug(slug):
        raise CandorError(f"developer slug {slug!r} is not valid", hint="e.g. acme-ai")
    return slug


@keys_app.command("endorse")
def endorse(
    developer: Annotated[str, typer.Argument(help="The developer's slug, e.g. acme-ai.")],
    key: SigningKeyOption,
    new_key: Annotated[Path, typer.Option("--new-key", help="The new Ed25519 public key (OUT.pub of candor keygen).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the endorsement (it holds no secret).")],
    registry: Annotated[
        str | None, typer.Option("--registry", help="The registry's base URL, to read its log origin from.")
    ] = None,
    origin: Annotated[
        str | None, typer.Option("--origin", help="The registry's log origin, when working offline.")
    ] = None,
) -> None:
    """Sign, with the CURRENT key (--key), the rotation of DEVELOPER to the new key; write it to --out."""
    from candor.cli.keys import write_new_file
    from candor.domain.developer_keys import key_fingerprint, load_public_key, public_key_raw
    from candor.domain.key_history import KeyEvent, KeyEventKind, endorse_rotation, key_text
    from candor.registry_client import RegistryClient

    if (registry is None) == (origin is None):
        raise CandorError("name the registry's log with --registry URL or --origin ORIGIN (one of them)")
    current = load_signing_key(key)
    new = load_public_key(str(new_key), read_key_file(new_key, what="public key file"))
    if public_key_raw(new) == public_key_raw(current.public_key()):
        raise CandorError(f"{new_key}: the new key is the current key")
    if registry is not None:
        with RegistryClient(registry) as client:
            origin = client.log_origin()
    assert origin is not None
    try:
        event = KeyEvent(
            origin=origin,
            developer=_slug(developer),
            kind=KeyEventKind.ROTATION,
            key=key_text(public_key_raw(new)),
            previous_key=key_text(public_key_raw(current.public_key())),
            issued_at=f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}",
        )
    except ValueError as exc:  # an origin a log cannot have
        raise CandorError(f"--origin {origin!r} is not a log origin") from exc
    endorsement = endorse_rotation(event, current)
    write_new_file(out, endorsement.to_bytes() + b"\n", mode=0o644)
    typer.echo(f"endorsed: {developer} from key SHA256:{key_fingerprint(current.public_key())}")
    typer.echo(f"       to key SHA256:{key_fingerprint(new)}, for the log {origin}")
    typer.echo(f"hand {out} to the registry: candor keys rotate {out} --registry URL --token TOKEN")


@keys_app.command("rotate")
def rotate(
    endorsement: Annotated[Path, typer.Argument(help="The endorsement file from candor keys endorse.")],
    registry: RegistryOption,
    token: TokenOption,
) -> None:
    """Hand an endorsement to the registry: it logs the rotation, and the new key signs from then on."""
    from candor.domain.key_history import MAX_ENDORSEMENT_BYTES, parse_endorsement
    from candor.registry_client import RegistryClient

    raw = read_input_file(endorsement, what="endorsement", limit=MAX_ENDORSEMENT_BYTES)
    endorsed = parse_endorsement(raw, name=str(endorsement))
    with RegistryClient(registry) as client:
        change = client.rotate_key(token, endorsed.event.developer, raw.rstrip(b"\n"))
    typer.echo(f"rotated: {change.developer} now signs with key {change.key_fingerprint}")
    typer.echo(f"logged as {change.kind} at log index {change.log_index}: {change.entry_url}")


@keys_app.command("show")
def show(
    developer: Annotated[str, typer.Argument(help="The developer's slug.")],
    registry: RegistryOption,
) -> None:
    """Print a developer's key history as the registry serves it: each key, when in force, and its key events."""
    from candor.registry_client import RegistryClient

    with RegistryClient(registry) as client:
        history = client.key_history(_slug(developer))
    if not history.keys:
        typer.echo(f"{developer} has no signing key")
    for key in history.keys:
        until = key.valid_to or "now"
        typer.echo(f"{key.fingerprint}  in force {key.valid_from} to {until}")
        for label, event in (("made the developer's by", key.registered_by), ("retired by", key.retired_by)):
            if event is not None:
                typer.echo(f"  {label} {event.kind} at log index {event.log_index} ({event.issued_at})")
        if key.registered_by is None:
            typer.echo("  not in the log: log verify --statements refuses what it signs")
    typer.echo("check these against the log itself: candor log verify URL --statements")
