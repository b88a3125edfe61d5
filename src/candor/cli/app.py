"""The root ``candor`` command and its entry point.

Each command group lives in its own module with a ``register(app)`` function. The root does not import those
modules: :data:`COMMANDS` names each command's module and its one-line help, and :class:`LazyGroup` imports a
module only when its command runs or shows its own help. So ``candor --version`` and ``candor check`` start
without the database, the web stack or the HTTP client, and ``candor --help`` still lists every command.

The entry point turns every :class:`~candor.errors.CandorError` into its one-line diagnostics and exit code, never
a traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup

from candor import __version__
from candor.errors import CandorError

if TYPE_CHECKING:
    # The Click that Typer builds on (vendored by recent Typer releases); only its types are needed here.
    from typer._click import Command, Context, HelpFormatter


class LazyCommand(NamedTuple):
    """Where a command lives and what ``candor --help`` says about it, without importing it."""

    module: str
    help: str


# Adding a command is one line here; its module's ``register(app)`` adds it under this name. A test checks that each
# help line is the one the command itself declares, so this table cannot drift from the commands.
COMMANDS: dict[str, LazyCommand] = {
    "check": LazyCommand(
        "candor.cli.checking",
        "Check disclosures against a transparency standard, like a linter; exit 1 on error findings, 2 if unreadable.",
    ),
    "diff": LazyCommand(
        "candor.cli.diff", "Compare two versions of a disclosure and report each change that weakens or strengthens it."
    ),
    "coverage": LazyCommand(
        "candor.cli.coverage",
        "Decide which regimes cover a developer, its tier, every threshold tested, and the obligations that follow.",
    ),
    "init": LazyCommand("candor.cli.templates", "Write a commented template for a disclosure or a facts file."),
    "demo": LazyCommand(
        "candor.cli.demo",
        "Serve a demo registry of fictional developers; with --check-only, check the examples instead.",
    ),
    "keygen": LazyCommand(
        "candor.cli.keys", "Generate a developer's Ed25519 signing key: OUT (private, mode 0600) and OUT.pub (public)."
    ),
    "keys": LazyCommand(
        "candor.cli.key_changes", "A developer's key changes: endorse a new key, rotate to it, show the history."
    ),
    "serve": LazyCommand(
        "candor.cli.serve", "Serve the registry: the website, the JSON API under /api/v1, and the log under /log."
    ),
    "publish": LazyCommand(
        "candor.cli.publish",
        "Parse FILE, sign its statement with KEY, and publish both; prints the log index, leaf hash and page.",
    ),
    "verify": LazyCommand(
        "candor.cli.verify",
        "Check FILE's bytes, the log's signed checkpoint, inclusion in the log, and the developer's signature.",
    ),
    "export": LazyCommand(
        "candor.cli.export",
        "Export every statement, document and sealed original (still sealed), the log's tiles and its checkpoint.",
    ),
    "withdraw": LazyCommand(
        "candor.cli.withdraw",
        "Sign a withdrawal of STATEMENT_ID with KEY and publish it; prints its log index and page.",
    ),
    "redact": LazyCommand(
        "candor.cli.redaction",
        "Write the public version (DIR/<name>.md) and the original sealed to the regulator (DIR/<name>.sealed).",
    ),
    "obligations": LazyCommand(
        "candor.cli.obligations",
        "List each obligation of each regime that covers the developer: trigger, recurrence, due date and state.",
    ),
    "backup": LazyCommand(
        "candor.cli.backup",
        "Back up the registry: database, log key, checkpoint history, tiles and facts, consistent with each other.",
    ),
    "restore": LazyCommand(
        "candor.cli.backup",
        "Restore a backup made by `candor backup`, unless that would make the log sign a fork. Stop the server first.",
    ),
    "audit": LazyCommand(
        "candor.cli.audit",
        "Check every statement, log entry, checkpoint, document and sealed original against what was signed.",
    ),
    "standards": LazyCommand("candor.cli.standards", "List the transparency standards and explain their rules."),
    "log": LazyCommand(
        "candor.cli.log_commands",
        "Run a standalone append-only log (C2SP tlog-tiles) and verify logs, proofs and checkpoints.",
    ),
    "monitor": LazyCommand(
        "candor.cli.monitor",
        "Follow a registry's log: prove each checkpoint extends the last, check every entry, and watch witnesses.",
    ),
    "witness": LazyCommand(
        "candor.cli.witness",
        "Run a witness (c2sp.org/tlog-witness) that cosigns a log's checkpoints only if they extend what it saw "
        "before.",
    ),
    "report": LazyCommand(
        "candor.cli.report",
        "Send the regulator a report sealed on this machine, and read the replies with your receipt.",
    ),
    "inbox": LazyCommand(
        "candor.cli.inbox",
        "The regulator's inbox of confidential reports: list, open, reply, move on, and export.",
    ),
    "watch": LazyCommand(
        "candor.cli.watch",
        "Watch developers' own sites: archive each version they serve and log silent edits and withdrawals.",
    ),
    "manifest": LazyCommand(
        "candor.cli.manifest",
        "Build and check the signed manifest a developer serves at /.well-known/ai-transparency.json.",
    ),
    "site": LazyCommand(
        "candor.cli.site",
        "Build the developer's static disclosure site: pages, feed, proofs and the signed manifest.",
    ),
    "admin": LazyCommand("candor.cli.admin", "Operate the registry: developers, keys, API tokens and facts."),
    "db": LazyCommand("candor.cli.db", "Create, upgrade and check the registry's database."),
    "regulator": LazyCommand(
        "candor.cli.redaction",
        "The regulator's tools: a key pair for sealed originals, opening them, checking public versions.",
    ),
}

RICH_MARKUP_MODE: Literal["rich"] = "rich"


def load_command(name: str) -> Command:
    """Import the module of command ``name`` and build its Click command, exactly as an eager root would."""
    module = importlib.import_module(COMMANDS[name].module)
    holder = typer.Typer(rich_markup_mode=RICH_MARKUP_MODE, pretty_exceptions_enable=False)
    module.register(holder)
    return typer.main.get_group(holder).commands[name]


class LazyGroup(TyperGroup):
    """The root group: lists every command of :data:`COMMANDS`, and imports one only to run it or show its help."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False
        # Placeholders that carry only the name and the one-line help, so that listing and "did you mean"
        # suggestions see every command; each is swapped for the real command the first time it is asked for.
        for name, lazy in COMMANDS.items():
            self.commands.setdefault(name, _Placeholder(name=name, help=lazy.help))

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = self.commands.get(cmd_name)
        if isinstance(command, _Placeholder) and not self._listing:
            command = self.commands[cmd_name] = load_command(cmd_name)
        return command

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        with self._listing_commands():
            super().format_help(ctx, formatter)

    @contextmanager
    def _listing_commands(self) -> Iterator[None]:
        self._listing = True
        try:
            yield
        finally:
            self._listing = False


class _Placeholder(TyperCommand):
    """A command not imported yet: enough for ``candor --help``, never invoked (LazyGroup replaces it first)."""


app = typer.Typer(
    name="candor",
    cls=LazyGroup,
    help=(
        "Candor: publish, check and verify frontier AI transparency disclosures.\n\n"
        "Developers check their Secure Development Frameworks, system cards and certifications against a "
        "transparency standard; regulators decide who is covered; anyone can verify the signed log."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=RICH_MARKUP_MODE,
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


def main(args: Sequence[str] | None = None, prog_name: str | None = None) -> None:
    """Run the CLI (on ``args``, default the command line); report Candor errors as one line on stderr, with their
    exit code. Always ends in SystemExit, as a command line does."""
    try:
        app(args=args, prog_name=prog_name)
    except CandorError as exc:
        from candor.cli.errorline import print_error

        print_error(exc.diagnostics())
        sys.exit(exc.exit_code)
