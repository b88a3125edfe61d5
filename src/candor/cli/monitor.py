"""Follow a registry's log: prove each checkpoint extends the last, check every entry, and watch witnesses.

Each event is printed as one JSON line (``severity`` is info, warning or alarm). ``--webhook URL`` also POSTs every
warning and alarm there as JSON. The state file remembers the last checkpoint proven and how far the entries were
checked, so a monitor that is stopped or killed resumes where it was and reports nothing twice.

Exit codes: 0 nothing alarming was seen; 5 an alarm was raised (the log or the registry misbehaved); 2 bad input.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Annotated

import typer

from candor.cli.pinning import QuorumOption, WitnessOption, read_vkey, witnesses
from candor.errors import CandorError

#: The exit code of a monitor that raised an alarm, as for ``candor log verify`` when the log misbehaved.
EXIT_ALARM = 5


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("monitor")(monitor)


def monitor(
    registry: Annotated[str, typer.Argument(metavar="URL", help="The registry's base URL.")],
    vkey: Annotated[str, typer.Option("--vkey", help="The log's verifier key, or a file holding it.")],
    witness: WitnessOption = None,
    witness_url: Annotated[
        list[str] | None,
        typer.Option(
            "--witness-url",
            help="NAME=URL: where the witness NAME (one of --witness) serves what it cosigned; compared with the log.",
        ),
    ] = None,
    quorum: QuorumOption = 0,
    state: Annotated[
        Path | None, typer.Option("--state", help="The monitor's state file (default: in the user state directory).")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Poll once and exit, instead of following the log.")] = False,
    interval: Annotated[float, typer.Option("--interval", min=1.0, help="Seconds between polls.")] = 60.0,
    webhook: Annotated[str | None, typer.Option("--webhook", help="POST each warning and alarm here as JSON.")] = None,
) -> None:
    """Follow a registry's log: prove each checkpoint extends the last, check every entry, and watch witnesses."""
    from candor.services.log_memory import default_state_directory
    from candor.services.monitoring import LogMonitor, MonitorEvent, WitnessSource
    from candor.tlog.note import parse_verifier_key

    log_verifier = parse_verifier_key(read_vkey(vkey))
    trusted = witnesses(witness)
    urls = _witness_urls(witness_url or [], {key.name for key in trusted})
    sources = [WitnessSource(key, urls.get(key.name)) for key in trusted]
    if quorum > len(sources):
        raise CandorError(f"--quorum {quorum} needs at least {quorum} --witness keys")
    if state is None:
        name = hashlib.sha256(log_verifier.vkey().encode()).hexdigest()[:16]
        state = default_state_directory() / "monitor" / f"{name}.json"
    watcher = LogMonitor(registry, log_verifier, state, witnesses=sources, quorum=quorum)
    alarmed = False
    try:
        while True:
            for event in watcher.poll():
                typer.echo(event.to_json())
                alarmed |= event.severity == "alarm"
                if webhook and event.severity != "info":
                    failure = _notify(webhook, event.to_json())
                    if failure:
                        typer.echo(MonitorEvent("warning", "webhook_failed", failure).to_json())
            if once:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    if alarmed:
        raise typer.Exit(EXIT_ALARM)


def _witness_urls(given: list[str], names: set[str]) -> dict[str, str]:
    urls = {}
    for item in given:
        name, separator, url = item.partition("=")
        if not separator or not url.startswith(("http://", "https://")):
            raise CandorError(f"--witness-url {item!r}: expected NAME=URL, e.g. witness.example/w1=https://w.example")
        if name not in names:
            raise CandorError(f"--witness-url {item!r}: no --witness key is named {name!r}")
        urls[name] = url
    return urls


def _notify(webhook: str, body: str) -> str | None:
    """POST one event to the webhook; a one-line reason if it failed."""
    import json

    from candor.httpclient import HttpClient, HttpError, Resource

    try:
        with HttpClient(webhook) as client:
            answer = client.request(
                "POST", "", Resource("webhook answer", 64 * 1024), json=json.loads(body), allow_error=True
            )
    except HttpError as error:
        return f"{webhook}: {error.message}"
    return None if answer.ok else f"{webhook}: HTTP {answer.status}"
