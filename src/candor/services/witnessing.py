"""The registry asks witnesses to cosign its checkpoints, and serves the newest checkpoint that a quorum cosigned.

After the integrator signs a checkpoint (and records it in the database), :class:`WitnessCollector` submits it to
each configured witness with C2SP tlog-witness's ``add-checkpoint``: the size that witness last cosigned, a
consistency proof from that size computed from the log's own tiles, and the signed checkpoint. A witness that
answers 409 names the size it holds; the collector proves from there and asks again. A cosignature is verified
with the witness's key before it is kept, in the database, so that every app server serves the same one.

``/log/checkpoint`` then serves the newest checkpoint with at least ``witness_quorum`` cosignatures from the
configured witnesses, with their lines appended. When witnesses are down, publishing goes on and entries are
sequenced, but the served checkpoint lags; the log page shows the lag and which witnesses answered.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from candor.errors import CandorError
from candor.httpclient import HttpClient, HttpError, Resource
from candor.store.cosignatures import cosignatures, newest_cosigned, record_cosignature
from candor.store.log_entries import latest_checkpoint_view
from candor.tlog.checkpoint import check_cosignatures, parse_checkpoint
from candor.tlog.errors import TlogError
from candor.tlog.merkle import consistency_proof
from candor.tlog.note import CosignatureVerifier, parse_cosignature_verifier_key, parse_note
from candor.tlog.tilereader import DirectoryFetcher, TileReader

logger = logging.getLogger(__name__)

_COSIGNATURE_ANSWER = Resource("cosignature", 64 * 1024)
#: Seconds between looks for a checkpoint the witnesses have not cosigned yet.
POLL_SECONDS = 1.0


class WitnessSettingError(CandorError):
    """A witness setting that does not name a URL and a cosignature verifier key."""


@dataclass(frozen=True)
class Witness:
    """A witness the registry asks: where it listens, and the key its cosignatures verify with."""

    url: str
    verifier: CosignatureVerifier

    @property
    def name(self) -> str:
        return f"{self.verifier.name}+{self.verifier.key_id:08x}"


def parse_witness_setting(text: str) -> Witness:
    """``URL VKEY``, as a ``witnesses`` setting holds it."""
    parts = text.split()
    if len(parts) != 2 or not parts[0].startswith(("http://", "https://")):
        raise WitnessSettingError(f"witness setting {text[:80]!r}: expected 'URL VKEY'")
    try:
        return Witness(parts[0].rstrip("/"), parse_cosignature_verifier_key(parts[1]))
    except TlogError as error:
        raise WitnessSettingError(f"witness setting {text[:80]!r}: {error.message}") from None


@dataclass
class WitnessState:
    """What the collector knows of one witness: the size it holds, and its last answer."""

    size: int = 0
    answered: str = "not asked yet"
    at: float = 0.0


class WitnessCollector:
    def __init__(
        self, sessions: sessionmaker[Session], public_dir: Path, witnesses: Sequence[Witness], quorum: int
    ) -> None:
        if quorum > len(witnesses):
            raise WitnessSettingError(f"a quorum of {quorum} needs at least {quorum} witnesses")
        self.sessions = sessions
        self.public_dir = public_dir
        self.witnesses = list(witnesses)
        self.quorum = quorum
        self.states = {witness.name: WitnessState() for witness in self.witnesses}

    def collect_once(self) -> int:
        """Ask every witness that has not cosigned the newest recorded checkpoint; how many cosigned it now."""
        with self.sessions() as session:
            latest = latest_checkpoint_view(session)
            if latest is None:
                return 0
            done = cosignatures(session, latest.size)
        note = latest.note.encode()
        checkpoint = parse_checkpoint(parse_note(note).text)
        collected = 0
        for witness in self.witnesses:
            if witness.name in done:
                continue
            line = self._ask(witness, note, checkpoint.size, checkpoint.root)
            if line is not None:
                with self.sessions.begin() as session:
                    record_cosignature(session, checkpoint.size, witness.name, line)
                collected += 1
        return collected

    def _ask(self, witness: Witness, note: bytes, size: int, root: bytes) -> str | None:
        state = self.states[witness.name]
        for _ in range(2):  # a 409 names the witness's size; one more request from there
            old = min(state.size, size)
            try:
                proof = self._proof(old, size, root)
                body = f"old {old}\n".encode() + b"".join(base64.b64encode(node) + b"\n" for node in proof) + b"\n"
                with HttpClient(witness.url) as client:
                    answer = client.request(
                        "POST", "/add-checkpoint", _COSIGNATURE_ANSWER, content=body + note, allow_error=True
                    )
            except (HttpError, TlogError) as error:
                self._note(state, f"unreachable: {error.message}")
                return None
            if answer.status == 409:
                held = answer.body.decode("ascii", "replace").strip()
                if not held.isdigit() or int(held) > size:
                    self._note(state, f"holds size {held[:20]}, beyond this log's {size}: a fork or another log")
                    logger.error("witness %s holds size %s of a log whose newest size is %d", witness.name, held, size)
                    return None
                state.size = int(held)
                continue
            if answer.status != 200:
                self._note(state, f"refused with HTTP {answer.status}: {answer.first_line()}")
                return None
            line = answer.body.decode("utf-8", "replace")
            try:
                check_cosignatures(note + answer.body, [witness.verifier], 1)
            except TlogError as error:
                self._note(state, f"answered a cosignature that does not verify: {error.message}")
                return None
            state.size = size
            self._note(state, f"cosigned size {size}")
            return line
        self._note(state, "kept answering 409")
        return None

    def _proof(self, old: int, new: int, root: bytes) -> list[bytes]:
        if old == 0 or old == new:
            return []
        reader = TileReader(DirectoryFetcher(self.public_dir), new, root)
        return consistency_proof(reader, old, new)

    @staticmethod
    def _note(state: WitnessState, answered: str) -> None:
        state.answered = answered
        state.at = time.time()

    def served_note(self) -> bytes | None:
        """The newest checkpoint a quorum cosigned, with the cosignature lines; ``None`` if there is none yet."""
        with self.sessions() as session:
            found = newest_cosigned(session, [witness.name for witness in self.witnesses], self.quorum)
        if found is None:
            return None
        note, lines = found
        return note.encode() + "".join(lines).encode()

    def cosignature_lines(self, note: bytes) -> bytes:
        """The cosignature lines kept for the checkpoint ``note``, to append to it."""
        size = parse_checkpoint(parse_note(note).text).size
        with self.sessions() as session:
            found = cosignatures(session, size)
        names = {witness.name for witness in self.witnesses}
        return "".join(line for witness, line in sorted(found.items()) if witness in names).encode()

    def lag(self) -> tuple[int, int]:
        """(newest size signed, size served): how far the served checkpoint lags behind the log."""
        with self.sessions() as session:
            latest = latest_checkpoint_view(session)
        served = self.served_note()
        served_size = 0 if served is None else parse_checkpoint(parse_note(served).text).size
        return (0 if latest is None else latest.size, served_size)


class PeriodicWitnessing(threading.Thread):
    """Runs :meth:`WitnessCollector.collect_once` every second while the server runs; never stops the server."""

    def __init__(self, collector: WitnessCollector) -> None:
        super().__init__(name="candor-witnessing", daemon=True)
        self.collector = collector
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()
        self.join()

    def run(self) -> None:
        while not self._stopping.wait(POLL_SECONDS):
            try:
                self.collector.collect_once()
            except Exception:  # a witness or the database misbehaving must never stop the registry
                logger.exception("collecting cosignatures failed; trying again")
