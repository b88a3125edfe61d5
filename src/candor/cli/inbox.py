"""The regulator's inbox of confidential reports: list, open, reply, move on, and export, on the regulator's machine.

Reports are opened here with the reviewer's private key (``--key``, from ``candor regulator keygen``); the registry
only ever holds their ciphertext. Run it where the registry's database is reachable (``--data-dir`` or
``CANDOR_DATABASE_URL``). Every action is appended to the reviewers' hash-chained audit log under this key's
fingerprint; ``candor inbox audit`` recomputes the chain.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from candor.cli.db import DataDirOption
from candor.errors import CandorError

inbox_app = typer.Typer(
    help="The regulator's inbox of confidential reports: list, open, reply, move on, and export.",
    no_args_is_help=True,
)

KeyOption = Annotated[Path, typer.Option("--key", help="The reviewer's X25519 private key (candor regulator keygen).")]
ReportId = Annotated[str, typer.Argument(help="The report's id, as `candor inbox list` shows it.")]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(inbox_app, name="inbox")


def _inbox(data_dir: Path | None, key: Path) -> Any:
    """A context manager yielding the :class:`~candor.services.reports.Inbox` and the settings."""
    from contextlib import contextmanager
    from zoneinfo import ZoneInfo

    from candor.cli.db import open_database
    from candor.domain.regulator_keys import load_regulator_private_key
    from candor.services.files import read_key_file
    from candor.services.reports import Inbox
    from candor.store.database import session_factory

    private = load_regulator_private_key(str(key), read_key_file(key, what="reviewer key"))

    @contextmanager
    def opened():  # type: ignore[no-untyped-def]
        with open_database(data_dir) as (settings, engine):
            today = datetime.now(UTC).astimezone(ZoneInfo(settings.report_zone)).date()
            yield Inbox(session_factory(engine), private, today), settings

    return opened()


@inbox_app.command("list")
def list_reports(key: KeyOption, data_dir: DataDirOption = None) -> None:
    """Every report: kind, state, day received, and what is due or overdue."""
    from zoneinfo import ZoneInfo

    from candor.domain.regimes import load_regimes
    from candor.domain.report_workflow import WhistleblowerProgress, incident_dues, whistleblower_dues

    now = datetime.now(UTC)
    regimes = load_regimes()
    with _inbox(data_dir, key) as (inbox, settings):
        reports = inbox.reports()
        zone = ZoneInfo(settings.report_zone)
    if not reports:
        typer.echo("No reports.")
        return
    for report in reports:
        if report.kind == "whistleblower":
            progress = WhistleblowerProgress(
                report.received_on, report.acknowledged_on, report.update_days, report.feedback_on
            )
            dues = [] if report.state == "concluded" else whistleblower_dues(progress, now, zone)
        else:
            assert report.discovered_at is not None
            dues = incident_dues(report.discovered_at, list(report.obligations), regimes, report.received_on)
        shredded = f" (destroyed {report.shredded_on})" if report.shredded_on else ""
        typer.echo(f"{report.id}  {report.kind:<13} {report.state:<12} received {report.received_on}{shredded}")
        for due in dues:
            if due.overdue(now):
                mark = "OVERDUE"
            elif due.late:
                mark = "late"
            elif due.met_on:
                mark = f"met {due.met_on}"
            else:
                mark = "due"
            typer.echo(f"    {mark:<8} {due.due.isoformat()}  {due.description}  [{due.citation.pinpoint}]")


@inbox_app.command("open")
def open_report(
    report_id: ReportId,
    key: KeyOption,
    data_dir: DataDirOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the attachments into this folder.")] = None,
) -> None:
    """Decrypt a report here and print it; an incident report's developer signature is checked against the registry."""
    with _inbox(data_dir, key) as (inbox, _):
        report, contents = inbox.open(report_id)
        signer = inbox.incident_signer(report, contents) if report.kind == "incident" else None
    typer.echo(f"Report {report.id}: {report.kind}, {report.state}, received {report.received_on}")
    if signer:
        typer.echo(signer)
    if report.statements:
        typer.echo("About the statements at log indexes: " + ", ".join(str(index) for index in report.statements))
    typer.echo("")
    typer.echo(contents.body)
    if contents.attachments:
        if out is None:
            names = ", ".join(item.name for item in contents.attachments)
            typer.echo(f"\n{len(contents.attachments)} attachments ({names}); write them with --out DIR")
            return
        out.mkdir(parents=True, exist_ok=True)
        for item in contents.attachments:
            path = out / Path(item.name).name
            path.write_bytes(item.data)
            typer.echo(f"wrote {path}")


