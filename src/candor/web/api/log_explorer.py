"""``/api/v1/log/entries``, ``/api/v1/log/consistency`` and ``/api/v1/log/lookup``: the log explorer's data as JSON.

The same data the site's explorer pages show (:mod:`candor.web.site.explorer`), from the same service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from candor.services.log_explorer import (
    MAX_LOOKUP_CHARS,
    ConsistencyView,
    EntryView,
    ExplorerQueryError,
    InclusionView,
    LogExplorer,
    Lookup,
)
from candor.web.errors import ERROR_RESPONSES, bad_request

LogIndex = Annotated[int, Path(ge=0, le=(1 << 63) - 1, description="Index of the entry in the log.")]


async def log_explorer(request: Request) -> LogExplorer:
    found: LogExplorer = request.app.state.explorer
    return found


Explorer = Annotated[LogExplorer, Depends(log_explorer)]


class InclusionOut(BaseModel):
    """The entry's RFC 9162 inclusion proof in the latest signed tree, verified against its root."""

    tree_size: int
    root_hash: str = Field(description="The signed root, base64.")
    hashes: list[str] = Field(description="Proof hashes, base64, the leaf's sibling first.")
    checkpoint: str = Field(description="The signed checkpoint note, verbatim.")
    verified: bool

    @classmethod
    def of(cls, view: InclusionView) -> InclusionOut:
        return cls(
            tree_size=view.tree_size,
            root_hash=view.root_hash,
            hashes=list(view.hashes),
            checkpoint=view.checkpoint_note,
            verified=view.verified,
        )


class EntryOut(BaseModel):
    """One log entry: its exact bytes, the statement, signature and key, and its inclusion proof."""

    log_index: int
    leaf_hash: str = Field(description="RFC 6962 leaf hash, hex.")
    entry: str = Field(description="The entry's exact bytes (RFC 8785 canonical JSON).")
    form: str = Field(description="signed statement, bare statement, key event, observation, or unreadable.")
    statement: str | None = Field(description="The statement's canonical bytes, as the developer signed them.")
    statement_sha256: str | None
    developer: str | None
    kind: str | None
    signature: str | None = Field(description="The developer's Ed25519 signature, base64.")
    public_key: str | None = Field(description="The raw Ed25519 public key it verifies with, base64.")
    key_fingerprint: str | None = Field(description="SHA-256 (hex) of the raw public key.")
    signature_verified: bool | None = Field(description="Whether the signature verifies with the key.")
    matches_record: bool | None = Field(description="Whether the registry's record holds the same signature and key.")
    inclusion: InclusionOut | None = Field(description="Null until a signed checkpoint covers the entry.")
    tlog_proof_url: str
    problem: str | None = None

    @classmethod
    def of(cls, view: EntryView) -> EntryOut:
        return cls(
            log_index=view.log_index,
            leaf_hash=view.leaf_hash,
            entry=view.entry_text,
            form=view.form,
            statement=view.statement_text,
            statement_sha256=view.statement_sha256,
            developer=view.developer,
            kind=view.kind,
            signature=view.signature,
            public_key=view.public_key,
            key_fingerprint=view.key_fingerprint,
            signature_verified=view.signature_verified,
            matches_record=view.matches_record,
            inclusion=None if view.inclusion is None else InclusionOut.of(view.inclusion),
            tlog_proof_url=f"/api/v1/log/entries/{view.log_index}/tlog-proof",
            problem=view.problem,
        )


class ConsistencyOut(BaseModel):
    """The RFC 9162 consistency proof between two tree sizes, from the latest signed checkpoint's tiles."""

    old_size: int
    new_size: int
    old_root: str = Field(description="Root of the first old_size entries, base64.")
    new_root: str = Field(description="Root of the first new_size entries, base64.")
    hashes: list[str] = Field(description="The consistency proof, base64.")
    old_checkpoint: str | None = Field(description="The checkpoint the log signed at old_size, if it signed one.")
    new_checkpoint: str | None = Field(description="The checkpoint the log signed at new_size, if it signed one.")
    checkpoint: str = Field(description="The latest signed checkpoint, whose tiles the proof was read from.")
    verified: bool

    @classmethod
    def of(cls, view: ConsistencyView) -> ConsistencyOut:
        return cls(
            old_size=view.old_size,
            new_size=view.new_size,
            old_root=view.old_root,
            new_root=view.new_root,
            hashes=list(view.hashes),
            old_checkpoint=view.old_note,
            new_checkpoint=view.new_note,
            checkpoint=view.checkpoint.note,
            verified=view.verified,
        )


