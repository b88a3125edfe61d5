"""The served log: the checkpoint, tiles and entry bundles in c2sp.org/tlog-tiles layout, and the verifier key.

Files are served straight from the public part of the log directory that :class:`candor.tlog.local_log.LocalLog` lays
out (``log/checkpoint``, ``log/tile/...``); the verifier key comes from its ``log.vkey``. A registry's app servers each
tile the log in their own data directory (:class:`candor.services.integration.RegistryLog`); a tile missing here
makes the server catch up with the database once before it answers 404.
Only paths that the tlog-tiles grammar allows are ever turned into file names, so no request can reach a file
outside that directory. Full tiles never change and are cached for a year; partial tiles and the checkpoint change
as the log grows and are cached for a few seconds only.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from candor.errors import CandorError
from candor.tlog.local_log import PUBLIC_DIR, VKEY_FILE
from candor.tlog.note import parse_verifier_key
from candor.tlog.tiles import CHECKPOINT_NAME

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_LIVED = "public, max-age=5"
_TEXT = "text/plain; charset=utf-8"
_BINARY = "application/octet-stream"

# tlog-tiles: L is 0-63 with no leading zeros; N is 3-digit groups, all but the last prefixed with x; W is 1-255.
# Seven groups cover every index a 64-bit tree can have.
_INDEX = r"(?:x\d{3}/){0,6}\d{3}"
_WIDTH = r"(?:\.p/(?P<width>[1-9]\d{0,2}))?"
_TILE = re.compile(rf"(?P<level>0|[1-9]\d?)/(?P<index>{_INDEX}){_WIDTH}")
_ENTRIES = re.compile(rf"entries/(?P<index>{_INDEX}){_WIDTH}")


@dataclass(frozen=True)
class LogFiles:
    """Where a log directory keeps what is served: the public checkpoint and tiles, and the verifier key."""

    public: Path
    vkey: Path

    @classmethod
    def of(cls, log_home: Path) -> LogFiles:
        """The files of the :class:`~candor.tlog.local_log.LocalLog` in ``log_home``."""
        return cls(public=log_home / PUBLIC_DIR, vkey=log_home / VKEY_FILE)

    def verifier_key(self) -> str | None:
        """The verifier key (the file's last non-empty line), or None before the log exists."""
        try:
            lines = self.vkey.read_text("utf-8").split()
        except FileNotFoundError:
            return None
        return lines[-1] if lines else None

    def verifier_key_fingerprint(self) -> str | None:
        """The fingerprint ``candor verify`` shows when it pins the key, for readers to compare out of band."""
        vkey = self.verifier_key()
        return None if vkey is None else parse_verifier_key(vkey).fingerprint()


def tile_file(log_dir: Path, tile: str) -> tuple[Path, bool]:
    """The file for the request path after ``tile/``, and whether it is a full (immutable) tile.

    Raises 404 for any path outside the tlog-tiles grammar, which includes every traversal attempt.
    """
    match = _TILE.fullmatch(tile) or _ENTRIES.fullmatch(tile)
    if match is None:
        raise HTTPException(404, f"tile/{tile} is not a tlog-tiles path")
    level = match.groupdict().get("level")
    width = match.group("width")
    if (level is not None and int(level) > 63) or (width is not None and int(width) > 255):
        raise HTTPException(404, f"tile/{tile} is not a tlog-tiles path")
    path = log_dir / "tile" / tile
    # The grammar already rules out "..", but the file must also not be a link that leads out of the log.
    if not path.resolve().is_relative_to(log_dir.resolve()):
        raise HTTPException(404, f"tile/{tile} is not in this log")
    return path, width is None


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise HTTPException(404, f"{what} does not exist in this log") from None


def _caught_up_read(request: Request, path: Path, what: str) -> bytes:
    """The file's bytes; if it is missing, this server catches up with the database's log once and looks again.

    Another app server may have signed a checkpoint this one has not tiled yet (it follows within a tick), and a
    server that has just started may not have served its first checkpoint yet; a client that read that checkpoint
    elsewhere asks for it, or its tiles, here.
    """
    asked_at = time.monotonic()
    try:
        return _read(path, what)
    except HTTPException:
        registry_log = getattr(request.app.state, "registry_log", None)
        if registry_log is None:
            raise
        with contextlib.suppress(CandorError):  # a log that refuses to follow still answers this 404
            registry_log.catch_up(asked_at)
        return _read(path, what)


def build_router(files: LogFiles) -> APIRouter:
    """Routes under ``/log`` that serve the log whose files are ``files``."""
    router = APIRouter(prefix="/log", tags=["log"])

    @router.get(
        "/checkpoint", response_class=Response, summary="The latest signed checkpoint (c2sp.org/tlog-checkpoint)"
    )
    def checkpoint(request: Request) -> Response:
        collector = request.app.state.witnessing
        if collector is not None and collector.quorum > 0:
            # With a quorum, only a checkpoint that enough witnesses cosigned is served; it may lag the log.
            body = collector.served_note()
            if body is None:
                raise HTTPException(503, "no checkpoint of this log has a quorum of witness cosignatures yet")
        else:
            body = _caught_up_read(request, files.public / CHECKPOINT_NAME, "checkpoint")
            if collector is not None:
                body += collector.cosignature_lines(body)
        return Response(body, media_type=_TEXT, headers={"Cache-Control": SHORT_LIVED})

    @router.get("/vkey", response_class=Response, summary="The log's verifier key; its last line is the key")
    def vkey() -> Response:
        vkey = files.verifier_key()
        if vkey is None:
            raise HTTPException(404, "the log has no verifier key yet")
        body = f"# Verifier key of this registry's log (c2sp.org/signed-note); the last line is the key.\n{vkey}\n"
        return Response(body, media_type=_TEXT, headers={"Cache-Control": SHORT_LIVED})

    @router.get("/tile/{tile:path}", response_class=Response, summary="A tile or entry bundle (c2sp.org/tlog-tiles)")
    def tile(request: Request, tile: str) -> Response:
        path, full = tile_file(files.public, tile)
        body = _caught_up_read(request, path, f"tile/{tile}")
        return Response(body, media_type=_BINARY, headers={"Cache-Control": IMMUTABLE if full else SHORT_LIVED})

    return router
