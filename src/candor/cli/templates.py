"""``candor init``: start a disclosure or facts file from a commented template.

Templates hold ``<placeholder>`` values, so a fresh file fails ``candor check`` with a message pointing at the
first value to fill in, and passes once every placeholder is replaced.
"""

from __future__ import annotations

import enum
from importlib.resources import files
from pathlib import Path
from typing import Annotated

import typer

from candor.errors import CandorError


class TemplateKind(enum.StrEnum):
    """The files ``candor init`` can start."""

    SDF = "sdf"
    SYSTEM_CARD = "system-card"
    CERTIFICATION = "certification"
    FACTS = "facts"


#: The packaged template for each kind; the file keeps the same name when written.
TEMPLATE_FILES: dict[TemplateKind, str] = {
    TemplateKind.SDF: "sdf.md",
    TemplateKind.SYSTEM_CARD: "system-card.md",
    TemplateKind.CERTIFICATION: "certification.md",
    TemplateKind.FACTS: "facts.yaml",
}


def template_text(kind: TemplateKind) -> str:
    """The packaged template for ``kind``."""
    resource = files("candor").joinpath("templates", TEMPLATE_FILES[kind])
    if not resource.is_file():
        raise CandorError(f"the {kind.value} template is not part of this installation of candor")
    return resource.read_text(encoding="utf-8")


def write_template(kind: TemplateKind, path: Path | None) -> Path:
    """Write the template for ``kind`` to ``path`` (a file, or a directory to put it in); never overwrite."""
    text = template_text(kind)
    target = path or Path(TEMPLATE_FILES[kind])
    if target.is_dir():
        target = target / TEMPLATE_FILES[kind]
    if not target.parent.is_dir():
        raise CandorError(f"{target}: the folder {target.parent} does not exist")
    try:
        # Mode "x" fails if the file exists, even if it appears between a check and the write.
        with target.open("x", encoding="utf-8", newline="\n") as out:
            out.write(text)
    except FileExistsError:
        raise CandorError(
            f"{target}: already exists; candor init never overwrites a file", hint="give another PATH"
        ) from None
    return target


def register(app: typer.Typer) -> None:
    """Add ``candor init`` to the root app."""

    @app.command("init")
    def init(
        kind: Annotated[TemplateKind, typer.Argument(help="Which file to start.")],
        path: Annotated[
            Path | None,
            typer.Argument(help="Where to write it (a file or a folder); defaults to the template's name here."),
        ] = None,
    ) -> None:
        """Write a commented template for a disclosure or a facts file."""
        written = write_template(kind, path)
        command = "coverage" if kind is TemplateKind.FACTS else "check"
        typer.echo(f"wrote {written}: replace every <placeholder>, then run: candor {command} {written}")
