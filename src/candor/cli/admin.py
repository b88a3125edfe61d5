"""``candor admin``: the registry operator registers developers and their keys, issues API tokens and records
each developer's facts, from which the website decides its coverage by regime.

The store is imported inside the commands, so that the rest of the CLI starts without SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from candor.cli.db import DataDirOption, open_database
from candor.domain.developer_keys import key_fingerprint, load_public_key
from candor.errors import CandorError
from candor.services.files import read_key_file
from candor.store.vocabulary import TokenScope

admin_app = typer.Typer(help="Operate the registry: developers, keys, API tokens and facts.", no_args_is_help=True)
developer_app = typer.Typer(help="Register developers and their signing keys.", no_args_is_help=True)
token_app = typer.Typer(help="Issue API tokens.", no_args_is_help=True)
facts_app = typer.Typer(help="Record the facts that decide a developer's coverage.", no_args_is_help=True)
admin_app.add_typer(developer_app, name="developer")
admin_app.add_typer(token_app, name="token")
admin_app.add_typer(facts_app, name="facts")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(admin_app, name="admin")


@developer_app.command("add")
def add_developer(
    slug: Annotated[str, typer.Argument(help="The developer's permanent short name, e.g. acme-ai.")],
    name: Annotated[str, typer.Option("--name", help="Legal name.", show_default=False)],
    domain: Annotated[str, typer.Option("--domain", help="The website domain it publishes on.", show_default=False)],
    public_key: Annotated[
        Path, typer.Option("--public-key", help="Its Ed25519 public key (OUT.pub from candor keygen).")
    ],
    data_dir: DataDirOption = None,
) -> None:
    """Register a developer with its first signing key."""
    from candor.store.database import write_transaction
    from candor.store.developers import Developers

    key = load_public_key(str(public_key), read_key_file(public_key, what="public key file"))
    with open_database(data_dir) as (_, engine), write_transaction(engine) as session:
        developers = Developers(session)
        developer = developers.add(slug, legal_name=name, website_domain=domain)
        developers.add_key(developer, key)
    typer.echo(f"registered developer {slug} ({name}, {developer.website_domain})")
    typer.echo(f"key fingerprint: SHA256:{key_fingerprint(key)}")


@developer_app.command("add-key")
def add_key(
    slug: Annotated[str, typer.Argument(help="The registered developer.")],
    public_key: Annotated[Path, typer.Option("--public-key", help="The new Ed25519 public key (OUT.pub).")],
    data_dir: DataDirOption = None,
) -> None:
    """Register another signing key for a developer, e.g. when rotating keys."""
    from candor.store.database import write_transaction
    from candor.store.developers import Developers

    key = load_public_key(str(public_key), read_key_file(public_key, what="public key file"))
    with open_database(data_dir) as (_, engine), write_transaction(engine) as session:
        developers = Developers(session)
        developers.add_key(developers.get(slug), key)
    typer.echo(f"added key SHA256:{key_fingerprint(key)} for {slug}")


@token_app.command("create")
def create_token(
    slug: Annotated[
        str | None, typer.Argument(help="The developer the token publishes for.", show_default=False)
    ] = None,
    scope: Annotated[TokenScope, typer.Option("--scope", help="What the token allows.")] = TokenScope.PUBLISH,
    data_dir: DataDirOption = None,
) -> None:
    """Issue an API token. It is shown once, as the last line, and stored only as a hash."""
    from candor.store.database import write_transaction
    from candor.store.developers import Developers
    from candor.store.tokens import ApiTokens

    if scope is TokenScope.PUBLISH and slug is None:
        raise CandorError("a publish token needs the developer's SLUG")
    with open_database(data_dir) as (_, engine), write_transaction(engine) as session:
        developer = Developers(session).get(slug) if slug else None
        token, _ = ApiTokens(session).issue(scope, developer)
    holder = f"developer {slug}" if slug else "the operator"
    typer.echo(f"{scope.value} token for {holder} (shown once; store it as a secret):")
    typer.echo(token)


@facts_app.command("set")
def set_facts(
    slug: Annotated[str, typer.Argument(help="The registered developer.")],
    facts_file: Annotated[Path, typer.Argument(help="Its facts file (YAML, as for candor coverage).")],
    data_dir: DataDirOption = None,
) -> None:
    """Record a registered developer's facts; its page shows the coverage they decide."""
    from candor.domain.source import MAX_DOCUMENT_BYTES
    from candor.services.files import read_input_file
    from candor.services.queries import RegistryQueries
    from candor.services.registry_facts import FACTS_DIR_NAME, record_facts
    from candor.store.database import session_factory
    from candor.store.developers import Developers

    raw = read_input_file(facts_file, what="facts file", limit=MAX_DOCUMENT_BYTES)
    with open_database(data_dir) as (settings, engine):
        sessions = session_factory(engine)
        with sessions() as session:
            Developers(session).get(slug)  # only a registered developer has a page to show them on
        facts_dir = settings.data_dir / FACTS_DIR_NAME
        facts = record_facts(facts_dir, slug, str(facts_file), raw)
        years = ", ".join(str(year) for year in sorted(facts.revenue_usd_by_year or {})) or "none"
        typer.echo(f"recorded the facts of {slug} ({facts.legal_name}, revenue years on file: {years})")
        # The facts decide which standards the developer's documents are held to: re-check the current ones now,
        # so the operator sees at once what the pages will show.
        queries = RegistryQueries(sessions, settings.data_dir / "log", facts_dir)
        for statement in queries.current_documents(slug):
            groups = queries.findings(statement.log_index)
            verdicts = "; ".join(
                f"{group.standard_id}: {group.problem}"
                if group.problem
                else f"{group.standard_id}: {group.count('error')} errors, {group.count('warning')} warnings"
                for group in groups
            )
            typer.echo(f"re-checked {statement.title} (log index {statement.log_index}): {verdicts}")
