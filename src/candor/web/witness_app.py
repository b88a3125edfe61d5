"""The witness's HTTP face (c2sp.org/tlog-witness): ``POST /add-checkpoint``, the monitoring endpoint
``GET /<sha256(origin) hex>/checkpoint``, and ``GET /healthz``.

A separate, small Starlette app rather than part of the registry's, because a witness is run by someone other than
the registry's operator, on another machine, with nothing of the registry's. The checks and the state live in
:mod:`candor.tlog.witness`; this module only reads bounded bodies and maps refusals to the spec's status codes.
"""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from candor.tlog.witness import MAX_REQUEST_BYTES, Witness, WitnessRefusalError

_ORIGIN_HASH = re.compile(r"[0-9a-f]{64}")
_NOTE_MEDIA_TYPE = "text/plain; charset=utf-8"


def build_witness_app(witness: Witness) -> Starlette:
    """The witness app for one :class:`~candor.tlog.witness.Witness`."""

    async def add_checkpoint(request: Request) -> Response:
        try:
            body = await _bounded_body(request)
            # SQLite and Ed25519 block; the transaction may wait for another writer.
            cosignature = await run_in_threadpool(witness.add_checkpoint, body)
        except WitnessRefusalError as refusal:
            return Response(refusal.body, status_code=refusal.status, media_type=refusal.media_type)
        return Response(cosignature, media_type=_NOTE_MEDIA_TYPE)

    async def checkpoint(request: Request) -> Response:
        hashed = request.path_params["origin_hash"]
        note = None if not _ORIGIN_HASH.fullmatch(hashed) else await run_in_threadpool(witness.checkpoint_for, hashed)
        if note is None:
            return PlainTextResponse("this witness has cosigned no checkpoint of that log\n", status_code=404)
        return Response(note, media_type=_NOTE_MEDIA_TYPE, headers={"Cache-Control": "no-cache"})

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/{origin_hash}/checkpoint", checkpoint, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


async def _bounded_body(request: Request) -> bytes:
    """The body, refused with 413 as soon as it passes the limit, so an endless body costs nothing."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
        raise WitnessRefusalError(413, f"request body is larger than {MAX_REQUEST_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REQUEST_BYTES:
            raise WitnessRefusalError(413, f"request body is larger than {MAX_REQUEST_BYTES} bytes")
    return bytes(body)
