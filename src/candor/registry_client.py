"""The developer's and the public's side of the registry's HTTP API, through the bounded client.

Every failure (an unreachable registry, a refusal, an answer that is not what the API promises, an answer too
large or too slow) becomes one :class:`RegistryError` whose message carries the registry's own one-line reason.
"""

from __future__ import annotations

import base64
import hashlib
import time
from http import HTTPStatus
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from candor.domain.sealing import MAX_SEALED_BYTES
from candor.domain.source import MAX_DOCUMENT_BYTES
from candor.errors import CandorError
from candor.httpclient import JSON_ANSWER, Answer, HttpClient, HttpError, Resource
from candor.tlog.note import MAX_NOTE_SIZE
from candor.tlog.proof import MAX_PROOF_SIZE

#: How long to wait for a just-published entry to be integrated; the registry promises one second.
PROOF_WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.2

TLOG_PROOF = Resource("tlog-proof", MAX_PROOF_SIZE, ("text/plain",))
# tlog-tiles names no content type for the log's own files, and static hosts serve them as they like.
VERIFIER_KEY = Resource("verifier key", MAX_NOTE_SIZE)
CHECKPOINT = Resource("checkpoint", MAX_NOTE_SIZE)
DOCUMENT = Resource("document", MAX_DOCUMENT_BYTES, ("text/markdown",))
SEALED_ORIGINAL = Resource("sealed original", MAX_SEALED_BYTES, ("application/octet-stream",))


class RegistryError(CandorError):
    """The registry could not be reached, refused a request, or answered something unexpected."""


#: A text field of an answer that the CLI prints: one line, no control characters, of a sane length.
_Line = Annotated[str, Field(pattern=r"^[^\x00-\x1f\x7f]*$", max_length=2048)]
#: A statement's id: the SHA-256 of its canonical bytes, in lower-case hex.
_StatementId = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Answer(BaseModel):
    # Strict: a registry that sends a number for a version, or a string for a log index, is broken, not coerced.
    # Unknown fields are ignored, so that a newer registry's additions do not break an older client.
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class PublishedAnswer(_Answer):
    """The registry's answer to a publication: where the statement sits in the log."""

    id: _StatementId
    log_index: int = Field(ge=0)
    leaf_hash: _Line
    developer: _Line
    kind: _Line
    version: _Line
    created: bool
    url: _Line


class StatementAnswer(_Answer):
    """A published statement, as ``GET /api/v1/statements/{id}`` and ``/by-document/{sha256}`` describe it."""

    id: _StatementId
    developer: _Line
    kind: _Line
    series: _Line | None = None
    version: _Line


class StatementPage(_Answer):
    """One page of ``GET /api/v1/statements``: its items as the API describes them, and how many pages there are."""

    items: list[dict[str, Any]]
    pages: int = Field(ge=0)


class _DeveloperPage(_Answer):
    items: list[dict[str, Any]]
    pages: int = Field(ge=0)


class DocumentReference(_Answer):
    """A current document of a developer, as ``GET /api/v1/developers/{slug}`` lists it."""

    developer: _Line
    log_index: int = Field(ge=0)
    kind: _Line
    series: _Line | None = None
    version: _Line
    document_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class KeyChangeAnswer(_Answer):
    """The registry's answer to a key rotation: the key event it logged."""

    developer: _Line
    kind: _Line
    key_fingerprint: _Line
    log_index: int = Field(ge=0)
    entry_url: _Line


class KeyEventAnswer(_Answer):
    """A key event as the key history names it."""

    log_index: int = Field(ge=0)
    kind: _Line
    issued_at: _Line
    entry_url: _Line


class KeyAnswer(_Answer):
    """One key of a developer's key history."""

    fingerprint: _Line
    public_key: _Line
    valid_from: _Line
    valid_to: _Line | None = None
    registered_by: KeyEventAnswer | None = None
    retired_by: KeyEventAnswer | None = None


