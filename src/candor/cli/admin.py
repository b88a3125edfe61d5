"""``candor admin``: the registry operator registers developers and their keys, issues API tokens and records
each developer's facts, from which the website decides its coverage by regime.

The store is imported inside the commands, so that the rest of the CLI starts without SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from candor.cli.db import DataDirOption, open_database
from candor.domain.developer_keys import key_fingerprint, load_public_key
from candor.services.files import read_key_file
from candor.store.vocabulary import TokenScope

if TYPE_CHECKING:
    from candor.services.registration import KeyChange, Registration

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


@contextmanager
def _registration(data_dir: Path | None) -> Iterator[Registration]:
    """The registry's registration use case, its key events signed by the log key in the data directory."""
    from candor.services.integration import RegistryLog
    from candor.services.registration import Registration
    from candor.store.database import session_factory

    with open_database(data_dir) as (settings, engine):
        sessions = session_factory(engine)
        yield Registration.of_log(sessions, RegistryLog(sessions, settings.data_dir, settings.log_origin))


def _change(change: KeyChange) -> str:
    return f"logged as {change.kind.value} at log index {change.log_index}"


@developer_app.command("add")
def add_developer(
    slug: Annotated[str, typer.Argument(help="The developer's permanent short name, e.g. acme-ai.")],
    name: Annotated[str, typer.Option("--name", help="Legal name.", show_default=False)],
    domain: Annotated[str, typer.Option("--domain", help="The website domain it publishes on.", show_default=False)],
    public_key: Annotated[
        Path, typer.Option("--public-key", help="Its Ed25519 public key (OUT.pub from candor keygen).")
    ],
    with_token: Annotated[
        bool, typer.Option("--with-token", help="Also issue its publish token, shown once as the last line.")
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Register a developer with its first signing key, logged as a key-registration signed by the log key."""
    key = load_public_key(str(public_key), read_key_file(public_key, what="public key file"))
    with _registration(data_dir) as registration:
        registered = registration.register(
            slug, legal_name=name, website_domain=domain, public_key=key, with_token=with_token
        )
    typer.echo(f"registered developer {slug} ({registered.legal_name}, {registered.website_domain})")
    typer.echo(f"key fingerprint: SHA256:{key_fingerprint(key)}, {_change(registered.key)}")
    if registered.token is not None:
        typer.echo(f"publish token for developer {slug} (shown once; store it as a secret):")
        typer.echo(registered.token)


@developer_app.command("rotate-key")
def rotate_key(
    endorsement: Annotated[
        Path, typer.Argument(help="The developer's endorsement of its new key (from candor keys endorse).")
    ],
    data_dir: DataDirOption = None,
) -> None:
    """Rotate a developer to the new key its endorsement names, signed by the key it replaces; logged."""
    from candor.domain.key_history import MAX_ENDORSEMENT_BYTES, parse_endorsement
    from candor.services.files import read_input_file

    raw = read_input_file(endorsement, what="endorsement", limit=MAX_ENDORSEMENT_BYTES)
    endorsed = parse_endorsement(raw, name=str(endorsement))
    with _registration(data_dir) as registration:
        change = registration.rotate(endorsed)
    typer.echo(f"{endorsed.event.developer} now signs with key {change.key_fingerprint}, {_change(change)}")


@developer_app.command("revoke-key")
def revoke_key(
    slug: Annotated[str, typer.Argument(help="The registered developer.")],
    public_key: Annotated[Path, typer.Option("--public-key", help="The Ed25519 public key to revoke (OUT.pub).")],
    data_dir: DataDirOption = None,
) -> None:
    """Revoke a developer's key: no new statement signed by it is accepted; logged as a key-revocation."""
    key = load_public_key(str(public_key), read_key_file(public_key, what="public key file"))
    with _registration(data_dir) as registration:
        change = registration.revoke(slug, key)
    typer.echo(f"revoked key {change.key_fingerprint} of {slug}, {_change(change)}")


@developer_app.command("log-keys")
def log_keys(data_dir: DataDirOption = None) -> None:
    """Log the keys of developers registered before key events were logged (candor serve also does on start)."""
    with _registration(data_dir) as registration:
        logged = registration.log_keys()
    for change in logged.changes:
        typer.echo(f"{change.developer}: key {change.key_fingerprint} {_change(change)}")
    for developer, fingerprint in logged.unlogged:
        typer.echo(
            f"{developer}: key {fingerprint} is not in the log; it signs nothing new until {developer} endorses it "
            "with its logged key (candor keys endorse) and it is rotated to"
        )
    if not logged.changes and not logged.unlogged:
        typer.echo("every developer's keys are in the log")


@token_app.command("create")
def create_token(
    slug: Annotated[
        str | None, typer.Argument(help="The developer the token publishes for.", show_default=False)
    ] = None,
    scope: Annotated[TokenScope, typer.Option("--scope", help="What the token allows.")] = TokenScope.PUBLISH,
    data_dir: DataDirOption = None,
) -> None:
    """Issue an API token. It is shown once, as the last line, and stored only as a hash."""
    with _registration(data_dir) as registration:
        token = registration.issue_token(slug, scope)
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
    from candor.services.registration import require_registered
    from candor.services.registry_facts import FACTS_DIR_NAME, record_facts
    from candor.store.database import session_factory

    raw = read_input_file(facts_file, what="facts file", limit=MAX_DOCUMENT_BYTES)
    with open_database(data_dir) as (settings, engine):
        sessions = session_factory(engine)
        require_registered(sessions, slug)  # only a registered developer has a page to show them on
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
