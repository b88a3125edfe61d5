"""Independent implementations from PyPI that need another Python than the project's, each in its own venv.

aics-witness (an independent C2SP tlog-witness) requires Python 3.12. Its venv is made once per machine under
``.cache/independent-tools/`` in the checkout and reused; a file lock keeps parallel test workers from building it
twice. The tests that use it fail, rather than skip, when no Python 3.12 can be found: CI machines have one (pyenv).
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache" / "independent-tools"


def find_python(version: str) -> str:
    """The path of a ``python{version}`` interpreter: on PATH, or one that pyenv installed."""
    candidates = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    if candidates:
        return candidates[-1]
    found = shutil.which(f"python{version}")
    # A pyenv shim is on PATH even when that version is not selected, and then fails; only a real one will do.
    if found and "/shims/" not in found:
        return found
    raise AssertionError(
        f"no Python {version} on this machine (PATH or ~/.pyenv/versions); the independent tools need it"
    )


def tool_venv(requirement: str, python_version: str) -> Path:
    """The bin directory of a venv (made once) holding ``requirement``, for Python ``python_version``."""
    home = CACHE / f"{requirement.replace('==', '-')}-py{python_version}"
    ready = home / ".ready"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            shutil.rmtree(home, ignore_errors=True)
            subprocess.run([find_python(python_version), "-m", "venv", str(home)], check=True)
            subprocess.run(
                [str(home / "bin" / "python"), "-m", "pip", "install", "-q", requirement],
                check=True,
                stdout=sys.stderr,
            )
            ready.touch()
    return home / "bin"
