"""``candor keygen``: a working Ed25519 pair, a private file only its owner can read, and no overwriting."""

from __future__ import annotations

import stat
from pathlib import Path

from candor.domain.developer_keys import load_private_key, load_public_key, public_key_raw
from candor.domain.statement import verify_statement_signature
from tests.conftest import RunCandor


def test_keygen_writes_a_matching_pair(invoke_candor: RunCandor, tmp_path: Path) -> None:
    result = invoke_candor("keygen", str(tmp_path / "acme"))
    assert result.returncode == 0, result.stderr
    private_key = load_private_key("acme", (tmp_path / "acme").read_bytes())
    public_key = load_public_key("acme.pub", (tmp_path / "acme.pub").read_bytes())
    assert public_key_raw(private_key.public_key()) == public_key_raw(public_key)
    verify_statement_signature(b"statement", private_key.sign(b"statement"), public_key)
    assert "fingerprint: SHA256:" in result.stdout


def test_the_private_key_is_readable_only_by_its_owner(invoke_candor: RunCandor, tmp_path: Path) -> None:
    assert invoke_candor("keygen", str(tmp_path / "acme")).returncode == 0
    assert stat.S_IMODE((tmp_path / "acme").stat().st_mode) == 0o600
    assert (tmp_path / "acme").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / "acme.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")


def test_an_existing_key_is_never_overwritten(invoke_candor: RunCandor, tmp_path: Path) -> None:
    assert invoke_candor("keygen", str(tmp_path / "acme")).returncode == 0
    original = (tmp_path / "acme").read_bytes()
    result = invoke_candor("keygen", str(tmp_path / "acme"))
    assert result.returncode != 0
    assert "already exists" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "acme").read_bytes() == original


def test_an_existing_public_key_file_is_never_overwritten(invoke_candor: RunCandor, tmp_path: Path) -> None:
    (tmp_path / "acme.pub").write_text("someone else's key\n")
    result = invoke_candor("keygen", str(tmp_path / "acme"))
    assert result.returncode != 0
    assert "acme.pub: already exists" in result.stderr
    assert not (tmp_path / "acme").exists()
    assert (tmp_path / "acme.pub").read_text() == "someone else's key\n"
