"""The facts the registry holds for each developer, from which its website decides coverage by regime.

One YAML facts file per developer, ``<facts_dir>/<slug>.yaml``, replaced whole when the operator records new facts.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from candor.domain.facts import DeveloperFacts, parse_facts
from candor.errors import CandorError

#: The facts folder inside a registry's data directory.
FACTS_DIR_NAME = "facts"
#: Facts files are named after the developer: ``acme-ai.yaml``.
FACTS_SUFFIX = ".yaml"


class FactsError(CandorError):
    """Facts that cannot be recorded for this developer."""


def facts_path(facts_dir: Path, slug: str) -> Path:
    """Where the registry keeps ``slug``'s facts."""
    return facts_dir / f"{slug}{FACTS_SUFFIX}"


def record_facts(facts_dir: Path, slug: str, name: str, raw: bytes) -> DeveloperFacts:
    """Check ``raw`` (a facts file named ``name``) and make it ``slug``'s facts on record; the parsed facts.

    The file is replaced atomically, so a reader never sees half of it.
    """
    facts = parse_facts(name, raw)
    if facts.developer != slug:
        raise FactsError(f"{name}: these facts are for {facts.developer!r}, not {slug!r}")
    facts_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=facts_dir, prefix=f".{slug}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(raw)
        os.replace(temporary, facts_path(facts_dir, slug))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return facts


def facts_on_file(facts_dir: Path, slug: str) -> DeveloperFacts | str:
    """The facts the registry holds for ``slug``, or why there are none to use (a sentence for the page)."""
    path = facts_path(facts_dir, slug)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return "no facts are on file for this developer"
    try:
        facts = parse_facts(path.name, raw)
    except CandorError as exc:
        return f"the facts on file cannot be read: {exc.diagnostics()}"
    if facts.developer != slug:
        return f"the facts on file are for {facts.developer!r}, not {slug!r}"
    return facts
