"""The log explorer, over real HTTP on SQLite and PostgreSQL: lookups, an entry with its signature, key and
inclusion proof, the tlog-proof download, and the consistency between two sizes.

What the explorer shows is checked here with code that shares nothing with the registry's (RFC 6962 hashing by
hand, the signature with ``cryptography`` directly), and each check has a control that must fail: a proof with one
hash changed, a signature over other bytes.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from candor.services.verification import verify_document
from candor.tlog.errors import TlogError
from candor.tlog.merkle import verify_consistency
from tests.web.conftest import Served
from tests.web.htmlcheck import check_html


def _leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _root(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 Merkle tree hash, written out for the test."""
    if len(leaves) == 1:
        return leaves[0]
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    return _node(_root(leaves[:split]), _root(leaves[split:]))


def _root_from_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2, written out for the test."""
    fn, sn, node = index, size - 1, leaf
    for item in proof:
        if sn == 0:
            raise AssertionError("proof too long")
        if fn & 1 or fn == sn:
            node = _node(item, node)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            node = _node(node, item)
        fn >>= 1
        sn >>= 1
    assert sn == 0, "proof too short"
    return node


def _entry(served: Served, index: int) -> dict[str, Any]:
    response = served.client.get(f"/api/v1/log/entries/{index}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _size(served: Served) -> int:
    size: int = served.client.get("/api/v1/log/checkpoint").json()["size"]
    return size


def test_an_entry_shows_bytes_signature_key_and_a_proof_that_reaches_the_signed_root(served: Served) -> None:
    published = served.filled.published["acme-sdf-2"]
    entry = _entry(served, published.log_index)
    raw = entry["entry"].encode()
    assert entry["form"] in {"signed statement", "bare statement"}  # the test kit logs bare statements
    assert _leaf(raw).hex() == entry["leaf_hash"]
    statement = entry["statement"].encode()
    assert hashlib.sha256(statement).hexdigest() == entry["statement_sha256"] == published.statement_sha256
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(entry["public_key"]))
    key.verify(base64.b64decode(entry["signature"]), statement)
    with pytest.raises(InvalidSignature):  # the control: the same signature over other bytes
        key.verify(base64.b64decode(entry["signature"]), statement + b" ")
    assert entry["signature_verified"] is True
    assert entry["matches_record"] is True
    inclusion = entry["inclusion"]
    proof = [base64.b64decode(item) for item in inclusion["hashes"]]
    signed_root = base64.b64decode(inclusion["root_hash"])
    assert inclusion["checkpoint"].splitlines()[2] == inclusion["root_hash"]
    assert _root_from_inclusion(_leaf(raw), published.log_index, inclusion["tree_size"], proof) == signed_root
    altered = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
    assert _root_from_inclusion(_leaf(raw), published.log_index, inclusion["tree_size"], altered) != signed_root


def test_the_entry_page_shows_the_same_and_links_the_tlog_proof(served: Served) -> None:
    index = served.filled.published["acme-withdrawal"].log_index
    entry = _entry(served, index)
    page = served.client.get(f"/explorer/entries/{index}")
    assert page.status_code == 200
    assert not check_html(page.text).errors
    for field in ("leaf_hash", "statement_sha256", "signature", "public_key"):
        assert entry[field] in page.text
    assert f'href="/api/v1/log/entries/{index}/tlog-proof"' in page.text
    assert "The signature verifies" in page.text
    assert served.client.get("/explorer/entries/999999").status_code == 404
    assert served.client.get("/explorer/entries/-1").status_code in {404, 422}


def test_the_downloaded_tlog_proof_verifies_the_document_offline(served: Served) -> None:
    published = served.filled.published["borealis-sdf-2-weakened"]
    response = served.client.get(f"/api/v1/log/entries/{published.log_index}/tlog-proof")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    proof = response.text
    assert published.document_sha256 is not None
    document = served.client.get(f"/api/v1/documents/{published.document_sha256}").content
    vkey = served.client.get("/log/vkey").text.strip().splitlines()[-1]
    verified = verify_document("sdf.md", document, proof, vkey)
    assert verified.log_index == published.log_index
    assert verified.statement_sha256 == published.statement_sha256
    # The same proof as the statement's own endpoint serves, byte for byte.
    same = served.client.get(f"/api/v1/statements/{published.statement_sha256}/tlog-proof").text
    assert same == proof
    lines = proof.split("\n")
    hash_line = next(n for n, line in enumerate(lines) if line.startswith("index ")) + 1
    flipped = base64.b64decode(lines[hash_line])
    lines[hash_line] = base64.b64encode(bytes([flipped[0] ^ 1]) + flipped[1:]).decode()
    with pytest.raises(TlogError):
        verify_document("sdf.md", document, "\n".join(lines), vkey)


def test_lookup_by_index_digests_and_developer(served: Served) -> None:
    published = served.filled.published["acme-card-3"]
    entry = _entry(served, published.log_index)
    cases = {
        str(published.log_index): "log index",
        published.statement_sha256: "statement SHA-256",
        published.document_sha256 or "": "document SHA-256",
        entry["leaf_hash"]: "leaf hash",
        f"  {published.statement_sha256.upper()}  ": "statement SHA-256",
    }
    for text, matched in cases.items():
        found = served.client.get("/api/v1/log/lookup", params={"q": text})
        assert found.status_code == 200, (text, found.text)
        assert found.json()["matched"] == matched
        assert found.json()["log_indexes"] == [published.log_index]
        page = served.client.get("/explorer", params={"q": text}, follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == f"/explorer/entries/{published.log_index}"
    by_developer = served.client.get("/explorer", params={"q": "borealis"}, follow_redirects=False)
    assert by_developer.status_code == 303
    assert by_developer.headers["location"] == "/statements?developer=borealis"
    assert served.client.get("/api/v1/log/lookup", params={"q": "borealis"}).json()["developer"] == "borealis"


@pytest.mark.parametrize(
    ("text", "status"),
    [("999999", 404), ("0" * 64, 404), ("nobody-here", 404), ("Acme AI!", 400), ("<script>", 400), ("x" * 201, 422)],
)
def test_a_lookup_that_finds_nothing_says_so(served: Served, text: str, status: int) -> None:
    response = served.client.get("/api/v1/log/lookup", params={"q": text})
    assert response.status_code == status, response.text
    assert set(response.json()["error"]) == {"code", "message", "detail"}
    page = served.client.get("/explorer", params={"q": text})
    assert page.status_code == status
    if status != 422:
        assert 'role="alert"' in page.text
        assert "<script>" not in page.text
        assert not check_html(page.text).errors


def test_the_explorer_page_without_a_query_shows_the_forms(served: Served) -> None:
    page = served.client.get("/explorer")
    assert page.status_code == 200
    assert not check_html(page.text).errors
    assert 'action="/explorer"' in page.text
    assert 'action="/explorer/consistency"' in page.text


def test_consistency_between_two_sizes_verifies_against_roots_computed_from_the_entries(served: Served) -> None:
    size = _size(served)
    leaves = [_leaf(_entry(served, index)["entry"].encode()) for index in range(size)]
    for old, new in ((1, size), (3, size), (size - 1, size), (2, 5), (size, size), (0, size)):
        response = served.client.get("/api/v1/log/consistency", params={"old": old, "new": new})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["verified"] is True
        assert base64.b64decode(body["new_root"]) == _root(leaves[:new])
        if old:
            assert base64.b64decode(body["old_root"]) == _root(leaves[:old])
        page = served.client.get("/explorer/consistency", params={"old": old, "new": new})
        assert page.status_code == 200
        assert "The proof verifies" in page.text
        assert not check_html(page.text).errors
    latest = served.client.get("/api/v1/log/consistency", params={"old": 1, "new": size}).json()
    assert latest["new_checkpoint"] == served.client.get("/log/checkpoint").text


@pytest.mark.parametrize(("old", "new", "status"), [(5, 2, 400), (1, 10**9, 404), (-1, 2, 422)])
def test_consistency_refuses_sizes_it_cannot_prove(served: Served, old: int, new: int, status: int) -> None:
    response = served.client.get("/api/v1/log/consistency", params={"old": old, "new": new})
    assert response.status_code == status, response.text
    assert served.client.get("/explorer/consistency", params={"old": old, "new": new}).status_code == status


def test_consistency_answers_to_the_witnesses_names_from_and_to_with_an_rfc9162_proof(served: Served) -> None:
    # Witnesses and monitors ask GET /api/v1/log/consistency?from=N&to=M (issue 15): the same proof as old/new, and
    # one that the RFC 9162 verifier accepts between roots computed here from the entries themselves.
    size = _size(served)
    leaves = [_leaf(_entry(served, index)["entry"].encode()) for index in range(size)]
    old = 3
    by_alias = served.client.get("/api/v1/log/consistency", params={"from": old, "to": size})
    assert by_alias.status_code == 200, by_alias.text
    body = by_alias.json()
    assert body == served.client.get("/api/v1/log/consistency", params={"old": old, "new": size}).json()
    hashes = [base64.b64decode(item) for item in body["hashes"]]
    verify_consistency(old, size, hashes, _root(leaves[:old]), _root(leaves[:size]))
    # The control: the same proof does not link a root of other entries.
    with pytest.raises(TlogError):
        verify_consistency(old, size, hashes, _root(leaves[1 : old + 1]), _root(leaves[:size]))


@pytest.mark.parametrize(
    "params", [{"from": 1}, {"to": 2}, {}, {"from": 1, "old": 2, "to": 3}, {"old": 1, "new": 3, "to": 2}]
)
def test_consistency_refuses_a_size_missing_or_named_twice_differently(served: Served, params: dict[str, int]) -> None:
    response = served.client.get("/api/v1/log/consistency", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_lookup"
