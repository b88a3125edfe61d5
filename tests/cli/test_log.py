"""``candor log``, in-process; the one-line errors through the real entry point, in a child process."""

from __future__ import annotations

import base64
import functools
import stat
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from candor.tlog.checkpoint import open_checkpoint
from candor.tlog.local_log import LocalLog
from candor.tlog.merkle import leaf_hash, tree_hash, verify_consistency, verify_inclusion
from candor.tlog.note import parse_verifier_key
from candor.tlog.proof import parse_tlog_proof
from tests.conftest import RunCandor

ORIGIN = "example.com/log"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


@pytest.fixture
def log_dir(tmp_path: Path, invoke_candor: RunCandor) -> Path:
    directory = tmp_path / "mylog"
    result = invoke_candor("log", "init", str(directory), "--origin", ORIGIN)
    assert result.returncode == 0, result.stderr
    return directory


def assert_clean_failure(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode != 0
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_init_prints_the_vkey_and_keeps_the_key_private(log_dir: Path, invoke_candor: RunCandor) -> None:
    assert stat.S_IMODE((log_dir / "log.key").stat().st_mode) == 0o600
    vkey = invoke_candor("log", "vkey", str(log_dir))
    assert vkey.returncode == 0
    assert vkey.stdout.startswith(f"{ORIGIN}+")
    parse_verifier_key(vkey.stdout)


def test_init_refuses_to_overwrite(log_dir: Path, invoke_candor: RunCandor) -> None:
    key = (log_dir / "log.key").read_bytes()
    result = invoke_candor("log", "init", str(log_dir), "--origin", ORIGIN)
    assert_clean_failure(result, "already holds a log")
    assert (log_dir / "log.key").read_bytes() == key


@pytest.mark.slow
def test_add_publish_verify_prove_and_check(log_dir: Path, tmp_path: Path, invoke_candor: RunCandor) -> None:
    first, second = tmp_path / "sdf.md", tmp_path / "card.md"
    first.write_bytes(b"---\nkind: secure-development-framework\n---\nbody\n")
    second.write_bytes(b"system card bytes")
    added = invoke_candor("log", "add", str(log_dir), str(first), str(second))
    assert added.returncode == 0, added.stderr
    assert added.stdout.split() == ["0", "1"]
    lines = tmp_path / "bulk.txt"
    lines.write_text("".join(f"line {i}\n" for i in range(600)))
    bulk = invoke_candor("log", "add", str(log_dir), "--lines", str(lines))
    assert bulk.stdout.split() == [str(i) for i in range(2, 602)]
    published = invoke_candor("log", "publish", str(log_dir))
    assert published.returncode == 0, published.stderr
    assert f"{ORIGIN} size 602" in published.stdout

    vkey_file = log_dir / "log.vkey"
    verified = invoke_candor("log", "verify", str(log_dir), "--vkey", str(vkey_file))
    assert verified.returncode == 0, verified.stderr
    assert "602 entries" in verified.stdout

    proof = invoke_candor("log", "prove", str(log_dir), "1")
    assert proof.returncode == 0, proof.stderr
    parsed = parse_tlog_proof(proof.stdout)
    verifier = parse_verifier_key(vkey_file.read_text())
    checkpoint = open_checkpoint(parsed.checkpoint, verifier)
    verify_inclusion(leaf_hash(b"system card bytes"), 1, checkpoint.size, parsed.hashes, checkpoint.root)
    proof_file = tmp_path / "card.tlog-proof"
    proof_file.write_text(proof.stdout)
    checked = invoke_candor("log", "check-proof", str(proof_file), str(second), "--vkey", vkey_file.read_text().strip())
    assert checked.returncode == 0, checked.stderr
    forged = invoke_candor("log", "check-proof", str(proof_file), str(first), "--vkey", str(vkey_file))
    assert_clean_failure(forged, "entry is not proven at index 1")

    line = tmp_path / "line7"
    line.write_bytes(b"line 7")
    (tmp_path / "p9").write_text(invoke_candor("log", "prove", str(log_dir), "9").stdout)
    assert (
        invoke_candor("log", "check-proof", str(tmp_path / "p9"), str(line), "--vkey", str(vkey_file)).returncode == 0
    )


def test_consistency_prints_a_proof_that_verifies(log_dir: Path, tmp_path: Path, invoke_candor: RunCandor) -> None:
    lines = tmp_path / "bulk.txt"
    lines.write_text("".join(f"entry {i}\n" for i in range(1000)))
    invoke_candor("log", "add", str(log_dir), "--lines", str(lines))
    assert invoke_candor("log", "publish", str(log_dir)).returncode == 0
    result = invoke_candor("log", "consistency", str(log_dir), "300", "1000")
    assert result.returncode == 0, result.stderr
    proof = [base64.b64decode(line) for line in result.stdout.split()]
    with LocalLog.open(log_dir) as log:
        reader = log.reader()
        old_root, new_root = tree_hash(reader, 300), tree_hash(reader, 1000)
    verify_consistency(300, 1000, proof, old_root, new_root)
    beyond = invoke_candor("log", "consistency", str(log_dir), "300", "1001")
    assert_clean_failure(beyond, "NEW <= 1000")


def test_verify_reports_tampering_and_exits_non_zero(log_dir: Path, tmp_path: Path, invoke_candor: RunCandor) -> None:
    lines = tmp_path / "bulk.txt"
    lines.write_text("".join(f"entry {i}\n" for i in range(300)))
    invoke_candor("log", "add", str(log_dir), "--lines", str(lines))
    invoke_candor("log", "publish", str(log_dir))
    tile = log_dir / "log" / "tile" / "0" / "000"
    tile.write_bytes(tile.read_bytes()[:64] + bytes(32) + tile.read_bytes()[96:])
    result = invoke_candor("log", "verify", str(log_dir), "--vkey", str(log_dir / "log.vkey"))
    assert_clean_failure(result, "tile/0/000: index 2: hash is not the hash of entry 2")


def test_clear_errors_without_tracebacks(log_dir: Path, tmp_path: Path, run_candor: RunCandor) -> None:
    assert_clean_failure(run_candor("log", "add", str(log_dir), str(tmp_path / "nope")), "no such file")
    assert_clean_failure(run_candor("log", "publish", str(tmp_path)), "not a log directory")
    assert_clean_failure(run_candor("log", "prove", str(log_dir), "0"), "not in the published log of size 0")
    bad_key = run_candor("log", "verify", str(log_dir), "--vkey", "nonsense+key")
    assert_clean_failure(bad_key, "verifier key")
    big = tmp_path / "big"
    big.write_bytes(b"x" * 70_000)
    assert_clean_failure(run_candor("log", "add", str(log_dir), str(big)), "over the 65,535-byte limit")
    assert_clean_failure(
        run_candor("log", "verify", str(tmp_path), "--vkey", str(log_dir / "log.vkey")), "holds no checkpoint"
    )


def test_verify_through_an_http_url(log_dir: Path, tmp_path: Path, invoke_candor: RunCandor) -> None:
    lines = tmp_path / "bulk.txt"
    lines.write_text("".join(f"entry {i}\n" for i in range(300)))
    invoke_candor("log", "add", str(log_dir), "--lines", str(lines))
    invoke_candor("log", "publish", str(log_dir))
    handler = functools.partial(QuietHandler, directory=str(log_dir / "log"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        result = invoke_candor("log", "verify", url, "--vkey", str(log_dir / "log.vkey"))
        assert result.returncode == 0, result.stderr
        assert "300 entries" in result.stdout
        (log_dir / "log" / "tile" / "entries" / "001.p" / "44").unlink()
        missing = invoke_candor("log", "verify", url + "/", "--vkey", str(log_dir / "log.vkey"))
        assert_clean_failure(missing, "tile/entries/001.p/44: missing from http://127.0.0.1:")
    finally:
        server.shutdown()
        server.server_close()


def test_a_too_long_line_is_named_by_file_and_line_and_nothing_is_added(
    log_dir: Path, tmp_path: Path, invoke_candor: RunCandor
) -> None:
    lines = tmp_path / "bulk.txt"
    lines.write_bytes(b"first\nsecond\n" + b"x" * 70_000 + b"\nfourth\n")
    result = invoke_candor("log", "add", str(log_dir), "--lines", str(lines))
    assert_clean_failure(result, f"{lines}:3: entry is 70,000 bytes, over the 65,535-byte limit")
    lines.write_text("only\n")
    added = invoke_candor("log", "add", str(log_dir), "--lines", str(lines))
    assert added.stdout == "0\n"  # the refused file added nothing
    assert "all or nothing" in invoke_candor("log", "add", "--help").stdout.lower()


def test_publish_repairs_a_damaged_full_tile_before_signing(
    log_dir: Path, tmp_path: Path, invoke_candor: RunCandor
) -> None:
    lines = tmp_path / "bulk.txt"
    lines.write_text("".join(f"entry {i}\n" for i in range(70_000)))
    assert invoke_candor("log", "add", str(log_dir), "--lines", str(lines)).returncode == 0
    assert invoke_candor("log", "publish", str(log_dir)).returncode == 0
    tile = log_dir / "log" / "tile/0/005"
    data = bytearray(tile.read_bytes())
    data[1000] ^= 0x01
    tile.write_bytes(bytes(data))
    vkey = str(log_dir / "log.vkey")
    assert_clean_failure(invoke_candor("log", "verify", str(log_dir), "--vkey", vkey), "tile/0/005")
    one = tmp_path / "one"
    one.write_bytes(b"one more")
    assert invoke_candor("log", "add", str(log_dir), str(one)).stdout == "70000\n"
    published = invoke_candor("log", "publish", str(log_dir))
    assert published.returncode == 0, published.stderr
    assert "repaired tile/0/005 from the sequencer: differs from byte 1000" in published.stderr
    verified = invoke_candor("log", "verify", str(log_dir), "--vkey", vkey)
    assert verified.returncode == 0, verified.stderr
    assert "size 70001" in verified.stdout
