"""``candor diff OLD NEW``: what changed between two versions of a disclosure, and whether it weakens it.

Exit codes: 0 when the diff ran, whatever it found; with ``--fail-on-weakening``, 1 when the overall direction is
weakening or mixed (for CI); 2 when a file cannot be read or parsed, or the two are not versions of one document.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from candor.errors import CandorError, SourceError

if TYPE_CHECKING:
    from candor.domain.diff import Document


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("diff")(diff)


def diff(
    old: Annotated[Path, typer.Argument(help="The earlier version (Markdown with front matter, or plain text).")],
    new: Annotated[Path, typer.Argument(help="The later version.")],
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.text,
    fail_on_weakening: Annotated[
        bool, typer.Option("--fail-on-weakening", help="Exit 1 when the new version weakens the old one.")
    ] = False,
) -> None:
    """Compare two versions of a disclosure and report each change that weakens or strengthens it."""
    from candor.domain.diff import diff_documents

    before, before_text = _read(old)
    after, after_text = _read(new)
    old_kind = "plain text" if before is None else before.kind
    new_kind = "plain text" if after is None else after.kind
    if old_kind != new_kind:
        raise CandorError(f"{old} is a {old_kind} and {new} is a {new_kind}: diff compares two versions of one kind")
    if before is not None and after is not None and before.developer != after.developer:
        raise CandorError(
            f"{old} is by {before.developer} and {new} by {after.developer}: diff compares one developer's versions"
        )
    result = diff_documents(before, after, before_text, after_text)
    if output is OutputFormat.json:
        typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False, default=str))
    else:
        typer.echo(f"{old} -> {new}: {result.direction}")
        for change in result.changes:
            typer.echo(f"  {change.direction:<13} {change.kind:<30} {change.path}: {change.explanation}")
        if not result.changes:
            typer.echo("  no changes")
    if fail_on_weakening and result.direction in ("weakening", "mixed"):
        raise typer.Exit(1)


def _read(path: Path) -> tuple[Document | None, str]:
    from candor.domain.parse import parse_document
    from candor.domain.source import decode_source

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(str(path), exc.strerror or "cannot be read") from None
    source = decode_source(str(path), raw)
    if source.text.split("\n", 1)[0].rstrip() != "---":
        return None, source.text
    parsed = parse_document(source)
    return parsed.model, parsed.body
