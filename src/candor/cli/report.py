"""Send the regulator a report sealed on this machine, and read the replies with your receipt.

``candor report submit FILE --registry URL`` encrypts FILE (and any ``--attach`` files, names included) to the
regulator's reviewer keys before anything leaves this machine, so the registry never sees the text. A developer's
incident report (``--incident``) is also signed inside the ciphertext with the developer's registered key; FILE is
then YAML with ``incident_date``, ``qualifies`` (why it is a critical safety incident), ``statement`` (what
happened, plainly) and ``internal_use`` (true or false). The receipt is printed once: keep it, it is the only link
between you and the report. ``candor report status --registry URL`` asks for it and prints the replies.
"""

from __future__ import annotations

import base64
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from candor.errors import CandorError

if TYPE_CHECKING:
    from candor.domain.report_sealing import ReportContents

report_app = typer.Typer(
    help="Send the regulator a report sealed on this machine, and read the replies with your receipt.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(report_app, name="report")


@report_app.command("submit")
def submit(
    file: Annotated[Path, typer.Argument(help="The report: plain text, or an incident report's YAML.")],
    registry: Annotated[str, typer.Option("--registry", help="The registry's base URL.")],
    attach: Annotated[list[Path] | None, typer.Option("--attach", help="A file to send with it (repeatable).")] = None,
    statement: Annotated[
        list[int] | None, typer.Option("--statement", help="Log index of a statement the report is about.")
    ] = None,
    reviewer: Annotated[
        list[str] | None,
        typer.Option("--reviewer", help="A reviewer key fingerprint you obtained elsewhere; all must match."),
    ] = None,
    incident: Annotated[
        bool, typer.Option("--incident", help="A developer's critical safety incident report.")
    ] = False,
    developer: Annotated[str | None, typer.Option("--developer", help="Incident: the developer's slug.")] = None,
    key: Annotated[Path | None, typer.Option("--key", help="Incident: the developer's private key.")] = None,
    discovered: Annotated[
        str | None, typer.Option("--discovered", help="Incident: when it was discovered, ISO 8601 with an offset.")
    ] = None,
    obligation: Annotated[
        list[str] | None,
        typer.Option("--obligation", help="Incident: the duty it meets, e.g. ca-sb53/critical-safety-incident-report."),
    ] = None,
) -> None:
    """Encrypt FILE to the regulator's reviewers on this machine, send it, and print the receipt once."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    from candor.domain.regulator_keys import regulator_key_fingerprint
    from candor.domain.report_sealing import MAX_REPORT_BYTES, Attachment, ReportContents, seal_report
    from candor.registry_client import RegistryClient
    from candor.services.files import read_input_file
    from candor.services.reports import new_report_id, solve_proof_of_work

    body = read_input_file(file, what="report", limit=MAX_REPORT_BYTES).decode("utf-8", "replace")
    attachments = tuple(
        Attachment(path.name, read_input_file(path, what="attachment", limit=MAX_REPORT_BYTES)) for path in attach or []
    )
    contents = ReportContents(body, attachments)
    kind = "incident" if incident else "whistleblower"
    discovered_at = None
    if incident:
        contents, discovered_at = _signed_incident(contents, developer, key, discovered, obligation or [])
    with RegistryClient(registry) as client:
        offered = client.report_reviewers()
        keys = [X25519PublicKey.from_public_bytes(base64.b64decode(item["public_key"])) for item in offered]
        fingerprints = {regulator_key_fingerprint(key) for key in keys}
        if not keys or fingerprints != {item["fingerprint"] for item in offered}:
            raise CandorError(f"{registry}: the reviewer keys it offers do not match their fingerprints")
        if reviewer and set(reviewer) != fingerprints:
            raise CandorError(
                f"{registry} offers reviewer keys {sorted(fingerprints)}, not the ones you named",
                hint="do not send: ask the regulator, through another channel, which keys are theirs",
            )
        report_id = new_report_id()
        sealed = seal_report(contents, report_id, kind, keys)
        receipt = client.submit_report(
            {
                "id": report_id,
                "kind": kind,
                "ciphertext": _b64(sealed.ciphertext),
                "wrapped_keys": {
                    name: base64.b64encode(value).decode("ascii") for name, value in sealed.wrapped_keys.items()
                },
                "nonce": solve_proof_of_work(report_id),
                "statements": statement or [],
                "discovered_at": None if discovered_at is None else discovered_at.isoformat(),
                "obligations": obligation or [],
            }
        )
    typer.echo("Your report was received. Your receipt, shown only this once:")
    typer.echo(f"  {receipt}")
    typer.echo("Keep it where only you can reach it: it is the only link between you and the report.")


def _signed_incident(
    contents: ReportContents, developer: str | None, key: Path | None, discovered: str | None, obligations: list[str]
) -> tuple[ReportContents, datetime]:
    from dataclasses import replace

    from candor.domain.developer_keys import load_private_key, public_key_raw
    from candor.services.files import read_key_file

    if developer is None or key is None or discovered is None or not obligations:
        raise CandorError("an incident report needs --developer, --key, --discovered and at least one --obligation")
    try:
        discovered_at = datetime.fromisoformat(discovered)
    except ValueError:
        raise CandorError(f"--discovered {discovered!r}: not an ISO 8601 date and time") from None
    if discovered_at.tzinfo is None:
        raise CandorError(f"--discovered {discovered!r}: give the offset or zone, e.g. 2027-03-01T09:30-08:00")
    private = load_private_key(str(key), read_key_file(key, what="private key file"))
    unsigned = replace(
        contents,
        developer=developer,
        key=base64.b64encode(public_key_raw(private.public_key())).decode("ascii"),
    )
    signature = private.sign(unsigned.signed_bytes("incident"))
    return replace(unsigned, signature=base64.b64encode(signature).decode("ascii")), discovered_at


@report_app.command("status")
def status(
    registry: Annotated[str, typer.Option("--registry", help="The registry's base URL.")],
) -> None:
    """Ask for your receipt (it is not echoed) and print the report's state and the regulator's replies."""
    from candor.registry_client import RegistryClient

    receipt = typer.prompt("Receipt", hide_input=True) if sys.stdin.isatty() else sys.stdin.readline().strip()
    with RegistryClient(registry) as client:
        found = client.report_status(receipt)
    if found is None:
        typer.echo("No report matches that receipt.", err=True)
        raise typer.Exit(1)
    typer.echo(f"{found.get('kind')} report received {found.get('received_on')}; now {found.get('state')}.")
    for reply in found.get("replies", []):
        typer.echo(f"\n{reply.get('on')}:\n{reply.get('text')}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
