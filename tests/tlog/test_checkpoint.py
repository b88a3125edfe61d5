"""C2SP tlog-checkpoint: strict parsing, signing, and the attacks that opening a checkpoint stops."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from candor.tlog.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint, sign_checkpoint
from candor.tlog.errors import CheckpointError, NoteError
from candor.tlog.merkle import MemoryTree, leaf_hash
from candor.tlog.note import Signer, parse_verifier_key, sign_note

SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
ORIGIN = "candor.example/log"

# Go's checksum database: its published verifier key and two real signed tree heads it served.
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_TREE_HEADS = [
    (
        31700353,
        "go.sum database tree\n31700353\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n\n\u2014 sum.golang.org "
        "Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8oW9/C8DJ87F61QqspBYwM=\n",
    ),
    (
        65209736,
        "go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n\u2014 sum.golang.org "
        "Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n",
    ),
]


def signer(name: str = ORIGIN) -> Signer:
    return Signer(name, Ed25519PrivateKey.generate())


def checkpoint(size: int = 5) -> Checkpoint:
    tree = MemoryTree(leaf_hash(b"%d" % i) for i in range(size))
    return Checkpoint(ORIGIN, size, tree.root())


def test_spec_example_parses_and_round_trips() -> None:
    parsed = parse_checkpoint(SPEC_BODY)
    assert parsed.origin == "example.com/behind-the-sofa"
    assert parsed.size == 20852163
    assert parsed.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert parsed.to_text() == SPEC_BODY


@pytest.mark.parametrize(("size", "note"), SUMDB_TREE_HEADS)
def test_go_checksum_database_tree_heads_verify(size: int, note: str) -> None:
    verifier = parse_verifier_key(SUMDB_VKEY)
    head = open_checkpoint(note.encode(), verifier, origin="go.sum database tree")
    assert head.size == size
    # Our strict reading agrees with Go's tree note format byte for byte.
    assert head.to_text() == note.split("\n\n")[0] + "\n"
    with pytest.raises(NoteError, match="invalid signature"):
        open_checkpoint(note.replace(str(size), str(size + 1)).encode(), verifier, origin="go.sum database tree")


def test_signed_checkpoint_opens_with_the_log_key() -> None:
    log = signer()
    head = checkpoint()
    note = sign_checkpoint(head, log)
    assert note.startswith(head.to_text().encode() + b"\n\xe2\x80\x94 candor.example/log ")
    assert open_checkpoint(note, log.verifier()) == head


def test_empty_tree_checkpoint() -> None:
    head = Checkpoint(ORIGIN, 0, MemoryTree().root())
    assert head.to_text().splitlines()[1] == "0"
    assert parse_checkpoint(head.to_text()) == head


def test_rejects_checkpoint_signed_by_a_different_key() -> None:
    note = sign_checkpoint(checkpoint(), signer())
    with pytest.raises(NoteError, match="no valid signature from a trusted key"):
        open_checkpoint(note, signer().verifier())


def test_rejects_checkpoint_with_a_rewritten_size() -> None:
    log = signer()
    note = sign_checkpoint(checkpoint(5), log).replace(b"\n5\n", b"\n6\n", 1)
    with pytest.raises(NoteError, match="invalid signature"):
        open_checkpoint(note, log.verifier())


def test_rejects_checkpoint_for_a_different_origin() -> None:
    # The same key signing for another log must not be mistaken for ours.
    log = signer()
    foreign = Checkpoint("other.example/log", 5, checkpoint().root)
    note = sign_note(foreign.to_text(), log)
    with pytest.raises(CheckpointError, match="not the expected"):
        open_checkpoint(note, log.verifier())
    assert open_checkpoint(note, log.verifier(), origin="other.example/log") == foreign


def test_rejects_checkpoint_with_extension_lines_from_our_log() -> None:
    log = signer()
    note = sign_note(checkpoint().to_text() + "extension line\n", log)
    with pytest.raises(CheckpointError, match="extension line"):
        open_checkpoint(note, log.verifier())


def test_foreign_extension_lines_are_kept_opaque_when_allowed() -> None:
    body = SPEC_BODY + "rekor.sigstore.dev - 1193050959916656506\n"
    parsed = parse_checkpoint(body, allow_extensions=True)
    assert parsed.extensions == ("rekor.sigstore.dev - 1193050959916656506",)
    assert parsed.to_text() == body
    with pytest.raises(CheckpointError, match="extension"):
        sign_checkpoint(Checkpoint(ORIGIN, 1, parsed.root, parsed.extensions), signer())


def test_refuses_to_sign_with_a_key_named_for_another_origin() -> None:
    with pytest.raises(CheckpointError, match="does not match checkpoint origin"):
        sign_checkpoint(checkpoint(), signer("someone.else/log"))


@pytest.mark.parametrize(
    "body",
    [
        "example.com/log\n5\n",
        "example.com/log\n05\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n-5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n+5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n 5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",
        "example.com/log\n5\nAAAA\n",
        "\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
    ],
    ids=["missing-root", "leading-zero", "negative", "plus-sign", "space", "unpadded-root", "no-final-newline",
         "non-canonical-base64", "short-root", "empty-origin", "size-overflow", "empty-extension"],
)  # fmt: skip
def test_rejects_malformed_checkpoint_bodies(body: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint(body, allow_extensions=True)
