"""The developer's and the public's side of the registry's HTTP API, over httpx.

Every failure (an unreachable registry, a refusal, an answer that is not what the API promises) becomes one
:class:`RegistryError` whose message carries the registry's own one-line reason.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx

from candor.errors import CandorError

#: How long to wait for a just-published entry to be integrated; the registry promises one second.
PROOF_WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.2


class RegistryError(CandorError):
    """The registry could not be reached, refused a request, or answered something unexpected."""


class RegistryClient:
    """A client of one registry, e.g. ``RegistryClient("https://registry.example")``."""

    def __init__(self, base_url: str, *, timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def publish(
        self, token: str, statement_bytes: bytes, signature: bytes, document: bytes | None, sealed: bytes | None = None
    ) -> dict[str, Any]:
        """POST a signed statement (its document, and a redacted one's sealed original); the registry's answer."""
        body = {
            "statement": base64.b64encode(statement_bytes).decode("ascii"),
            "signature": base64.b64encode(signature).decode("ascii"),
            "document": None if document is None else base64.b64encode(document).decode("ascii"),
        }
        if sealed is not None:
            body["sealed_original"] = base64.b64encode(sealed).decode("ascii")
        response = self._request("POST", "/api/v1/statements", json=body, headers={"Authorization": f"Bearer {token}"})
        return _json_object(response)

    def statement(self, statement_sha256: str) -> dict[str, Any]:
        """One published statement, as ``GET /api/v1/statements/{id}`` describes it."""
        return _json_object(self._request("GET", f"/api/v1/statements/{statement_sha256}"))

    def statements_of_document(self, document_sha256: str) -> list[dict[str, Any]]:
        """The statements that publish the document with this SHA-256, oldest first."""
        found = self._request("GET", f"/api/v1/statements/by-document/{document_sha256}").json()
        if not isinstance(found, list):
            raise RegistryError(f"{self.base_url}: the statements of a document are not a list")
        return found

    def developer_statements(self, slug: str, *, limit_pages: int = 100) -> list[dict[str, Any]]:
        """Every statement ``slug`` published, newest first, following ``/api/v1/statements`` page by page (at
        most ``limit_pages`` pages of 100, so a registry that never stops paging cannot keep the client busy)."""
        found: list[dict[str, Any]] = []
        for page in range(1, limit_pages + 1):
            listing = _json_object(
                self._request("GET", "/api/v1/statements", params={"developer": slug, "page": page, "per_page": 100})
            )
            items, pages = listing.get("items"), listing.get("pages")
            if not isinstance(items, list) or not isinstance(pages, int):
                raise RegistryError(f"{self.base_url}/api/v1/statements: not a page of statements")
            found += [item for item in items if isinstance(item, dict)]
            if page >= pages:
                return found
        raise RegistryError(f"{self.base_url}: {slug} has more than {limit_pages * 100} statements")

    def tlog_proof(self, statement_sha256: str, *, wait: float = PROOF_WAIT_SECONDS) -> str:
        """The statement's tlog-proof, waiting up to ``wait`` seconds for it to be integrated."""
        deadline = time.monotonic() + wait
        while True:
            response = self._http_get(f"/api/v1/statements/{statement_sha256}/tlog-proof")
            if response.status_code == 200:
                return response.text
            if _error_code(response) != "not_integrated" or time.monotonic() >= deadline:
                raise _refused(response)
            time.sleep(_POLL_SECONDS)

    def verifier_key(self) -> str:
        """The log's verifier key, the last line of ``/log/vkey``."""
        lines = self._request("GET", "/log/vkey").text.split()
        if not lines:
            raise RegistryError(f"{self.base_url}/log/vkey is empty")
        return lines[-1]

    def _http_get(self, path: str) -> httpx.Response:
        return self._send("GET", path)

    def _request(self, method: str, path: str, **options: Any) -> httpx.Response:
        response = self._send(method, path, **options)
        if response.status_code >= 400:
            raise _refused(response)
        return response

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **options)
        except httpx.HTTPError as exc:
            raise RegistryError(f"{self.base_url}{path}: cannot reach the registry ({exc})") from exc


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise RegistryError(f"{response.request.url}: the registry's answer is not a JSON object")
    return found


def _error_code(response: httpx.Response) -> str | None:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None


def _refused(response: httpx.Response) -> RegistryError:
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text.strip().splitlines()[0][:200] if response.text.strip() else response.reason_phrase
    return RegistryError(
        f"registry refused {response.request.method} {response.request.url.path}: {response.status_code} {message}"
    )
