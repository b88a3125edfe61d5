"""Run a witness (c2sp.org/tlog-witness) that cosigns a log's checkpoints only if they extend what it saw before.

``candor witness keygen NAME --out FILE`` makes the witness's key: FILE holds the signer key (mode 0600) and
FILE.vkey the cosignature verifier key to give to logs and readers. ``candor witness serve`` runs the witness over
HTTP for the logs named in a config file (``--config``) or on the command line (``--log VKEY``, whose key name is
the log's origin). The config file is YAML::

    logs:
      - origin: registry.example/log        # the checkpoint's first line
        vkey: registry.example/log+1a2b3c4d+AU...   # the log's verifier key; one or more (vkeys: [...])

The witness's memory is one SQLite file in ``--state DIR``. Losing it means the witness can be talked into
cosigning a fork, so a witness whose state is lost must get a new key and be announced again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from candor.errors import CandorError, SourceError

STATE_FILE = "witness.sqlite3"
_MAX_CONFIG_BYTES = 1 << 20

witness_app = typer.Typer(
    help="Run a witness (c2sp.org/tlog-witness) that cosigns a log's checkpoints only if they extend what it saw "
    "before.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(witness_app, name="witness")


class WitnessConfigError(CandorError):
    """The witness's configuration names no log, or names one wrongly."""


@witness_app.command("keygen")
def keygen(
    name: Annotated[str, typer.Argument(help="The witness's name, e.g. witness.example.org/w1 (no spaces, no '+').")],
    out: Annotated[Path, typer.Option("--out", help="Signer key file to write; the verifier key goes to OUT.vkey.")],
) -> None:
    """Generate a witness key: OUT (signer key, mode 0600) and OUT.vkey (the cosignature verifier key to publish)."""
    from candor.cli.keys import write_key_pair
    from candor.tlog.errors import NoteKeyError
    from candor.tlog.note import generate_key, parse_cosignature_signer_key

    try:
        skey, _ = generate_key(name)
    except NoteKeyError as error:
        raise WitnessConfigError(f"witness name {name!r}: {error.message}") from None
    vkey = parse_cosignature_signer_key(skey).vkey()
    write_key_pair(out, (skey + "\n").encode(), (vkey + "\n").encode(), public_suffix=".vkey")
    typer.echo(f"signer key:   {out} (keep it secret; mode 0600)")
    typer.echo(f"verifier key: {out}.vkey")
    typer.echo(vkey)


