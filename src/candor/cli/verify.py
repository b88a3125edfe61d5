"""``candor verify``: prove that a document is exactly what its developer signed, and that the log holds it."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from candor.cli.pinning import (
    NoStateOption,
    QuorumOption,
    StateOption,
    WitnessOption,
    announce,
    open_memory,
    read_vkey,
    witnesses,
)
from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.domain.statement import StatementKind
from candor.errors import CandorError
from candor.services.files import read_input_file, read_key_file
from candor.tlog.proof import MAX_PROOF_SIZE, parse_tlog_proof

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from candor.services.log_memory import LogMemory
    from candor.services.manifests import SiteKeys
    from candor.services.verification import VerifiedDocument
    from candor.tlog.checkpoint import Checkpoint


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("verify")(verify)


#: Exit codes of ``candor verify``; docs/verification.md lists them too.
EXIT_CODES = """Exit codes: 0 verified; 1 the document does not verify (altered, not in the log, wrong signature);
2 bad input, or the registry is unreachable or answers nonsense; 3 verified, but the developer has withdrawn it;
4 verified, but the developer has corrected it; 5 the log misbehaved (another key for a pinned log, a rollback
or a fork; both checkpoints are saved as evidence)."""

WITHDRAWN_EXIT = 3
CORRECTED_EXIT = 4


def verify(
    file: Annotated[Path | None, typer.Argument(help="The document to verify, byte for byte as published.")] = None,
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
            help="The log's verifier key, or a file whose last line is it. Pinned on first use; by default the "
            "key pinned for the log (or, on first contact online, the registry's /log/vkey).",
        ),
    ] = None,
    developer_site: Annotated[
        str | None,
        typer.Option(
            "--developer-site",
            help="Take the developer's keys from the signed manifest on its own site (its root URL, or the "
            "manifest's), and refuse a statement signed by any other key.",
            show_default=False,
        ),
    ] = None,
    developer_key: Annotated[
        Path | None, typer.Option("--developer-key", help="Pin the developer's public key (its .pub file).")
    ] = None,
    save_proof: Annotated[
        Path | None, typer.Option("--save-proof", help="Write the downloaded tlog-proof here, for offline use.")
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="Re-verify a whole-registry export (`candor export`) offline instead of FILE: every signature, "
            "hash and inclusion. Trusts the export's own vkey unless --vkey gives one.",
        ),
    ] = None,
    witness: WitnessOption = None,
    quorum: QuorumOption = 0,
    state: StateOption = None,
    no_state: NoStateOption = False,
) -> None:
    """Check FILE's bytes, the log's signed checkpoint, inclusion in the log, and the developer's signature.

    Online, it also reads the log itself for a withdrawal or correction the developer has made since.

    The log's key is pinned on first contact; later a different key, a rollback or a fork is refused.
    """
    from candor.domain.developer_keys import load_public_key

    if export is not None:
        if file is not None or registry is not None or proof is not None:
            raise CandorError("--export verifies an export on its own", hint="pass no FILE, --registry or --proof")
        _verify_export(export, vkey)
        return
    if file is None:
        raise CandorError("say what to verify", hint="pass FILE (with --registry or --proof), or --export DIR")
    memory = open_memory(state, no_state)
    document = read_input_file(file, what="document", limit=MAX_DOCUMENT_BYTES)
    pinned = None
    if developer_key is not None:
        pem = read_key_file(developer_key, what="public key file")
        pinned = load_public_key(str(developer_key), pem)
    global _SITE_KEYS
    _SITE_KEYS = None
    if developer_site is not None:
        from candor.services.manifests import developer_site_keys

        _SITE_KEYS = developer_site_keys(developer_site)
    if proof is not None:
        proof_text = read_input_file(proof, what="tlog-proof", limit=MAX_PROOF_SIZE).decode("utf-8", errors="replace")
        check_witnesses(parse_tlog_proof(proof_text).checkpoint, witness, quorum)
        _verify_offline(memory, file, document, proof_text, vkey, pinned)
    elif registry is not None:
        code = _verify_online(memory, registry, file, document, vkey, pinned, save_proof, (witness, quorum))
        if code:
            raise typer.Exit(code)
    else:
        raise CandorError(
            "say where the proof comes from",
            hint="pass --registry URL, or --proof FILE (and --vkey KEY unless a key is pinned)",
        )


verify.__doc__ = f"{verify.__doc__}\n\n{EXIT_CODES}"


def _verify_export(directory: Path, vkey: str | None) -> None:
    """Check an export offline; one line names the first thing that fails (exit 1)."""
    from candor.services.export_verification import verify_export

    verified = verify_export(directory, vkey=None if vkey is None else read_vkey(vkey))
    checkpoint = verified.checkpoint
    typer.echo(f"verified export: {directory}")
    typer.echo(f"  {checkpoint.origin} size {checkpoint.size}, root {_b64(checkpoint.root)}")
    typer.echo(
        f"  {verified.entries} entries and {verified.tiles} tile{'' if verified.tiles == 1 else 's'} re-derived; "
        f"{verified.statements} statement "
        f"signatures, {verified.documents} documents and {verified.sealed} sealed originals checked"
    )
    source = "given with --vkey" if vkey is not None else "the export's own: compare it with one obtained elsewhere"
    typer.echo(f"  log key SHA256:{verified.vkey_fingerprint} ({source})")


#: The developer's keys as its own site's manifest lists them, when ``--developer-site`` is given.
_SITE_KEYS: SiteKeys | None = None


def _report(file: Path, verified: VerifiedDocument, *, developer_key_pinned: bool) -> None:
    statement = verified.statement
    if _SITE_KEYS is not None:
        _SITE_KEYS.check(statement.developer, verified.developer_key_fingerprint)
    typer.echo(f"verified: {file}")
    signed = f"{statement.issued_at:%Y-%m-%d %H:%M:%S}Z"
    typer.echo(f"  {statement.developer} {statement.kind.value} version {statement.version}, signed {signed}")
    # The log holds the statement, not the key that signed it: anyone can re-sign the proof's extra line with
    # another key. Say so, unless the key was pinned.
    if _SITE_KEYS is not None:
        where = f"listed in the developer's signed manifest at {_SITE_KEYS.source}"
    elif developer_key_pinned:
        where = "pinned with --developer-key"
    else:
        where = "from the proof, not the log: compare it with the developer's own, or pin it with --developer-key"
    typer.echo(f"  developer key SHA256:{verified.developer_key_fingerprint} ({where})")
    typer.echo(f"  log index {verified.log_index} of {verified.checkpoint.size} in {verified.checkpoint.origin}")


def _verify_offline(
    memory: LogMemory, file: Path, document: bytes, proof_text: str, vkey: str | None, pinned: Ed25519PublicKey | None
) -> None:
    """Verify with a saved proof; the key is the one given or pinned, and withdrawals cannot be known."""
    from candor.services.log_memory import commit, require_extension, trust_key
    from candor.services.verification import verify_document
    from candor.tlog.checkpoint import open_checkpoint, parse_checkpoint
    from candor.tlog.note import parse_note
    from candor.tlog.proof import parse_tlog_proof

    note = parse_tlog_proof(proof_text).checkpoint
    origin = parse_checkpoint(parse_note(note).text, allow_extensions=True).origin
    offered = read_vkey(vkey) if vkey is not None else memory.pinned_key(origin)
    if offered is None:
        raise CandorError(
            f"offline verification needs the verifier key of log {origin}, and none is pinned",
            hint="pass --vkey KEY or FILE (obtained out of band), or verify online once with --registry",
        )
    trusted = trust_key(memory, offered, source="--vkey" if vkey is not None else "the pinned key")
    announce(memory, trusted)
    verified = verify_document(str(file), document, proof_text, trusted.verifier.vkey(), developer_key=pinned)
    remembered_note = memory.checkpoint(origin)
    if remembered_note is not None:
        remembered = open_checkpoint(remembered_note, trusted.verifier)
        if remembered.size == verified.checkpoint.size:
            # Without tiles only a same-size fork can be seen offline; one is enough to prove the log lied.
            require_extension(memory, None, (remembered_note, remembered), (note, verified.checkpoint))
    elif trusted.first_contact:
        commit(memory, trusted.verifier, note)
    _report(file, verified, developer_key_pinned=pinned is not None)
    typer.echo(
        f"  withdrawals: unknown offline; anything the developer logged after the proof's checkpoint (size "
        f"{verified.checkpoint.size}) cannot be seen. Verify with --registry to check."
    )


def _verify_online(
    memory: LogMemory,
    registry: str,
    file: Path,
    document: bytes,
    vkey: str | None,
    pinned: Ed25519PublicKey | None,
    save_proof: Path | None,
    witnessing: tuple[list[str] | None, int],
) -> int:
    """Verify against a registry; the exit code (0, or withdrawn or corrected)."""
    from candor.registry_client import RegistryClient
    from candor.services.log_memory import advance, check_registry, commit, require_extension, trust_key
    from candor.services.verification import VerificationError, later_actions, verify_document
    from candor.tlog.tilereader import HttpFetcher, TileReader

    digest = hashlib.sha256(document).hexdigest()
    with RegistryClient(registry) as client:
        published = [item for item in client.statements_of_document(digest) if item.kind != StatementKind.WITHDRAWAL]
        if not published:
            raise VerificationError(
                f"{file}: no statement at {registry} publishes a document with SHA-256 {digest}",
                hint="the file differs from every published document, or was never published there",
            )
        statement_id = published[-1].id
        proof_text = client.tlog_proof(statement_id)
        offered = read_vkey(vkey) if vkey is not None else client.verifier_key()
        trusted = trust_key(memory, offered, source="--vkey" if vkey is not None else f"{client.base_url}/log/vkey")
        check_registry(memory, client.base_url, trusted.verifier.name)
        latest_note = client.checkpoint()
    fetcher = HttpFetcher(f"{client.base_url}/log")
    try:
        readers: dict[int, TileReader] = {}

        def nodes(checkpoint: Checkpoint) -> TileReader:
            if checkpoint.size not in readers:
                readers[checkpoint.size] = TileReader(fetcher, checkpoint.size, checkpoint.root)
            return readers[checkpoint.size]

        latest, _ = advance(memory, trusted.verifier, latest_note, nodes)
        check_witnesses(latest_note, *witnessing)
        verified = verify_document(str(file), document, proof_text, trusted.verifier.vkey(), developer_key=pinned)
        # The proof's checkpoint must lie on the same history as the log's newest one. It may be the newer of the
        # two when a cache served a checkpoint a few seconds old; then it is the newest, and the other its prefix.
        older, newest = (parse_tlog_proof(proof_text).checkpoint, verified.checkpoint), (latest_note, latest)
        if verified.checkpoint.size > latest.size:
            older, newest = newest, older
        require_extension(memory, nodes(newest[1]), older, newest)
        latest_note, latest = newest
        commit(memory, trusted.verifier, latest_note, registry=client.base_url)
        announce(memory, trusted)
        actions = later_actions(nodes(latest), verified.log_index, verified)
    finally:
        fetcher.close()
    if save_proof is not None:
        save_proof.write_text(proof_text, "utf-8")
    _report(file, verified, developer_key_pinned=pinned is not None)
    typer.echo(f"  checked against the log's newest checkpoint: size {latest.size}, root {_b64(latest.root)}")
    if save_proof is not None:
        typer.echo(f"  tlog-proof saved to {save_proof}")
    for action in actions:
        what = "withdrew" if action.statement.kind is StatementKind.WITHDRAWAL else "corrected"
        typer.echo(f"{what.upper()}: the developer {what} this statement at log index {action.log_index}")
    if any(action.statement.kind is StatementKind.WITHDRAWAL for action in actions):
        return WITHDRAWN_EXIT
    if actions:
        return CORRECTED_EXIT
    typer.echo(f"  not withdrawn or corrected in the log up to size {latest.size}")
    return 0


def check_witnesses(note: bytes, witness: list[str] | None, quorum: int) -> None:
    """With ``--witness``, the log's checkpoint needs ``--quorum`` valid cosignatures from those witnesses."""
    from candor.tlog.checkpoint import check_cosignatures

    trusted = witnesses(witness)
    if trusted or quorum:
        count = check_cosignatures(note, trusted, quorum)
        typer.echo(f"  checkpoint cosigned by {count} of {len(trusted)} trusted witnesses")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
