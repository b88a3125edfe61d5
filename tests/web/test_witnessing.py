"""The registry collects cosignatures from two real witness processes over loopback, serves the newest checkpoint that
a quorum cosigned, lags while a witness is down, and catches up when it is back, at quorum 1 of 2 and 2 of 2."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from tlog_scales.signing import Vkey
from tlog_scales.tlog import Checkpoint as ScalesCheckpoint

from candor.config import load_settings, sqlite_url
from candor.services.integration import registry_log_signer
from candor.store.database import create_database_engine, session_factory
from candor.store.schema import upgrade_database
from candor.testing.publishing import ORIGIN as TESTKIT_ORIGIN
from candor.testing.publishing import Signer, framework, register, request_body, signed
from candor.tlog.checkpoint import check_cosignatures, open_checkpoint
from candor.tlog.errors import TlogError
from candor.tlog.note import CosignatureVerifier, parse_cosignature_verifier_key
from candor.web.app import create_app
from tests.processes import free_port, wait_until_answering
from tests.web.conftest import serve_app

#: The kit signs every statement for the default origin, so this registry keeps it.
ORIGIN = TESTKIT_ORIGIN

pytestmark = pytest.mark.xdist_group("witness-processes")


class WitnessProcess:
    """``candor witness serve`` for one log, in its own directory; stopped and started like a real service."""

    def __init__(self, home: Path, name: str, log_vkey: str) -> None:
        self.home = home
        home.mkdir(parents=True)
        made = subprocess.run(
            [sys.executable, "-m", "candor", "witness", "keygen", name, "--out", str(home / "witness.key")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        self.vkey = made.stdout.strip().splitlines()[-1]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_vkey = log_vkey
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.home / "serve.log"
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "candor", "witness", "serve", "--key", str(self.home / "witness.key"),
                 "--state", str(self.home / "state"), "--log", self.log_vkey, "--port", str(self.port)],
                stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_until_answering(self.process, self.url + "/healthz", log)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)
        self.process = None


@pytest.fixture
def setting(tmp_path: Path) -> Iterator[tuple[Path, str, list[WitnessProcess]]]:
    data_dir = tmp_path / "registry"
    database_url = sqlite_url(data_dir / "candor.sqlite3")
    data_dir.mkdir()
    engine = create_database_engine(database_url)
    upgrade_database(engine)
    engine.dispose()
    log_vkey = registry_log_signer(data_dir / "log.key", ORIGIN).verifier().vkey()
    witnesses = [WitnessProcess(tmp_path / f"w{n}", f"witness.test/w{n}", log_vkey) for n in (1, 2)]
    for witness in witnesses:
        witness.start()
    try:
        yield data_dir, database_url, witnesses
    finally:
        for witness in witnesses:
            if witness.process is not None:
                witness.kill()


def _publish(client: httpx.Client, signer: Signer, version: int) -> None:
    raw = framework(signer.slug, version, supersedes=version - 1 if version > 1 else None)
    answer = client.post(
        "/api/v1/statements",
        json=request_body(signed(signer, raw, minutes=version)),
        headers={"Authorization": f"Bearer {signer.token}"},
    )
    assert answer.status_code == 201, answer.text


def _served(
    client: httpx.Client,
    log_vkey: str,
    until: int,
    cosigned_by: Sequence[CosignatureVerifier] = (),
    seconds: float = 30,
) -> bytes:
    """The served checkpoint once its size reaches ``until`` and every witness of ``cosigned_by`` cosigned it."""
    deadline = time.monotonic() + seconds
    while True:
        answer = client.get("/log/checkpoint")
        if answer.status_code == 200 and _size(answer.content, log_vkey) >= until:
            try:
                check_cosignatures(answer.content, list(cosigned_by), len(cosigned_by))
                return answer.content
            except TlogError:
                pass
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the served checkpoint did not reach size {until}: {answer.status_code} {answer.text}"
            )
        time.sleep(0.2)


def _size(note: bytes, log_vkey: str) -> int:
    from candor.tlog.note import parse_verifier_key

    return open_checkpoint(note, parse_verifier_key(log_vkey)).size


@pytest.mark.parametrize("quorum", [1, 2])
def test_a_quorum_of_cosignatures_lags_while_a_witness_is_down_and_catches_up(
    setting: tuple[Path, str, list[WitnessProcess]], quorum: int
) -> None:
    data_dir, database_url, witnesses = setting
    keys = [parse_cosignature_verifier_key(witness.vkey) for witness in witnesses]
    settings = load_settings(
        data_dir=data_dir,
        database_url=database_url,
        log_origin=ORIGIN,
        witnesses=[f"{witness.url} {witness.vkey}" for witness in witnesses],
        witness_quorum=quorum,
        audit_interval=0,
    )
    engine = create_database_engine(database_url)
    sessions: sessionmaker[Session] = session_factory(engine)
    signer = register(sessions, "acme-ai")
    engine.dispose()
    log_vkey = registry_log_signer(data_dir / "log.key", ORIGIN).verifier().vkey()
    with serve_app(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        _publish(client, signer, 1)
        first = _served(client, log_vkey, 1)
        assert check_cosignatures(first, keys, quorum) >= quorum
        # tlog-scales, from PyPI, verifies the log's signature and each witness's cosignature on the served note.
        independent = ScalesCheckpoint.from_text(first.decode())
        independent.verify(Vkey.from_string(log_vkey))
        verified = 0
        for witness in witnesses:
            try:
                independent.verify(Vkey.from_string(witness.vkey))
                verified += 1
            except RuntimeError:  # tlog-scales' answer when no line is that key's
                pass
        assert verified >= quorum

        witnesses[1].kill()
        _publish(client, signer, 2)
        _publish(client, signer, 3)
        if quorum == 1:
            # One witness is enough: the served checkpoint keeps up, cosigned by the witness that is up.
            served = _served(client, log_vkey, 3)
            assert check_cosignatures(served, keys[:1], 1) == 1
        else:
            time.sleep(3)  # several collection rounds: the log signs size 3, the served checkpoint stays at 1
            lagging = client.get("/log/checkpoint").content
            assert _size(lagging, log_vkey) == 1
            page = " ".join(client.get("/log").text.split())
            assert "lags by 2 entries" in page
            assert "unreachable" in page
        witnesses[1].start()
        caught_up = _served(client, log_vkey, 3, cosigned_by=keys)
        assert check_cosignatures(caught_up, keys, 2) == 2
        assert "cosigned size 3" in client.get("/log").text


def test_with_no_witness_answering_a_quorum_serves_nothing_rather_than_an_uncosigned_checkpoint(
    setting: tuple[Path, str, list[WitnessProcess]],
) -> None:
    data_dir, database_url, witnesses = setting
    for witness in witnesses:
        witness.kill()
    settings = load_settings(
        data_dir=data_dir, database_url=database_url, log_origin=ORIGIN, audit_interval=0,
        witnesses=[f"{witness.url} {witness.vkey}" for witness in witnesses], witness_quorum=1,
    )  # fmt: skip
    engine = create_database_engine(database_url)
    signer = register(session_factory(engine), "acme-ai")
    engine.dispose()
    with serve_app(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        _publish(client, signer, 1)  # control: publishing goes on with every witness down
        time.sleep(2)
        assert client.get("/log/checkpoint").status_code == 503
        assert client.get("/api/v1/statements").json()["items"]