@witness_app.command("serve")
def serve(
    key: Annotated[Path, typer.Option("--key", help="The witness's signer key file, from `candor witness keygen`.")],
    state: Annotated[Path, typer.Option("--state", help=f"Directory of the witness's memory ({STATE_FILE}).")],
    config: Annotated[
        Path | None, typer.Option("--config", help="YAML file naming the logs to witness (see `--help` above).")
    ] = None,
    log: Annotated[
        list[str] | None, typer.Option("--log", help="A log's verifier key; its name is the origin. Repeatable.")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = 8500,
) -> None:
    """Serve POST /add-checkpoint and GET /<origin hash>/checkpoint for the configured logs."""
    import uvicorn

    from candor.web.witness_app import build_witness_app

    witness = open_witness(key, state, config, log or [])
    typer.echo(f"witness {witness.signer.name} for {', '.join(sorted(witness.logs))}")
    typer.echo(f"verifier key: {witness.signer.vkey()}")
    uvicorn.run(build_witness_app(witness), host=host, port=port, log_level="warning")


def open_witness(key: Path, state: Path, config: Path | None, log_vkeys: list[str]) -> Any:
    """The :class:`~candor.tlog.witness.Witness` for a key file, a state directory and the logs to follow."""
    from candor.services.files import read_key_file
    from candor.tlog.errors import NoteKeyError
    from candor.tlog.note import parse_cosignature_signer_key
    from candor.tlog.witness import Witness, WitnessState

    try:
        signer = parse_cosignature_signer_key(read_key_file(key, what="witness key file").decode("utf-8", "replace"))
    except NoteKeyError as error:
        raise SourceError(str(key), error.message) from None
    logs = [*(_logs_from_config(config) if config else []), *(_log_from_vkey(vkey, "--log") for vkey in log_vkeys)]
    if not logs:
        raise WitnessConfigError("no log to witness", hint="name one with --config FILE or --log VKEY")
    origins = [log.origin for log in logs]
    duplicate = next((origin for origin in origins if origins.count(origin) > 1), None)
    if duplicate is not None:
        raise WitnessConfigError(f"log {duplicate!r} is configured twice")
    if state.exists() and not state.is_dir():
        raise SourceError(str(state), "is not a directory")
    return Witness(signer, logs, WitnessState(state / STATE_FILE))


def _log_from_vkey(vkey: str, where: str, origin: str | None = None) -> Any:
    from candor.tlog.errors import NoteKeyError
    from candor.tlog.note import parse_verifier_key
    from candor.tlog.witness import WitnessedLog

    try:
        verifier = parse_verifier_key(vkey)
    except NoteKeyError as error:
        raise WitnessConfigError(f"{where}: {error.message}") from None
    return WitnessedLog(origin or verifier.name, (verifier,))


def _logs_from_config(path: Path) -> list[Any]:
    from candor.domain.yamlload import load_yaml
    from candor.services.files import read_input_file
    from candor.tlog.witness import WitnessedLog

    name = str(path)
    loaded = load_yaml(read_input_file(path, what="witness config", limit=_MAX_CONFIG_BYTES).decode("utf-8"), name)
    value = loaded.value

    def where(*field: str | int) -> str:
        line = loaded.line_of(tuple(field))
        return f"{name}:{line}: {'.'.join(str(part) for part in field)}" if line else f"{name}: {field}"

    if not isinstance(value, dict) or not isinstance(value.get("logs"), list) or not value["logs"]:
        raise WitnessConfigError(f"{where('logs')}: must be a non-empty list of logs")
    logs = []
    for number, entry in enumerate(value["logs"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("origin"), str) or not entry["origin"]:
            raise WitnessConfigError(f"{where('logs', number, 'origin')}: each log needs an origin (its first line)")
        vkeys = entry.get("vkeys", [entry["vkey"]] if "vkey" in entry else [])
        if not isinstance(vkeys, list) or not vkeys or not all(isinstance(vkey, str) for vkey in vkeys):
            raise WitnessConfigError(f"{where('logs', number)}: each log needs a vkey (or a list of vkeys)")
        keys = [_log_from_vkey(vkey, where("logs", number, "vkey")).verifiers[0] for vkey in vkeys]
        logs.append(WitnessedLog(entry["origin"], tuple(keys)))
    return logs


def start_demo_witness(data_dir: Path, log_vkey: str, host: str, port: int) -> str:
    """A witness for the demo's log, served in a background thread of this process; its ``URL VKEY`` setting.

    Its key and memory live in the demo's data directory, which is wiped with it: fine for a demo, and exactly what a
    real witness must never do (its memory is what stops it cosigning a fork).
    """
    import threading

    import uvicorn

    from candor.tlog.note import generate_key
    from candor.web.witness_app import build_witness_app

    home = data_dir / "witness"
    home.mkdir(parents=True, exist_ok=True)
    key = home / "witness.key"
    if not key.exists():
        key.write_text(generate_key("witness.demo.example/w1")[0] + "\n")
        key.chmod(0o600)
    witness = open_witness(key, home / "state", None, [log_vkey])
    server = uvicorn.Server(uvicorn.Config(build_witness_app(witness), host=host, port=port, log_level="warning"))
    threading.Thread(target=server.run, name="candor-demo-witness", daemon=True).start()
    return f"http://{host}:{port} {witness.signer.vkey()}"
