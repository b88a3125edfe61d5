"""The log as the read side shows it: the registry's revision, the latest checkpoint, inclusion proofs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from candor.errors import CandorError
from candor.services.views import CheckpointView
from candor.store.log_entries import latest_checkpoint_view
from candor.store.revision import registry_revision
from candor.store.statement_reader import StatementReader
from candor.tlog.merkle import inclusion_proof
from candor.tlog.proof import format_tlog_proof
from candor.tlog.tilereader import DirectoryFetcher, TileReader
from candor.tlog.tiles import TileError


@dataclass(frozen=True)
class InclusionProof:
    """An entry's RFC 9162 inclusion proof against the latest checkpoint, and the same as a tlog-proof file."""

    log_index: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]
    checkpoint: str
    tlog_proof: str


class NotYetIntegratedError(CandorError):
    """An entry that is in the log's database but not yet under a signed checkpoint."""

    http_status = 404
    error_code = "not_integrated"

    def __init__(self, log_index: int) -> None:
        super().__init__(f"log entry {log_index} is not yet covered by a signed checkpoint", hint="retry in a second")


class LogQueries:
    """Read-only use cases about the log, from the database and the public tiles in ``log_dir``."""

    def __init__(self, sessions: sessionmaker[Session], log_dir: Path) -> None:
        self._sessions = sessions
        self._log_dir = log_dir
        #: Catches this server's tiles up with the database's latest checkpoint (set by the web app's integrator): a
        #: checkpoint another app server signed may be a tick ahead of the tiles here.
        self.catch_up: Callable[[], object] | None = None

    def revision(self) -> tuple[int, int, int]:
        """What every page built from the database depends on: the log's size, the signed size, the developers.

        See :mod:`candor.store.revision` for why equal revisions mean equal pages.
        """
        with self._sessions() as session:
            return registry_revision(session)

    def checkpoint(self) -> CheckpointView | None:
        """The latest signed checkpoint, or None before the first one."""
        with self._sessions() as session:
            return latest_checkpoint_view(session)

    def inclusion_proof(self, log_index: int) -> InclusionProof:
        """The inclusion proof of the entry at ``log_index`` in the latest checkpoint, built from the tiles."""
        with self._sessions() as session:
            statement = StatementReader(session).at(log_index)
            checkpoint = latest_checkpoint_view(session)
        if checkpoint is None or checkpoint.size <= log_index:
            raise NotYetIntegratedError(log_index)
        # The tiles are authenticated against the checkpoint's root before any hash is taken from them.
        size, root = checkpoint.size, bytes.fromhex(checkpoint.root_hash)
        try:
            hashes = inclusion_proof(TileReader(DirectoryFetcher(self._log_dir), size, root), log_index, size)
        except TileError:
            if self.catch_up is None:
                raise
            self.catch_up()
            # The reader reads the right edge when it is made, so it is made again after catching up.
            hashes = inclusion_proof(TileReader(DirectoryFetcher(self._log_dir), size, root), log_index, size)
        return InclusionProof(
            log_index=log_index,
            tree_size=checkpoint.size,
            leaf_hash=bytes.fromhex(statement.leaf_hash),
            hashes=hashes,
            checkpoint=checkpoint.note,
            tlog_proof=format_tlog_proof(log_index, hashes, checkpoint.note.encode("utf-8")),
        )
