"""The whole-registry export (`candor export`) and its offline re-verification (`candor verify --export`).

The export is made from a real registry both ways: over real HTTP from the served API, and from the data
directory and database as an operator would. Each attack changes one thing in a copy of a good export and must
be named, on one line, by the verification; the untouched export, verified the same way, is the control.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from candor.config import load_settings
from candor.domain.key_history import is_key_event_entry
from candor.domain.observation import is_observation_entry
from candor.tlog.tiles import TILE_WIDTH, decode_bundle, encode_bundle, entries_path, tile_path
from candor.web.app import create_app
from tests.conftest import REPO, RunCandor
from tests.web.conftest import Served, serve_app


class Demo:
    """The demo registry (real publishing: signed envelopes, redacted documents with sealed originals), served."""

    def __init__(self, data_dir: Path, base_url: str) -> None:
        self.data_dir = data_dir
        self.base_url = base_url


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data_dir = tmp_path_factory.mktemp("export") / "demo"
    env = {name: value for name, value in os.environ.items() if not name.startswith("CANDOR_")}
    seeded = subprocess.run(
        [sys.executable, "-m", "candor", "demo", "--seed-only", "--data-dir", str(data_dir)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr
    # No watcher rounds, as `candor demo` serves it: the demo's watched site lived only while seeding, and a round
    # would log observations (and so grow the log) between the export and the checks against the data directory.
    settings = load_settings(
        data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'candor.sqlite3'}", watch_interval=0
    )
    with serve_app(create_app(settings)) as base_url:
        yield Demo(data_dir, base_url)


@pytest.fixture(scope="module")
def exported(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo exported over HTTP, once; tests change copies of it."""
    from typer.testing import CliRunner

    from candor.cli.app import app

    directory = tmp_path_factory.mktemp("exported") / "export"
    result = CliRunner().invoke(app, ["export", str(directory), "--registry", demo.base_url])
    assert result.exit_code == 0, result.output
    return directory