class LookupOut(BaseModel):
    """What a lookup found: log entries, or a developer."""

    query: str
    matched: str = Field(description="log index, statement SHA-256, document SHA-256, leaf hash, or developer.")
    log_indexes: list[int]
    developer: str | None

    @classmethod
    def of(cls, lookup: Lookup) -> LookupOut:
        return cls(
            query=lookup.text,
            matched=lookup.matched,
            log_indexes=list(lookup.log_indexes),
            developer=lookup.developer,
        )


#: The largest tree size a query may name (a signed 64-bit integer, as the log's indexes are stored).
_MAX_SIZE = (1 << 63) - 1


def _one_size(name: str, value: int | None, alias: str, aliased: int | None) -> int:
    """A tree size given under either of its two names, once."""
    if value is not None and aliased is not None and value != aliased:
        raise ExplorerQueryError(f"{name}={value} and {alias}={aliased} name two different sizes")
    found = value if value is not None else aliased
    if found is None:
        raise ExplorerQueryError(f"give the size as {name} or {alias}")
    return found


def build_router() -> APIRouter:
    router = APIRouter(prefix="/log", tags=["log"], responses=ERROR_RESPONSES)

    @router.get(
        "/lookup",
        summary="Find log entries by index, statement, document or leaf SHA-256, or a developer by slug",
        description="404 when nothing matches; 400 for text that is none of these.",
        responses=bad_request("Text that is neither an index, a SHA-256 nor a developer's short name"),
    )
    def lookup(
        explorer: Explorer,
        q: Annotated[str, Query(max_length=MAX_LOOKUP_CHARS, description="An index, a SHA-256 (hex) or a slug.")],
    ) -> LookupOut:
        return LookupOut.of(explorer.lookup(q))

    @router.get("/entries/{log_index}", summary="One log entry, its signature and key, and its inclusion proof")
    def entry(log_index: LogIndex, explorer: Explorer) -> EntryOut:
        return EntryOut.of(explorer.entry(log_index))

    @router.get(
        "/entries/{log_index}/tlog-proof",
        response_class=Response,
        summary="The entry's c2sp.org/tlog-proof against the latest checkpoint",
        responses={200: {"content": {"text/plain": {}}, "description": "A tlog-proof file."}},
    )
    def tlog_proof(log_index: LogIndex, explorer: Explorer) -> Response:
        headers = {"Content-Disposition": f'attachment; filename="candor-entry-{log_index}.tlog-proof"'}
        return Response(explorer.tlog_proof(log_index), media_type="text/plain; charset=utf-8", headers=headers)

    @router.get(
        "/consistency",
        summary="The RFC 9162 consistency proof that the tree of `new` entries extends the tree of `old` entries",
        description="The sizes as `old` and `new`, or as `from` and `to` (the names witnesses and monitors use); "
        "both at most the latest signed size. 404 beyond it; 400 when old > new, when a size is missing, or when "
        "both names of one size are given and differ.",
        responses=bad_request("The older size is larger than the newer one, or a size is missing or given twice"),
    )
    def consistency(
        explorer: Explorer,
        old: Annotated[int | None, Query(ge=0, le=_MAX_SIZE, description="The older tree size.")] = None,
        new: Annotated[int | None, Query(ge=0, le=_MAX_SIZE, description="The newer tree size.")] = None,
        from_size: Annotated[
            int | None, Query(alias="from", ge=0, le=_MAX_SIZE, description="The older tree size, as `old`.")
        ] = None,
        to_size: Annotated[
            int | None, Query(alias="to", ge=0, le=_MAX_SIZE, description="The newer tree size, as `new`.")
        ] = None,
    ) -> ConsistencyOut:
        older = _one_size("old", old, "from", from_size)
        newer = _one_size("new", new, "to", to_size)
        return ConsistencyOut.of(explorer.consistency(older, newer))

    return router
