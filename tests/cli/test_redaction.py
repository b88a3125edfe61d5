"""``candor redact`` and ``candor regulator``, through the real entry point."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from candor.domain.parse import parse_bytes
from candor.domain.regulator_keys import generate_regulator_key, regulator_private_pem, regulator_public_pem
from candor.services.redacting import redact_file
from tests.conftest import RunCandor

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme-ai"
SECRET = "Foundry Nine supplies our accelerators"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A marked-up framework, the regulator's key pair and an empty output directory."""
    text = (EXAMPLES / "sdf-v2.md").read_text()
    marked = f'\n::: redact category=trade-secret justification="Names a supplier"\n{SECRET}.\n:::\n'
    (tmp_path / "sdf.md").write_text(text + marked)
    key = generate_regulator_key()
    (tmp_path / "regulator").write_bytes(regulator_private_pem(key))
    (tmp_path / "regulator.pub").write_bytes(regulator_public_pem(key.public_key()))
    (tmp_path / "out").mkdir()
    return tmp_path


def redacted(workspace: Path) -> tuple[Path, Path]:
    """Redact in-process, for tests whose subject is the regulator's side."""
    written = redact_file(workspace / "sdf.md", workspace / "regulator.pub", workspace / "out")
    return written.public_path, written.sealed_path


def assert_clean_failure(result: object, message: str) -> None:
    assert result.returncode != 0  # type: ignore[attr-defined]
    assert message in result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]