def _verify(invoke_candor: RunCandor, directory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return invoke_candor("verify", "--export", str(directory), *extra)


def _fails(invoke_candor: RunCandor, directory: Path, *named: str) -> str:
    result = _verify(invoke_candor, directory)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line, never a traceback
    for part in named:
        assert part in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def copy(exported: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(exported, target)
    return target


def _lines(directory: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (directory / "statements.jsonl").read_text().splitlines()]


def _write_lines(directory: Path, lines: list[dict[str, object]]) -> None:
    text = "".join(json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n" for line in lines)
    (directory / "statements.jsonl").write_text(text)


def _flip(path: Path, at: int = -1) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_the_untouched_export_verifies_offline(exported: Path, invoke_candor: RunCandor, demo: Demo) -> None:
    result = _verify(invoke_candor, exported)
    assert result.returncode == 0, result.stderr
    assert "verified export" in result.stdout
    checkpoint = (demo.data_dir / "log" / "checkpoint").read_text()
    assert (exported / "log" / "checkpoint").read_text() == checkpoint
    lines = _lines(exported)
    assert len(lines) == json.loads((exported / "manifest.json").read_text())["size"] - _not_statements(exported)
    assert any((exported / "sealed").iterdir()), "the demo has a redacted document: its sealed original is exported"
    # With the key given out of band, the same; with another log's key, refused.
    vkey = (demo.data_dir / "log.vkey").read_text().split()[-1]
    assert _verify(invoke_candor, exported, "--vkey", vkey).returncode == 0
    other = vkey.rsplit("+", 1)[0] + "+" + base64.b64encode(b"\x01" + bytes(32)).decode()
    assert _verify(invoke_candor, exported, "--vkey", other).returncode != 0


def _not_statements(directory: Path) -> int:
    """How many of the export's log entries are key events or watcher observations: no line of statements.jsonl."""
    size = json.loads((directory / "manifest.json").read_text())["size"]
    count = 0
    for bundle in range(-(-size // TILE_WIDTH)):
        width = min(TILE_WIDTH, size - bundle * TILE_WIDTH)
        name = entries_path(bundle, width)
        entries = decode_bundle((directory / "log" / name).read_bytes(), name)
        count += sum(1 for entry in entries if is_key_event_entry(entry) or is_observation_entry(entry))
    return count


def test_an_operator_export_from_the_data_directory_holds_the_same(
    exported: Path, demo: Demo, invoke_candor: RunCandor, tmp_path: Path
) -> None:
    directory = tmp_path / "operator"
    result = invoke_candor(
        "export", str(directory), "--data-dir", str(demo.data_dir),
        "--database-url", f"sqlite:///{demo.data_dir / 'candor.sqlite3'}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _verify(invoke_candor, directory).returncode == 0
    files = sorted(str(path.relative_to(directory)) for path in directory.rglob("*") if path.is_file())
    assert files == sorted(str(path.relative_to(exported)) for path in exported.rglob("*") if path.is_file())
    for name in files:
        if name != "manifest.json":  # names its source and time
            assert (directory / name).read_bytes() == (exported / name).read_bytes(), name


def test_a_flipped_byte_in_a_document_is_named(copy: Path, invoke_candor: RunCandor) -> None:
    document = next((copy / "documents").iterdir())
    _flip(document)
    _fails(invoke_candor, copy, str(document), "hash to")


def test_a_flipped_byte_in_a_sealed_original_is_named(copy: Path, invoke_candor: RunCandor) -> None:
    sealed = next((copy / "sealed").iterdir())
    _flip(sealed)
    _fails(invoke_candor, copy, str(sealed), "hash to")


def test_a_removed_statement_is_named(copy: Path, invoke_candor: RunCandor) -> None:
    lines = _lines(copy)
    removed = lines.pop(3)
    _write_lines(copy, lines)
    _fails(invoke_candor, copy, "statements.jsonl:4", f"log entry {removed['log_index']}")


def test_a_removed_document_is_named(copy: Path, invoke_candor: RunCandor) -> None:
    document = next((copy / "documents").iterdir())
    document.unlink()
    _fails(invoke_candor, copy, str(document), "missing")


def test_a_planted_file_is_named(copy: Path, invoke_candor: RunCandor) -> None:
    planted = copy / "documents" / ("0" * 64)
    planted.write_bytes(b"")
    _fails(invoke_candor, copy, str(planted), "no statement names it")


def test_a_swapped_tile_is_named(copy: Path, invoke_candor: RunCandor) -> None:
    size = json.loads((copy / "manifest.json").read_text())["size"]
    name = tile_path(0, 0, min(size, TILE_WIDTH))
    tile = copy / "log" / name
    data = tile.read_bytes()
    tile.write_bytes(data[32:64] + data[:32] + data[64:])  # the first two leaf hashes swapped
    _fails(invoke_candor, copy, name)


def test_swapped_entries_are_named(copy: Path, invoke_candor: RunCandor) -> None:
    size = json.loads((copy / "manifest.json").read_text())["size"]
    name = entries_path(0, min(size, TILE_WIDTH))
    bundle = copy / "log" / name
    entries = decode_bundle(bundle.read_bytes(), name)
    entries[1], entries[2] = entries[2], entries[1]
    bundle.write_bytes(encode_bundle(entries))
    _fails(invoke_candor, copy, name, "entry 1")


def test_a_forged_signature_is_named(copy: Path, invoke_candor: RunCandor) -> None:
    lines = _lines(copy)
    lines[2]["signature"] = base64.b64encode(bytes(64)).decode()
    _write_lines(copy, lines)
    _fails(invoke_candor, copy, "statements.jsonl:3", "signature")


def test_a_statement_re_signed_with_another_key_is_named(copy: Path, invoke_candor: RunCandor) -> None:
    # A valid signature, by a key that is not the one the log recorded: it must not pass for the developer's.
    lines = _lines(copy)
    forger = Ed25519PrivateKey.generate()
    statement = base64.b64decode(str(lines[2]["statement"]))
    lines[2]["signature"] = base64.b64encode(forger.sign(statement)).decode()
    lines[2]["key"] = base64.b64encode(forger.public_key().public_bytes_raw()).decode()
    _write_lines(copy, lines)
    _fails(invoke_candor, copy, "statements.jsonl:3", "signature")


def test_a_changed_checkpoint_is_named(copy: Path, invoke_candor: RunCandor) -> None:
    checkpoint = copy / "log" / "checkpoint"
    text = checkpoint.read_text().split("\n")
    text[1] = str(int(text[1]) - 1)
    checkpoint.write_text("\n".join(text))
    _fails(invoke_candor, copy, "checkpoint")


def test_an_export_into_a_used_directory_is_refused(demo: Demo, invoke_candor: RunCandor, tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")
    result = invoke_candor("export", str(tmp_path / "used"), "--registry", demo.base_url)
    assert result.returncode == 2
    assert "not an empty directory" in result.stderr
    assert (tmp_path / "used" / "keep.txt").read_text() == "mine"
    assert invoke_candor("export", str(tmp_path / "x")).returncode == 2  # neither --registry nor --data-dir


def test_the_served_registry_exports_and_verifies_both_ways(
    served: Served, invoke_candor: RunCandor, tmp_path: Path
) -> None:
    """On SQLite and PostgreSQL, with entries logged as bare statements (signatures from the registry)."""
    over_http = tmp_path / "http"
    assert invoke_candor("export", str(over_http), "--registry", served.base_url).returncode == 0
    operator = tmp_path / "operator"
    made = invoke_candor(
        "export", str(operator), "--data-dir", str(served.data_dir), "--database-url", served.database_url
    )
    assert made.returncode == 0, made.stderr
    for directory in (over_http, operator):
        result = _verify(invoke_candor, directory)
        assert result.returncode == 0, result.stderr
    assert (over_http / "statements.jsonl").read_bytes() == (operator / "statements.jsonl").read_bytes()
    assert len(_lines(operator)) == len(served.filled.published)


def test_the_explorer_shows_every_entry_of_the_demo_log_whatever_it_is(demo: Demo) -> None:
    # The demo's log holds statements, and the watcher's observations (candor.signed-observation/v1): each entry's
    # page and JSON answer 200, with its form named, and only a broken entry would be shown as unreadable.
    import httpx

    with httpx.Client(base_url=demo.base_url, timeout=30) as client:
        size = client.get("/api/v1/log/checkpoint").json()["size"]
        forms = set()
        for index in range(size):
            answer = client.get(f"/api/v1/log/entries/{index}")
            assert answer.status_code == 200, answer.text
            forms.add(answer.json()["form"])
            page = client.get(f"/explorer/entries/{index}")
            assert page.status_code == 200, page.text
            assert f"A {answer.json()['form']}" in page.text
    assert "observation" in forms
    assert "signed statement" in forms
    assert "unreadable" not in forms