class KeyHistoryAnswer(_Answer):
    """``GET /api/v1/developers/{slug}/keys``."""

    developer: _Line
    keys: list[KeyAnswer]


_Model = TypeVar("_Model")
_DEVELOPERS = TypeAdapter(_DeveloperPage)
_KEY_CHANGE = TypeAdapter(KeyChangeAnswer)
_KEY_HISTORY = TypeAdapter(KeyHistoryAnswer)
_REFERENCE = TypeAdapter(DocumentReference)
_PAGE = TypeAdapter(StatementPage)
_PUBLISHED = TypeAdapter(PublishedAnswer)
_STATEMENT = TypeAdapter(StatementAnswer)
_STATEMENTS = TypeAdapter(list[StatementAnswer])


class RegistryClient:
    """A client of one registry, e.g. ``RegistryClient("https://registry.example")``."""

    def __init__(
        self, base_url: str, *, timeout: float | None = None, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = HttpClient(self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def publish(
        self, token: str, statement_bytes: bytes, signature: bytes, document: bytes | None, sealed: bytes | None = None
    ) -> PublishedAnswer:
        """POST a signed statement (its document, and a redacted one's sealed original); the registry's answer."""
        body = publication_body(statement_bytes, signature, document, sealed)
        answer = self._request(
            "POST", "/api/v1/statements", JSON_ANSWER, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        return _validated(answer, _PUBLISHED, "a published statement's place in the log")

    def rotate_key(self, token: str, slug: str, endorsement: bytes) -> KeyChangeAnswer:
        """POST the developer's endorsement of its new key; the key event the registry logged."""
        answer = self._request(
            "POST",
            f"/api/v1/developers/{slug}/keys",
            JSON_ANSWER,
            json={"endorsement": _base64(endorsement)},
            headers={"Authorization": f"Bearer {token}"},
        )
        return _validated(answer, _KEY_CHANGE, "a key event's place in the log")

    def key_history(self, slug: str) -> KeyHistoryAnswer:
        """The developer's keys and the key events that logged them."""
        answer = self._request("GET", f"/api/v1/developers/{slug}/keys", JSON_ANSWER)
        return _validated(answer, _KEY_HISTORY, "a key history")

    def statement(self, statement_sha256: str) -> StatementAnswer:
        """One published statement, as ``GET /api/v1/statements/{id}`` describes it."""
        answer = self._request("GET", f"/api/v1/statements/{statement_sha256}", JSON_ANSWER)
        return _validated(answer, _STATEMENT, "a statement")

    def statements_of_document(self, document_sha256: str) -> list[StatementAnswer]:
        """The statements that publish the document with this SHA-256, oldest first."""
        found = self._request("GET", f"/api/v1/statements/by-document/{document_sha256}", JSON_ANSWER)
        return _validated(found, _STATEMENTS, "a list of statements")

    def developer_statements(self, slug: str, *, limit_pages: int = 100) -> list[dict[str, Any]]:
        """Every statement ``slug`` published, newest first, following ``/api/v1/statements`` page by page (at
        most ``limit_pages`` pages of 100, so a registry that never stops paging cannot keep the client busy)."""
        found: list[dict[str, Any]] = []
        for page in range(1, limit_pages + 1):
            query = urlencode({"developer": slug, "page": page, "per_page": 100})
            listing = _validated(
                self._request("GET", f"/api/v1/statements?{query}", JSON_ANSWER), _PAGE, "a page of statements"
            )
            found += listing.items
            if page >= listing.pages:
                return found
        raise RegistryError(f"{self.base_url}: {slug} has more than {limit_pages * 100} statements")

    def current_documents(self, *, limit_pages: int = 100) -> list[DocumentReference]:
        """Every registered developer's current documents: framework, latest card of each model, certifications."""
        found: list[DocumentReference] = []
        for page in range(1, limit_pages + 1):
            query = urlencode({"page": page, "per_page": 100})
            listing = _validated(
                self._request("GET", f"/api/v1/developers?{query}", JSON_ANSWER), _DEVELOPERS, "a page of developers"
            )
            for developer in listing.items:
                slug = developer.get("slug")
                if not isinstance(slug, str) or not slug.replace("-", "").isalnum():
                    raise RegistryError(f"{self.base_url}: a developer without a valid slug: {slug!r}"[:300])
                detail = self.developer(slug)
                entries = [
                    detail.get("current_framework"),
                    *detail.get("system_cards", []),
                    *detail.get("certifications", []),
                ]
                found += [_validated_item(entry, self.base_url) for entry in entries if entry is not None]
            if page >= listing.pages:
                return found
        raise RegistryError(f"{self.base_url}: more than {limit_pages * 100} developers")

    def developer(self, slug: str) -> dict[str, Any]:
        """One developer as ``GET /api/v1/developers/{slug}`` describes it (legal name, domain, current documents)."""
        found = _json(self._request("GET", f"/api/v1/developers/{slug}", JSON_ANSWER))
        if not isinstance(found, dict):
            raise RegistryError(f"{self.base_url}: the developer {slug} is not described as a JSON object")
        return found

    def tlog_proof(self, statement_sha256: str, *, wait: float = PROOF_WAIT_SECONDS) -> str:
        """The statement's tlog-proof, waiting up to ``wait`` seconds for it to be integrated."""
        deadline = time.monotonic() + wait
        while True:
            answer = self._send("GET", f"/api/v1/statements/{statement_sha256}/tlog-proof", TLOG_PROOF)
            if answer.ok:
                return answer.text()
            if _error_code(answer) != "not_integrated" or time.monotonic() >= deadline:
                raise _refused(answer, self.base_url)
            time.sleep(_POLL_SECONDS)

    def log_origin(self) -> str:
        """The origin of the registry's log, the first line of its checkpoint: what a statement for it must name."""
        text = self._request("GET", "/log/checkpoint", CHECKPOINT).text()
        origin = text.split("\n", 1)[0]
        if not origin or origin != origin.strip() or "\n" not in text:
            raise RegistryError(f"{self.base_url}/log/checkpoint does not start with a log origin")
        return origin

    def verifier_key(self) -> str:
        """The log's verifier key, the last line of ``/log/vkey``."""
        lines = self._request("GET", "/log/vkey", VERIFIER_KEY).text().split()
        if not lines:
            raise RegistryError(f"{self.base_url}/log/vkey is empty")
        return lines[-1]

    def checkpoint(self) -> bytes:
        """The log's latest signed checkpoint note, unverified."""
        return self._request("GET", "/log/checkpoint", CHECKPOINT).body

    def document(self, sha256: str) -> bytes:
        """A published document's exact bytes, checked against the SHA-256 that names them."""
        return _addressed(self._request("GET", f"/api/v1/documents/{sha256}", DOCUMENT).body, sha256, "document")

    def sealed_original(self, sha256: str) -> bytes:
        """A redacted document's sealed original (still sealed), checked against the SHA-256 that names it."""
        body = self._request("GET", f"/api/v1/sealed/{sha256}", SEALED_ORIGINAL).body
        return _addressed(body, sha256, "sealed original")

    def report_reviewers(self) -> list[dict[str, str]]:
        """The reviewer keys the registry seals reports to: fingerprint and base64 raw X25519 key, each."""
        answer = self._request("GET", "/api/v1/reports/reviewers", JSON_ANSWER)
        reviewers = _json(answer).get("reviewers") if isinstance(_json(answer), dict) else None
        if not isinstance(reviewers, list) or not all(isinstance(item, dict) for item in reviewers):
            raise RegistryError(f"{self.base_url}: /api/v1/reports/reviewers is not a list of reviewer keys")
        return reviewers

    def submit_report(self, body: dict[str, Any]) -> str:
        """POST a report sealed on this machine; the receipt."""
        answer = _json(self._request("POST", "/api/v1/reports", JSON_ANSWER, json=body))
        if not isinstance(answer, dict) or not isinstance(answer.get("receipt"), str):
            raise RegistryError(f"{self.base_url}: the registry's answer holds no receipt")
        return str(answer["receipt"])

    def report_status(self, receipt: str) -> dict[str, Any] | None:
        """What the receipt shows (state and replies), or ``None`` if no report matches it."""
        answer = self._send("POST", "/api/v1/reports/status", JSON_ANSWER, json={"receipt": receipt})
        if answer.status == 404:
            return None
        if not answer.ok:
            raise _refused(answer, self.base_url)
        found = _json(answer)
        if not isinstance(found, dict):
            raise RegistryError(f"{self.base_url}: the report status is not a JSON object")
        return found

    def _request(self, method: str, path: str, resource: Resource, **options: Any) -> Answer:
        answer = self._send(method, path, resource, **options)
        if not answer.ok:
            raise _refused(answer, self.base_url)
        return answer

    def _send(self, method: str, path: str, resource: Resource, **options: Any) -> Answer:
        try:
            return self._http.request(method, path, resource, allow_error=True, **options)
        except HttpError as exc:
            raise RegistryError(exc.message) from None


def publication_body(
    statement_bytes: bytes, signature: bytes, document: bytes | None, sealed: bytes | None = None
) -> dict[str, str | None]:
    """The JSON body of ``POST /api/v1/statements``: the statement, its signature, the document and a redacted
    document's sealed original, each in base64 (null where there is none)."""
    return {
        "statement": _base64(statement_bytes),
        "signature": _base64(signature),
        "document": None if document is None else _base64(document),
        "sealed_original": None if sealed is None else _base64(sealed),
    }


def _validated_item(entry: Any, base_url: str) -> DocumentReference:
    try:
        return _REFERENCE.validate_python(entry)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(the entry)"
        raise RegistryError(
            f"{base_url}: a developer's current document is not as the API promises: {where}: {first['msg']}"
        ) from None


def _addressed(body: bytes, sha256: str, what: str) -> bytes:
    found = hashlib.sha256(body).hexdigest()
    if found != sha256:
        raise RegistryError(f"the registry served a {what} for {sha256} whose bytes hash to {found}")
    return body


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _json(answer: Answer) -> Any:
    try:
        return answer.json()
    except HttpError as exc:
        raise RegistryError(exc.message) from None


def _validated(answer: Answer, shape: TypeAdapter[_Model], what: str) -> _Model:
    """The answer's JSON read as ``shape``, or one line naming the first field that is not as the API promises."""
    try:
        return shape.validate_python(_json(answer))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(the whole answer)"
        raise RegistryError(f"{answer.url}: the registry's answer is not {what}: {field}: {first['msg']}") from None


def _error_code(answer: Answer) -> str | None:
    try:
        code = answer.json()["error"]["code"]
    except (HttpError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None


def _refused(answer: Answer, base_url: str) -> RegistryError:
    """One line for an answer that is not a success: the registry's own error message, or, for an answer that is
    no Candor error at all (a web server's HTML page), that there is no registry there, never the page itself."""
    path = httpx.URL(answer.url).path
    if _error_code(answer) is None:
        if answer.status == 404:
            return RegistryError(
                f"no Candor registry at {base_url}: {answer.method} {path} answered 404 Not Found",
                hint="give the registry's base URL, the address of its home page",
            )
        try:
            phrase = f" {HTTPStatus(answer.status).phrase}"
        except ValueError:
            phrase = ""
        return RegistryError(
            f"{answer.method} {path} at {base_url} answered HTTP {answer.status}{phrase}, not a Candor registry's "
            "error: the server, or a proxy in front of it, refused"
        )
    message = answer.json()["error"].get("message")
    if not isinstance(message, str) or not message.strip():
        message = f"HTTP {answer.status}"
    return RegistryError(f"registry refused {answer.method} {path}: {answer.status} {message.splitlines()[0][:200]}")
