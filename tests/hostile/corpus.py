"""Reading the hostile-input corpus's manifest, and running one CLI case in this process.

``corpus.yaml`` lists every case (see ``corpus/README.md``). A CLI case runs through :func:`candor.cli.app.main`, the
very function the ``candor`` script calls, with its output captured: a child process per case would cost about a
second of start-up each. A few cases also run in a real child process (``subprocess: true``), to prove the installed
entry point prints no traceback either.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from candor.cli.app import main
from candor.tlog.local_log import LocalLog

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CORPUS = HERE / "corpus"
MANIFEST = HERE / "corpus.yaml"
#: The log origin of the registry the HTTP cases are sent to. Every statement in them names it, so that each is
#: refused for the attack it makes, not for naming another log (the wrong-origin cases attack exactly that).
REGISTRY_ORIGIN = "hostile.test/registry"

#: What a CLI run's environment holds, whatever the caller's: no colour, wide lines, no registry settings.
CLI_ENVIRONMENT = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}


@cache
def _manifest() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.load(
        MANIFEST.read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )
    return cases


def load_cases() -> list[dict[str, Any]]:
    """Every case of the manifest, in its order (read once per session)."""
    return _manifest()


def cases_for(target: str) -> list[Any]:
    """pytest parameters for the cases aimed at ``target`` ("cli" or "http"); pending ones are strict xfails."""
    params = []
    for case in load_cases():
        if case["target"] != target:
            continue
        marks = []
        if case.get("pending"):
            marks.append(pytest.mark.xfail(strict=True, reason=case["pending"]))
        params.append(pytest.param(case, id=case["id"], marks=marks))
    return params


def expand(value: str, places: dict[str, str]) -> str:
    """A manifest string with its ``{corpus}``, ``{examples}``, ``{tmp}`` and ``{registry}`` places filled in."""
    for name, place in places.items():
        value = value.replace("{" + name + "}", place)
    return value


def prepare(steps: list[str], places: dict[str, str]) -> None:
    """Make what a case needs that cannot be committed: a pipe, a sparse 5 MiB file, a dangling link."""
    for step in steps:
        action, *arguments = expand(step, places).split(" ")
        target = Path(arguments[0])
        if action == "fifo":
            os.mkfifo(target)
        elif action == "sparse":
            with target.open("wb") as out:
                out.truncate(int(arguments[1]))
        elif action == "symlink":
            target.symlink_to(arguments[1])
        elif action == "unreadable":
            target.write_text("---\nkind: certification\n---\n", "utf-8")
            target.chmod(0)
        elif action == "touch":
            target.touch()
        elif action == "log":
            # A standalone log holding two published entries.
            with LocalLog.create(target, "hostile.test/local") as log:
                log.append_many([b"first entry", b"second entry"])
                log.publish()
        else:
            raise ValueError(f"unknown prepare step {step!r}")


@dataclass(frozen=True)
class CliRun:
    """What one run of the CLI did: its exit code, its output, and the traceback if anything escaped ``main``."""

    exit_code: int
    stdout: str
    stderr: str
    escaped: str | None = None


def run_cli(argv: list[str]) -> CliRun:
    """Run ``candor ARGV`` through :func:`main` in this process, as the ``candor`` script would."""
    runner = CliRunner()
    escaped = None
    code: int
    with runner.isolation(env=CLI_ENVIRONMENT) as streams:
        saved = sys.argv
        sys.argv = ["candor", *argv]
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        except BaseException:  # anything else is what a person would see as a traceback
            escaped = traceback.format_exc()
            code = 1
        finally:
            sys.argv = saved
        stdout, stderr = streams[0].getvalue(), streams[1].getvalue()
    return CliRun(code, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"), escaped)
