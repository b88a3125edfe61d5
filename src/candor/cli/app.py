"""The root ``candor`` command and its entry point.

Each command group lives in its own module and is registered here. The entry point turns every
:class:`~candor.errors.CandorError` into its one-line diagnostics and exit code, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from candor import __version__
from candor.errors import CandorError

app = typer.Typer(
    name="candor",
    help=(
        "Candor: publish, check and verify frontier AI transparency disclosures.\n\n"
        "Developers check their Secure Development Frameworks, system cards and certifications against a "
        "transparency standard; regulators decide who is covered; anyone can verify the signed log."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"candor {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Candor: publish, check and verify frontier AI transparency disclosures."""


def main() -> None:
    """Run the CLI; report Candor errors as one clear line on stderr with their exit code."""
    try:
        app()
    except CandorError as exc:
        from candor.cli.errorline import print_error

        print_error(exc.diagnostics())
        sys.exit(exc.exit_code)


def _register_command_groups() -> None:
    # Imported here, not at the top, so that each command module can import ``app`` helpers freely.
    from candor.cli import (
        admin,
        audit,
        backup,
        checking,
        coverage,
        db,
        demo,
        keys,
        log,
        obligations,
        publish,
        redaction,
        serve,
        standards,
        templates,
        verify,
        withdraw,
    )

    for module in (
        checking,
        standards,
        coverage,
        obligations,
        templates,
        log,
        demo,
        admin,
        db,
        backup,
        keys,
        serve,
        publish,
        verify,
        withdraw,
        redaction,
        audit,
    ):
        module.register(app)


_register_command_groups()
