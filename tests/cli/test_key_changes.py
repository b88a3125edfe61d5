"""A developer's key history end to end, over real HTTP: candor admin developer add logs the first key, candor keys
endorse and rotate move to a new one, the API and the developer page serve the history, and candor log verify
--statements checks every statement against it. Each attack is paired with its control.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from candor.domain.developer_keys import load_private_key, public_key_raw
from candor.domain.key_history import KeyEvent, KeyEventKind, endorse_rotation, key_text, parse_key_event_entry
from candor.testing.publishing import Signer, framework, request_body, signed
from tests.cli.test_registry_cli import registry_env, served
from tests.conftest import REPO, RunCandor

__all__ = ["registry_env", "served"]


def _add(run_candor: RunCandor, tmp_path: Path, slug: str) -> Signer:
    """keygen, then admin developer add --with-token; the developer as the tests sign for it."""
    key = tmp_path / f"{slug}.key"
    assert run_candor("keygen", str(key)).returncode == 0
    added = run_candor(
        "admin", "developer", "add", slug, "--name", f"{slug} Inc.", "--domain", f"{slug}.example",
        "--public-key", f"{key}.pub", "--with-token", "--data-dir", str(tmp_path / "data"),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "logged as key-registration at log index" in added.stdout
    return Signer(slug, load_private_key(str(key), key.read_bytes()), added.stdout.strip().splitlines()[-1])


def _publish(base_url: str, signer: Signer, version: int) -> httpx.Response:
    raw = framework(signer.slug, version, supersedes=version - 1 if version > 1 else None)
    return httpx.post(
        f"{base_url}/api/v1/statements",
        json=request_body(signed(signer, raw, minutes=version)),
        headers={"Authorization": f"Bearer {signer.token}"},
        timeout=30,
    )


def test_a_developer_rotates_its_key_and_the_log_shows_every_statement_signed_by_its_key_then(
    served: str, run_candor: RunCandor, tmp_path: Path
) -> None:
    acme, rival = _add(run_candor, tmp_path, "acme-ai"), _add(run_candor, tmp_path, "rival-ai")
    assert _publish(served, acme, 1).status_code == 201
    new_key = tmp_path / "acme-new.key"
    assert run_candor("keygen", str(new_key)).returncode == 0
    endorsement = tmp_path / "rotation.json"
    endorsed = run_candor(
        "keys", "endorse", "acme-ai", "--key", str(tmp_path / "acme-ai.key"), "--new-key", f"{new_key}.pub",
        "--registry", served, "--out", str(endorsement),
    )  # fmt: skip
    assert endorsed.returncode == 0, endorsed.stderr

    # Another developer's token against acme's endpoint: refused, whatever the endorsement.
    stolen = run_candor("keys", "rotate", str(endorsement), "--registry", served, "--token", rival.token)
    assert stolen.returncode != 0
    assert "this token acts for rival-ai, not for acme-ai" in stolen.stderr
    assert "Traceback" not in stolen.stderr

    # A rotation the previous key did not sign (the attacker's key endorses itself), with acme's own token.
    attacker = Ed25519PrivateKey.generate()
    event = KeyEvent(
        origin=json.loads(endorsement.read_text())["event"]["origin"],
        developer="acme-ai",
        kind=KeyEventKind.ROTATION,
        key=key_text(public_key_raw(attacker.public_key())),
        previous_key=key_text(public_key_raw(acme.key.public_key())),
        issued_at=f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}",
    )
    forged = tmp_path / "forged.json"
    forged.write_bytes(endorse_rotation(event, attacker).to_bytes())
    refused = run_candor("keys", "rotate", str(forged), "--registry", served, "--token", acme.token)
    assert refused.returncode != 0
    assert "not signed by the previous key" in refused.stderr

    # Control: acme's own endorsement and token.
    rotated = run_candor("keys", "rotate", str(endorsement), "--registry", served, "--token", acme.token)
    assert rotated.returncode == 0, rotated.stderr
    assert "logged as key-rotation at log index 3" in rotated.stdout  # after two registrations and a statement
    renewed = Signer("acme-ai", load_private_key(str(new_key), new_key.read_bytes()), acme.token)
    assert _publish(served, renewed, 2).status_code == 201
    old_key_later = _publish(served, acme, 3)
    assert old_key_later.status_code == 403, old_key_later.text

    # The history, as the API serves it, names the log entries of each key event.
    history = httpx.get(f"{served}/api/v1/developers/acme-ai/keys", timeout=30).json()
    first, second = history["keys"]
    assert (first["registered_by"]["kind"], first["registered_by"]["log_index"]) == ("key-registration", 0)
    assert (first["retired_by"]["kind"], first["retired_by"]["log_index"]) == ("key-rotation", 3)
    assert (second["registered_by"]["log_index"], second["retired_by"], second["valid_to"]) == (3, None, None)
    entry = httpx.get(second["registered_by"]["entry_url"], timeout=30)
    assert entry.headers["content-type"] == "application/json"
    assert parse_key_event_entry(entry.content).event.key_raw == public_key_raw(renewed.key.public_key())
    # The developer page links to them; the OpenAPI document describes the endpoints.
    page = httpx.get(f"{served}/developers/acme-ai", timeout=30).text
    assert "Signing keys" in page
    assert 'href="/explorer/entries/3"' in page
    openapi = httpx.get(f"{served}/api/v1/openapi.json", timeout=30).json()
    assert {"get", "post"} <= set(openapi["paths"]["/api/v1/developers/{slug}/keys"])
    shown = run_candor("keys", "show", "acme-ai", "--registry", served)
    assert shown.returncode == 0, shown.stderr
    assert "retired by key-rotation at log index 3" in shown.stdout

    # The log alone, checked by a reader: two registrations, a rotation, and each statement by its key then.
    verified = run_candor("log", "verify", f"{served}/log", "--statements", "--no-state")
    assert verified.returncode == 0, verified.stderr
    assert "2 statements signed by their developer's key as the log shows it, 3 key events" in verified.stdout


def test_a_demo_made_from_scratch_has_every_statement_checked_against_its_developers_key(
    run_candor: RunCandor, tmp_path: Path
) -> None:
    data_dir = tmp_path / "demo"
    seeded = run_candor("demo", "--seed-only", "--data-dir", str(data_dir), cwd=REPO)
    assert seeded.returncode == 0, seeded.stderr
    verified = run_candor(
        "log", "verify", str(data_dir / "log"), "--statements", "--vkey", str(data_dir / "log.vkey"), "--no-state"
    )
    assert verified.returncode == 0, verified.stderr
    assert (
        "19 statements signed by their developer's key as the log shows it, 3 key events, "
        "8 watcher observations signed by the log key, 0 statements logged before entries carried signatures"
    ) in verified.stdout
    audited = run_candor("audit", "--data-dir", str(data_dir))
    assert audited.returncode == 0, audited.stdout + audited.stderr


def test_a_malformed_or_foreign_endorsement_is_one_line_with_exit_2(run_candor: RunCandor, tmp_path: Path) -> None:
    key = tmp_path / "acme.key"
    assert run_candor("keygen", str(key)).returncode == 0
    new_key = tmp_path / "new.key"
    assert run_candor("keygen", str(new_key)).returncode == 0
    good = tmp_path / "good.json"
    endorsed = run_candor(
        "keys", "endorse", "acme-ai", "--key", str(key), "--new-key", f"{new_key}.pub", "--origin",
        "registry.test/log", "--out", str(good),
    )  # fmt: skip
    assert endorsed.returncode == 0, endorsed.stderr
    spaced = tmp_path / "spaced.json"
    spaced.write_text(json.dumps(json.loads(good.read_text()), indent=1))
    other_kind = tmp_path / "revocation.json"
    document = json.loads(good.read_text())
    document["event"]["kind"] = "key-revocation"
    del document["event"]["previous_key"]
    other_kind.write_text(json.dumps(document, separators=(",", ":"), sort_keys=True))
    for path, message in (
        (spaced, "not in RFC 8785 canonical form"),
        (other_kind, "an endorsement is of a key-rotation, not a key-revocation"),
        (tmp_path / "missing.json", "missing.json"),
    ):
        result = run_candor("keys", "rotate", str(path), "--registry", "http://127.0.0.1:9", "--token", "t")
        assert result.returncode == 2, (path, result.stderr)
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    # The same key as old and new is refused before anything is written.
    same = run_candor(
        "keys", "endorse", "acme-ai", "--key", str(key), "--new-key", f"{key}.pub", "--origin", "registry.test/log",
        "--out", str(tmp_path / "same.json"),
    )  # fmt: skip
    assert same.returncode == 2
    assert "the new key is the current key" in same.stderr
