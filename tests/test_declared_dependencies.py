"""Every third-party module the code imports is declared in pyproject.toml, where an installer reads it.

A module that arrives only as another package's dependency works until that package drops it; then a fresh
install of Candor breaks where nobody changed anything. The package's own code must be covered by the runtime
dependencies; the tests and benchmarks by those and the ``dev`` extra.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable
from importlib.metadata import packages_distributions
from pathlib import Path

from tests.conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
FIRST_PARTY = {"candor", "tests", "benchmarks"}


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement line (PEP 503)."""
    found = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert found is not None, requirement
    return re.sub(r"[-_.]+", "-", found.group()).lower()


def _declared(*extras: str) -> set[str]:
    project = PYPROJECT["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return {_name(line) for line in lines}


def _imported(roots: Iterable[Path]) -> dict[str, Path]:
    """Top-level modules imported by any file under ``roots`` that are neither first-party, nor the standard
    library, nor a sibling script of the importing file (the benchmarks import one another), with one importer."""
    found: dict[str, Path] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.partition(".")[0]
                    sibling = (path.parent / f"{top}.py").exists()
                    if top not in FIRST_PARTY and top not in sys.stdlib_module_names and not sibling:
                        found.setdefault(top, path)
    return found


def _undeclared(modules: dict[str, Path], declared: set[str]) -> list[str]:
    distributions = packages_distributions()
    missing = []
    for module, importer in sorted(modules.items()):
        if module not in distributions:
            # Nothing installed provides it, so its distribution's name is unknown (nacl comes from PyNaCl).
            missing.append(
                f"{importer.relative_to(REPO)} imports {module}, which is not installed: pip install -e '.[dev]'"
            )
            continue
        names = {_name(name) for name in distributions[module]}
        if not names & declared:
            missing.append(f"{importer.relative_to(REPO)} imports {module} ({', '.join(sorted(names))})")
    return missing


def test_the_package_imports_only_its_declared_dependencies() -> None:
    assert _undeclared(_imported([REPO / "src"]), _declared()) == []


def test_the_tests_and_benchmarks_import_only_declared_dev_dependencies() -> None:
    modules = _imported([REPO / "tests", REPO / "benchmarks"])
    assert _undeclared(modules, _declared("dev", "fast")) == []


def test_an_undeclared_import_is_caught(tmp_path: Path) -> None:
    # The control: h11 is installed (uvicorn and httpx bring it) and declared for the benchmarks only, so the
    # package's own code importing it must be caught; PyYAML is declared, and json is the standard library's.
    script = tmp_path / "uses_h11.py"
    script.write_text("import h11\nfrom yaml import safe_load\nimport json\n")
    modules = {module: REPO / "src" / path.name for module, path in _imported([tmp_path]).items()}
    assert sorted(modules) == ["h11", "yaml"]
    assert [line.split(" imports ")[1] for line in _undeclared(modules, _declared())] == ["h11 (h11)"]
    assert _undeclared(modules, _declared("dev")) == []
