"""``make demo PORT=...`` serves the demo on the port asked for; the README says so."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import REPO


@pytest.mark.parametrize(("given", "port"), [((), "8000"), (("PORT=8123",), "8123")])
def test_make_demo_passes_its_port_to_candor_demo(given: tuple[str, ...], port: str) -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    # A dry run prints the commands without running them (nor installing anything).
    planned = subprocess.run([make, "-n", "demo", *given], cwd=REPO, capture_output=True, text=True, check=True)
    commands = [line for line in planned.stdout.splitlines() if "candor demo" in line]
    assert commands == [f".venv/bin/candor demo --port {port}"]


def test_the_readme_says_how_to_choose_the_demos_port() -> None:
    assert "`make demo\nPORT=8080`" in (REPO / "README.md").read_text()