def test_regulator_keygen_writes_a_private_key_only_its_owner_reads(invoke_candor: RunCandor, tmp_path: Path) -> None:
    result = invoke_candor("regulator", "keygen", str(tmp_path / "reg"))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "reg").stat().st_mode) == 0o600
    assert (tmp_path / "reg.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    original = (tmp_path / "reg").read_bytes()
    assert_clean_failure(invoke_candor("regulator", "keygen", str(tmp_path / "reg")), "already exists")
    assert (tmp_path / "reg").read_bytes() == original


def test_redact_then_open_and_check_round_trip(invoke_candor: RunCandor, workspace: Path) -> None:
    out = workspace / "out"
    result = invoke_candor(
        "redact", str(workspace / "sdf.md"), "--regulator-key", str(workspace / "regulator.pub"), "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "sealed_sha256:" in result.stdout
    public = (out / "sdf.md").read_text()
    assert SECRET not in public
    assert 'category=trade-secret justification="Names a supplier" size="<100" commitment=' in public
    assert SECRET.encode() not in (out / "sdf.sealed").read_bytes()

    opened = invoke_candor("regulator", "open", str(out / "sdf.sealed"), "--key", str(workspace / "regulator"))
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout == (workspace / "sdf.md").read_text()

    checked = invoke_candor(
        "regulator",
        "check-redactions",
        str(out / "sdf.sealed"),
        str(out / "sdf.md"),
        "--key",
        str(workspace / "regulator"),
    )
    assert checked.returncode == 0, checked.stderr
    assert "every redaction matches" in checked.stdout


def test_public_version_edited_after_redaction_fails_check_redactions(
    invoke_candor: RunCandor, workspace: Path
) -> None:
    public, sealed = redacted(workspace)
    text = public.read_text()
    public.write_text(text.replace('justification="Names a supplier"', 'justification="Routine detail"'))
    result = invoke_candor(
        "regulator", "check-redactions", str(sealed), str(public), "--key", str(workspace / "regulator")
    )
    assert_clean_failure(result, "the justification differs from the sealed original")
    # The redactions already in the example match; only the edited one, the last, is named.
    last = len(parse_bytes("sdf.md", (workspace / "sdf.md").read_bytes()).redactions)
    assert f"redaction {last} " in result.stderr
    assert "redaction 1 " not in result.stderr


def test_tampered_sealed_original_fails_to_open(invoke_candor: RunCandor, workspace: Path) -> None:
    _, sealed = redacted(workspace)
    raw = bytearray(sealed.read_bytes())
    raw[-20] ^= 0x40
    sealed.write_bytes(bytes(raw))
    result = invoke_candor("regulator", "open", str(sealed), "--key", str(workspace / "regulator"))
    assert_clean_failure(result, "altered after sealing")
    assert result.stdout == ""


def test_wrong_regulator_key_fails_cleanly(invoke_candor: RunCandor, workspace: Path) -> None:
    _, sealed = redacted(workspace)
    (workspace / "other").write_bytes(regulator_private_pem(generate_regulator_key()))
    result = invoke_candor("regulator", "open", str(sealed), "--key", str(workspace / "other"))
    assert_clean_failure(result, "not to this key")


def test_redact_reports_markup_errors_with_their_line(invoke_candor: RunCandor, workspace: Path) -> None:
    text = (workspace / "sdf.md").read_text()
    (workspace / "sdf.md").write_text(text + "\n::: redact category=trade-secret\nnever closed\n")
    line = text.count("\n") + 2
    result = invoke_candor(
        "redact",
        str(workspace / "sdf.md"),
        "--regulator-key",
        str(workspace / "regulator.pub"),
        "--out",
        str(workspace / "out"),
    )
    assert_clean_failure(result, f"sdf.md:{line}: the redaction opened here is never closed")
    assert list((workspace / "out").iterdir()) == []


def test_redact_refuses_a_passage_without_justification_and_never_overwrites(
    invoke_candor: RunCandor, workspace: Path
) -> None:
    redacted(workspace)
    before = (workspace / "out" / "sdf.sealed").read_bytes()
    again = invoke_candor(
        "redact",
        str(workspace / "sdf.md"),
        "--regulator-key",
        str(workspace / "regulator.pub"),
        "--out",
        str(workspace / "out"),
    )
    assert_clean_failure(again, "already exists")
    assert (workspace / "out" / "sdf.sealed").read_bytes() == before

    text = (workspace / "sdf.md").read_text().replace(' justification="Names a supplier"', "")
    (workspace / "bare.md").write_text(text)
    (workspace / "out2").mkdir()
    result = invoke_candor(
        "redact",
        str(workspace / "bare.md"),
        "--regulator-key",
        str(workspace / "regulator.pub"),
        "--out",
        str(workspace / "out2"),
    )
    assert_clean_failure(result, "a redaction must give its justification")


@pytest.mark.parametrize(
    "markup",
    [
        f'::: {{.redact category=trade-secret justification="Names a supplier"}}\n{SECRET}.\n:::\n',
        f'::: Redact category=trade-secret justification="Names a supplier"\n{SECRET}.\n:::\n',
    ],
)
def test_markup_candor_cannot_read_is_refused_by_check_redact_and_publish_not_published_in_clear(
    invoke_candor: RunCandor, workspace: Path, markup: str
) -> None:
    document = workspace / "unreadable.md"
    text = (EXAMPLES / "sdf-v2.md").read_text() + "\n"
    document.write_text(text + markup)
    line = text.count("\n") + 1
    message = f"{document}:{line}: redaction markup that Candor cannot read; it would be published in clear"
    checked = invoke_candor("check", str(document))
    assert checked.returncode == 2
    assert message in checked.stderr
    assert "Traceback" not in checked.stderr
    redact = invoke_candor(
        "redact", str(document), "--regulator-key", str(workspace / "regulator.pub"), "--out", str(workspace / "out")
    )
    assert_clean_failure(redact, message)
    assert list((workspace / "out").iterdir()) == []
    invoke_candor("keygen", str(workspace / "developer.key"))
    publish = invoke_candor(
        "publish", str(document), "--registry", "http://127.0.0.1:9", "--token", "t",
        "--key", str(workspace / "developer.key"),
    )  # fmt: skip
    assert_clean_failure(publish, message)


def test_a_crlf_original_is_redacted_to_an_lf_public_version_and_only_that_can_be_published(
    invoke_candor: RunCandor, workspace: Path
) -> None:
    crlf = workspace / "crlf.md"
    crlf.write_bytes((workspace / "sdf.md").read_bytes().replace(b"\n", b"\r\n"))
    redact = invoke_candor(
        "redact", str(crlf), "--regulator-key", str(workspace / "regulator.pub"), "--out", str(workspace / "out")
    )
    assert redact.returncode == 0, redact.stderr
    public = (workspace / "out" / "crlf.md").read_bytes()
    assert b"\r" not in public
    assert SECRET.encode() not in public
    invoke_candor("keygen", str(workspace / "developer.key"))
    publish = invoke_candor(
        "publish", str(crlf), "--registry", "http://127.0.0.1:9", "--token", "t",
        "--key", str(workspace / "developer.key"),
    )  # fmt: skip
    assert_clean_failure(publish, f"{crlf}:1: holds a carriage return")