@inbox_app.command("reply")
def reply(
    report_id: ReportId,
    key: KeyOption,
    message: Annotated[str, typer.Option("--message", help="The reply; only the receipt's holder can read it.")],
    data_dir: DataDirOption = None,
) -> None:
    """Seal a reply to the reporter's receipt key; it counts as the month's status update."""
    with _inbox(data_dir, key) as (inbox, _):
        number = inbox.reply(report_id, message)
    typer.echo(f"reply {number} sealed to the reporter of {report_id}")


@inbox_app.command("status")
def status(
    report_id: ReportId,
    state: Annotated[str, typer.Argument(help="acknowledged, assessing, addressing or concluded.")],
    key: KeyOption,
    data_dir: DataDirOption = None,
    feedback: Annotated[bool, typer.Option("--feedback", help="Also record that feedback was given today.")] = False,
) -> None:
    """Move a report forward: received → acknowledged → assessing → addressing → concluded."""
    from candor.domain.report_workflow import ReportState

    try:
        new = ReportState(state)
    except ValueError:
        raise CandorError(
            f"{state!r} is not a state; use one of {', '.join(item.value for item in ReportState)}"
        ) from None
    with _inbox(data_dir, key) as (inbox, _):
        inbox.set_state(report_id, new)
        if feedback:
            inbox.record_feedback(report_id)
    typer.echo(f"{report_id} is now {new.value}")


@inbox_app.command("export")
def export(report_id: ReportId, key: KeyOption, data_dir: DataDirOption = None) -> None:
    """An incident report as JSON in the shape of the OES form: date, why it qualifies, statement, internal use."""
    from candor.domain.yamlload import load_yaml

    with _inbox(data_dir, key) as (inbox, _):
        report, contents = inbox.open(report_id)
        signer = inbox.incident_signer(report, contents) if report.kind == "incident" else None
    if report.kind != "incident":
        raise CandorError(f"report {report_id} is a {report.kind} report; only incident reports are exported")
    fields = load_yaml(contents.body, f"report {report_id}").value
    if not isinstance(fields, dict):
        raise CandorError(f"report {report_id}: the incident report is not YAML with the OES fields")
    record = {
        "incident_date": str(fields.get("incident_date", "")),
        "why_it_qualifies": fields.get("qualifies"),
        "statement": fields.get("statement"),
        "involved_internal_use": fields.get("internal_use"),
        "developer": contents.developer,
        "discovered_at": report.discovered_at.isoformat() if report.discovered_at else None,
        "received_on": report.received_on.isoformat(),
        "obligations": list(report.obligations),
        "signature": signer,
    }
    typer.echo(json.dumps(record, indent=2, ensure_ascii=False))


@inbox_app.command("shred")
def shred(key: KeyOption, data_dir: DataDirOption = None) -> None:
    """Destroy every report past its retention by dropping its wrapped keys (crypto-shredding)."""
    with _inbox(data_dir, key) as (inbox, _):
        destroyed = inbox.shred_expired()
    typer.echo(
        f"destroyed {len(destroyed)} reports past their retention" + "".join(f"\n  {item}" for item in destroyed)
    )


@inbox_app.command("audit")
def audit(key: KeyOption, data_dir: DataDirOption = None) -> None:
    """Recompute the reviewers' hash-chained audit log; exit 1 at the first broken entry."""
    with _inbox(data_dir, key) as (inbox, _):
        count = inbox.check_audit_chain()
    typer.echo(f"ok: {count} reviewer actions, chained")
