"""Every command reads a named file the same way: a missing, oversized or wrong file is one line and exit 2."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import RunCandor

STATEMENT_ID = "0" * 64


def assert_one_line_failure(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"error: {expected}"]


def test_withdraw_names_a_missing_key_file(tmp_path: Path, invoke_candor: RunCandor) -> None:
    key = tmp_path / "absent.key"
    # The key is read before the registry is contacted, so the unreachable registry is never tried.
    result = invoke_candor(
        "withdraw", STATEMENT_ID, "--registry", "http://127.0.0.1:9", "--token", "t", "--key", str(key)
    )
    assert_one_line_failure(result, f"{key}: no such file")


def test_publish_refuses_an_oversized_disclosure(tmp_path: Path, invoke_candor: RunCandor) -> None:
    disclosure = tmp_path / "framework.md"
    with disclosure.open("wb") as out:
        out.truncate(5 * 1024 * 1024 + 1)
    result = invoke_candor(
        "publish", str(disclosure), "--registry", "http://127.0.0.1:9", "--token", "t", "--key", str(tmp_path)
    )
    assert_one_line_failure(
        result, f"{disclosure}: file is 5,242,881 bytes, over the limit of 5,242,880 bytes for a disclosure file"
    )


def test_verify_says_a_directory_is_not_a_tlog_proof(tmp_path: Path, invoke_candor: RunCandor) -> None:
    document = tmp_path / "card.md"
    document.write_text("---\nkind: system-card\n---\n", "utf-8")
    result = invoke_candor("verify", str(document), "--proof", str(tmp_path), "--vkey", "example.com/log+00000000+AA==")
    assert_one_line_failure(result, f"{tmp_path}: is a directory, not a tlog-proof")


def test_admin_refuses_an_oversized_public_key_before_opening_the_registry(
    tmp_path: Path, invoke_candor: RunCandor
) -> None:
    key = tmp_path / "big.pub"
    key.write_bytes(b"-" * 20_000)
    result = invoke_candor(
        "admin", "developer", "add", "acme-ai", "--name", "Acme", "--domain", "acme.example",
        "--public-key", str(key), "--data-dir", str(tmp_path / "data"),
    )  # fmt: skip
    assert_one_line_failure(
        result, f"{key}: file is 20,000 bytes, over the limit of 16,384 bytes for a public key file"
    )
    assert not (tmp_path / "data").exists()


def test_log_check_proof_names_a_missing_verifier_key_file(tmp_path: Path, invoke_candor: RunCandor) -> None:
    vkey = tmp_path / "log.vkey"
    result = invoke_candor("log", "check-proof", str(tmp_path / "p"), str(tmp_path / "e"), "--vkey", str(vkey))
    assert_one_line_failure(result, f"{vkey}: no such file")


def test_check_refuses_an_endless_device_in_one_line(run_candor: RunCandor) -> None:
    result = run_candor("check", "/dev/zero")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == ["error: /dev/zero: is a character device, not a disclosure file"]


def test_check_and_coverage_stop_reading_an_oversized_process_substitution_at_the_limit() -> None:
    # bash hands the child /dev/fd/N, a pipe whose writer would produce 200 MB; the reader stops one byte past
    # 5 MiB, and `head` then dies of SIGPIPE instead of filling memory.
    for command in ("check", "coverage"):
        result = subprocess.run(
            ["bash", "-c", f'exec "$0" -m candor {command} <(head -c 200000000 /dev/zero)', sys.executable],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
            check=False,
        )
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        [line] = result.stderr.strip().splitlines()
        assert re.fullmatch(r"error: /dev/fd/\d+: is more than 5,242,880 bytes, over the limit for a \w+ file", line)
