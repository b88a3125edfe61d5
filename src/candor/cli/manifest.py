"""``candor manifest``: build and check the developer's manifest, ``/.well-known/ai-transparency.json``.

``build`` reads the developer's keys and published statements from a registry's public API and signs the manifest
with the developer's key; ``check`` reads one from a file or a site and verifies its signature.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

manifest_app = typer.Typer(
    help="Build and check the signed manifest a developer serves at /.well-known/ai-transparency.json.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(manifest_app, name="manifest")


@manifest_app.command("build")
def build(
    registry: Annotated[str, typer.Option("--registry", help="The registry the developer publishes to.")],
    developer: Annotated[str, typer.Option("--developer", help="The developer's slug.")],
    key: Annotated[Path, typer.Option("--key", help="The developer's Ed25519 private key (from candor keygen).")],
    site: Annotated[str, typer.Option("--site", help="The site's root URL, where the documents are served.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the manifest.")] = Path(
        "ai-transparency.json"
    ),
    token: Annotated[
        list[str] | None,
        typer.Option("--confirmation", help="A registry's domain-control token to include (REGISTRY=TOKEN)."),
    ] = None,
) -> None:
    """Write the developer's manifest, signed with KEY, from what the registry holds."""
    from candor.services.site_building import build_manifest

    signed = build_manifest(registry, developer, key, site, confirmations=token or [])
    out.write_bytes(signed.file_bytes())
    typer.echo(f"wrote {out}: {len(signed.manifest.documents)} document(s), signed by {signed.signature.key}")


@manifest_app.command("check")
def check(
    source: Annotated[str, typer.Argument(help="A manifest file, a site's root URL or the manifest's URL.")],
) -> None:
    """Check a manifest's form and signature, and list what it says."""
    from candor.services.manifests import check_manifest

    checked = check_manifest(source)
    manifest = checked.signed.manifest
    typer.echo(f"{checked.source}: a valid manifest of {manifest.developer} ({manifest.legal_name})")
    typer.echo(f"signed by key {checked.signed.signature.key}")
    for registry in manifest.registries:
        typer.echo(f"registry: {registry}")
    for document in manifest.documents:
        typer.echo(
            f"{document.kind} {document.version}: {document.url} "
            f"sha256 {document.sha256} log index {document.log_index}"
        )
