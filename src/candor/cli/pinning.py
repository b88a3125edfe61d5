"""The options and messages shared by the commands that remember logs: ``candor verify``, ``candor log verify``
and ``candor log compare`` (see :mod:`candor.services.log_memory`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from candor.errors import CandorError, SourceError
from candor.services.files import read_key_file
from candor.services.log_memory import LogMemory, TrustedKey, default_state_directory
from candor.tlog.note import CosignatureVerifier, parse_cosignature_verifier_key

StateOption = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="Where pinned log keys and the newest checkpoints are kept (default: the user state directory).",
        show_default=False,
    ),
]
NoStateOption = Annotated[
    bool, typer.Option("--no-state", help="Remember nothing: a one-off check that pins no key and no checkpoint.")
]


WitnessOption = Annotated[
    list[str] | None,
    typer.Option("--witness", help="A trusted witness's verifier key, or a file holding it (repeatable)."),
]
QuorumOption = Annotated[
    int, typer.Option("--quorum", min=0, help="Cosignatures the log's checkpoint needs from those witnesses.")
]


def witnesses(given: list[str] | None) -> list[CosignatureVerifier]:
    return [parse_cosignature_verifier_key(read_vkey(item)) for item in given or []]


def open_memory(state: Path | None, no_state: bool) -> LogMemory:
    if no_state and state is not None:
        raise CandorError("give either --state DIR or --no-state, not both")
    if no_state:
        return LogMemory(None)
    return LogMemory(state if state is not None else default_state_directory())


def read_vkey(given: str) -> str:
    """A verifier key given as itself, or as a file whose last non-empty line is the key (e.g. a saved /log/vkey)."""
    path = Path(given)
    if "+" in given and not path.is_file():
        return given
    lines = read_key_file(path, what="verifier key file").decode("utf-8", errors="replace").split()
    if not lines:
        raise SourceError(given, "holds no verifier key")
    return lines[-1]


def announce(memory: LogMemory, trusted: TrustedKey) -> None:
    """On first contact, show the key's fingerprint and say where it is pinned, so it can be compared."""
    if not trusted.first_contact:
        return
    verifier = trusted.verifier
    if memory.directory is None:
        typer.echo(f"log {verifier.name}: verifier key {verifier.fingerprint()} (not pinned: --no-state)")
    else:
        typer.echo(
            f"first contact with log {verifier.name}: verifier key {verifier.fingerprint()} is now pinned "
            f"in {memory.where(verifier.name)}"
        )
    typer.echo("  compare this fingerprint with one obtained elsewhere (another network, a colleague, the press)")
