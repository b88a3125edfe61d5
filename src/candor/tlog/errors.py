"""Errors of the transparency log: each one tells a person which proof, note or checkpoint failed and why."""

from __future__ import annotations

from candor.errors import CandorError


class TlogError(CandorError):
    """Base class for every transparency-log error."""


class ProofError(TlogError):
    """An inclusion or consistency proof that does not verify, or that cannot be built for the sizes asked."""


class NoteError(TlogError):
    """A signed note that is malformed, or whose signatures do not verify against the keys we trust."""


class NoteKeyError(TlogError):
    """A signer or verifier key string that is malformed."""


class CheckpointError(TlogError):
    """A checkpoint body that does not follow c2sp.org/tlog-checkpoint, or that our log refuses."""


class CosignatureError(TlogError):
    """A tlog-cosignature/v1 signature that is malformed or does not verify."""


class TlogProofError(TlogError):
    """A c2sp.org/tlog-proof@v1 file that is malformed or does not prove what it claims."""
