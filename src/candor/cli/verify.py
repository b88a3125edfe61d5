"""``candor verify``: prove that a document is exactly what its developer signed, and that the log holds it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.errors import CandorError, SourceError
from candor.services.files import read_input_file, read_key_file
from candor.tlog.proof import MAX_PROOF_SIZE


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("verify")(verify)


def verify(
    file: Annotated[Path, typer.Argument(help="The document to verify, byte for byte as published.")],
    registry: Annotated[
        str | None,
        typer.Option("--registry", help="The registry's base URL; downloads the proof and checkpoint from it."),
    ] = None,
    proof: Annotated[
        Path | None, typer.Option("--proof", help="A saved tlog-proof: verify offline, without the registry.")
    ] = None,
    vkey: Annotated[
        str | None,
        typer.Option(
            "--vkey",
            help="The log's verifier key, or a file whose last line is it (e.g. a saved /log/vkey). "
            "Needed offline; online it pins the key instead of trusting the registry's /log/vkey.",
        ),
    ] = None,
    developer_key: Annotated[
        Path | None, typer.Option("--developer-key", help="Pin the developer's public key (its .pub file).")
    ] = None,
    save_proof: Annotated[
        Path | None, typer.Option("--save-proof", help="Write the downloaded tlog-proof here, for offline use.")
    ] = None,
) -> None:
    """Check FILE's bytes, the log's signed checkpoint, inclusion in the log, and the developer's signature."""
    from candor.domain.developer_keys import load_public_key
    from candor.services.verification import verify_document

    document = read_input_file(file, what="document", limit=MAX_DOCUMENT_BYTES)
    pinned = None
    if developer_key is not None:
        pem = read_key_file(developer_key, what="public key file")
        pinned = load_public_key(str(developer_key), pem)
    if proof is not None:
        if vkey is None:
            raise CandorError("offline verification needs the log's verifier key", hint="pass --vkey KEY or FILE")
        proof_text = read_input_file(proof, what="tlog-proof", limit=MAX_PROOF_SIZE).decode("utf-8", errors="replace")
        log_vkey = _vkey(vkey)
        withdrawn_by = None
    elif registry is not None:
        proof_text, log_vkey, withdrawn_by = _download(registry, file, document, vkey)
    else:
        raise CandorError("say where the proof comes from", hint="pass --registry URL, or --proof FILE --vkey KEY")
    verified = verify_document(str(file), document, proof_text, log_vkey, developer_key=pinned)
    if save_proof is not None:
        save_proof.write_text(proof_text, "utf-8")
    statement = verified.statement
    typer.echo(f"verified: {file}")
    signed = f"{statement.issued_at:%Y-%m-%d %H:%M:%S}Z"
    typer.echo(f"  {statement.developer} {statement.kind.value} version {statement.version}, signed {signed}")
    typer.echo(f"  developer key SHA256:{verified.developer_key_fingerprint}")
    typer.echo(f"  log index {verified.log_index} of {verified.checkpoint.size} in {verified.checkpoint.origin}")
    if save_proof is not None:
        typer.echo(f"  tlog-proof saved to {save_proof}")
    if withdrawn_by is not None:
        typer.echo(f"note: the developer has since withdrawn this statement (log index {withdrawn_by})")


def _vkey(given: str) -> str:
    """A verifier key given as itself, or as a file whose last non-empty line is the key."""
    path = Path(given)
    if "+" not in given or path.is_file():
        lines = read_key_file(path, what="verifier key file").decode("utf-8", errors="replace").split()
        if not lines:
            raise SourceError(given, "holds no verifier key")
        return lines[-1]
    return given


def _download(registry: str, file: Path, document: bytes, vkey: str | None) -> tuple[str, str, int | None]:
    """The newest statement's tlog-proof, the log's verifier key, and who withdrew the statement, if anyone."""
    from candor.services.client import RegistryClient
    from candor.services.verification import VerificationError

    digest = hashlib.sha256(document).hexdigest()
    with RegistryClient(registry) as client:
        published = [item for item in client.statements_of_document(digest) if item.get("kind") != "withdrawal"]
        if not published:
            raise VerificationError(
                f"{file}: no statement at {registry} publishes a document with SHA-256 {digest}",
                hint="the file differs from every published document, or was never published there",
            )
        newest = published[-1]
        proof_text = client.tlog_proof(str(newest["id"]))
        log_vkey = _vkey(vkey) if vkey is not None else client.verifier_key()
    withdrawn_by = newest.get("withdrawn_by")
    return proof_text, log_vkey, withdrawn_by if isinstance(withdrawn_by, int) else None
