"""Every file of the transparency-dev/merkle proof vectors (testdata/merkle, see its README).

Happy paths must verify; every ``wantErr`` file (bit flips, wrong sizes, truncated, padded or reordered
proofs, wrong roots) must be rejected with a ProofError.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from candor.tlog.errors import ProofError
from candor.tlog.merkle import verify_consistency, verify_inclusion
from candor.tlog.subtree import verify_subtree_consistency, verify_subtree_inclusion

VECTORS = Path(__file__).parent / "testdata" / "merkle"
FAMILIES = ("inclusion", "consistency", "subtreeinclusion", "subtreeconsistency")


def _files(family: str) -> list[Path]:
    return sorted((VECTORS / family).rglob("*.json"))


def _hash(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _proof(vector: dict[str, Any]) -> list[bytes]:
    return [_hash(item) for item in vector["proof"] or []]


def _check_inclusion(v: dict[str, Any]) -> None:
    verify_inclusion(_hash(v["leafHash"]), v["leafIdx"], v["treeSize"], _proof(v), _hash(v["root"]))


def _check_consistency(v: dict[str, Any]) -> None:
    verify_consistency(v["size1"], v["size2"], _proof(v), _hash(v["root1"]), _hash(v["root2"]))


def _check_subtree_inclusion(v: dict[str, Any]) -> None:
    verify_subtree_inclusion(_hash(v["leafHash"]), v["leafIdx"], v["start"], v["end"], _proof(v), _hash(v["root"]))


def _check_subtree_consistency(v: dict[str, Any]) -> None:
    verify_subtree_consistency(v["start"], v["end"], v["size"], _proof(v), _hash(v["root1"]), _hash(v["root2"]))


CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "inclusion": _check_inclusion,
    "consistency": _check_consistency,
    "subtreeinclusion": _check_subtree_inclusion,
    "subtreeconsistency": _check_subtree_consistency,
}

CASES = [
    pytest.param(family, path, id=str(path.relative_to(VECTORS))) for family in FAMILIES for path in _files(family)
]


def test_every_vector_file_is_collected() -> None:
    assert len(CASES) == 518
    assert (VECTORS / "README.md").is_file()


@pytest.mark.parametrize(("family", "path"), CASES)
def test_vector(family: str, path: Path) -> None:
    vector = json.loads(path.read_text())
    check = CHECKS[family]
    if vector["wantErr"]:
        with pytest.raises(ProofError):
            check(vector)
    else:
        check(vector)
