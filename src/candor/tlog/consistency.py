"""Whether one signed checkpoint of a log extends another: the check behind pinning, compare and split views.

A log must never sign two checkpoints that disagree. Given two checkpoints of one origin, the newer one extends
the older one exactly when the RFC 9162 consistency proof between them verifies against both roots. The proof is
computed here from any authenticated source of the tree's nodes (the tiles of a checkpoint at least as large, read
through :class:`~candor.tlog.tilereader.TileReader`), so no consistency endpoint and no private key is needed.
When the proof fails, the two signed notes are themselves the evidence: anyone can recompute the proof and see it
fail, so :class:`SplitViewError` keeps both.
"""

from __future__ import annotations

import base64

from candor.tlog.checkpoint import Checkpoint
from candor.tlog.errors import CheckpointError, ProofError, TlogError
from candor.tlog.merkle import NodeSource, consistency_proof, verify_consistency


class SplitViewError(TlogError):
    """Two checkpoints signed by one log that cannot both be true: a rollback or a fork."""

    #: Distinct from a document that does not verify (1) and from bad input (2): the log itself misbehaved.
    exit_code = 5

    def __init__(
        self, message: str, *, kind: str, older: bytes, newer: bytes, proof: list[bytes] | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.older = older
        self.newer = newer
        self.proof = proof or []

    def evidence(self) -> str:
        """A self-contained text a user can share: what was seen, both signed notes, and the failing proof."""
        proof = "".join(base64.b64encode(item).decode("ascii") + "\n" for item in self.proof)
        return (
            f"# candor: {self.kind} of a transparency log\n# {self.message}\n\n"
            f"## remembered checkpoint (signed note)\n{self.older.decode('utf-8', errors='replace')}\n"
            f"## checkpoint served now (signed note)\n{self.newer.decode('utf-8', errors='replace')}\n"
            f"## consistency proof computed from the log's tiles ({len(self.proof)} hashes)\n{proof}"
        )


def prove_extension(source: NodeSource | None, old: Checkpoint, new: Checkpoint) -> list[bytes]:
    """The consistency proof that ``new`` extends ``old``, computed from ``source`` and verified against both roots.

    ``source`` must hold the authenticated nodes of a tree of at least ``new.size`` entries; it is not read
    when the sizes are equal (then the roots must simply be the same). Raises :class:`ProofError` when ``new``
    is smaller or does not extend ``old``.
    """
    if old.origin != new.origin:
        raise CheckpointError(f"checkpoints of two logs ({old.origin!r} and {new.origin!r}) cannot be compared")
    if new.size < old.size:
        raise ProofError(f"size {new.size} is smaller than size {old.size}: the log was rolled back")
    if old.size == 0:
        return []  # every tree extends the empty one
    if old.size == new.size:
        verify_consistency(old.size, new.size, [], old.root, new.root)  # the same size must have the same root
        return []
    if source is None:
        raise ProofError(f"proving that size {new.size} extends size {old.size} needs the log's tiles")
    proof = consistency_proof(source, old.size, new.size)
    verify_consistency(old.size, new.size, proof, old.root, new.root)
    return proof
