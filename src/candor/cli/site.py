"""``candor site build``: the developer's static disclosure site, deployable on any static host.

It reads the developer's published documents, their proofs and its name from the registry, renders a page per
document with the registry's own renderer, and signs the manifest with the developer's key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

site_app = typer.Typer(
    help="Build the developer's static disclosure site: pages, feed, proofs and the signed manifest.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(site_app, name="site")


@site_app.command("build")
def build(
    out_dir: Annotated[Path, typer.Argument(help="Where to write the site (created if missing).")],
    registry: Annotated[str, typer.Option("--registry", help="The registry the developer publishes to.")],
    developer: Annotated[str, typer.Option("--developer", help="The developer's slug.")],
    key: Annotated[Path, typer.Option("--key", help="The developer's Ed25519 private key (from candor keygen).")],
    site: Annotated[
        str | None, typer.Option("--site", help="The site's root URL (default: https://<the developer's domain>).")
    ] = None,
    confirmation: Annotated[
        list[str] | None,
        typer.Option("--confirmation", help="A registry's domain-control token to include (REGISTRY=TOKEN)."),
    ] = None,
) -> None:
    """Write the developer's site to OUT_DIR: a page per document, index, Atom feed, tlog-proofs and manifest."""
    from candor.registry_client import RegistryClient
    from candor.services.site_building import gather_site
    from candor.web.static_site import write_static_site

    if site is None:
        with RegistryClient(registry) as client:
            site = f"https://{client.developer(developer).get('website_domain', developer)}"
    content = gather_site(registry, developer, key, site, confirmations=confirmation or [])
    written = write_static_site(content, out_dir)
    typer.echo(f"wrote {len(written)} files to {out_dir}: {len(content.documents)} document(s) and the signed manifest")
    typer.echo(f"serve {out_dir} at {content.site_url}; check it with: candor manifest check {content.site_url}")
