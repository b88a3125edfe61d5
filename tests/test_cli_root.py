"""The root command: help and version work through the real entry point."""

from __future__ import annotations

from candor import __version__
from tests.conftest import RunCandor


def test_version_prints_package_version(run_candor: RunCandor) -> None:
    result = run_candor("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"candor {__version__}"


def test_help_names_the_tool(run_candor: RunCandor) -> None:
    result = run_candor("--help")
    assert result.returncode == 0
    assert "transparency" in result.stdout
