"""The API answers every error in one JSON shape: 404, 405, 422 and 413 look alike."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from candor.config import load_settings
from tests.web.conftest import Served


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "detail"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


def test_unknown_path_is_404(served: Served) -> None:
    _error(served.client.get("/api/v1/nothing-here"), 404, "not_found")


def test_unknown_developer_is_404_with_the_store_message(served: Served) -> None:
    error = _error(served.client.get("/api/v1/developers/nobody"), 404, "not_found")
    assert "nobody" in error["message"]


def test_unknown_statement_is_404(served: Served) -> None:
    _error(served.client.get("/api/v1/statements/" + "0" * 64), 404, "not_found")


def test_unknown_document_is_404(served: Served) -> None:
    _error(served.client.get("/api/v1/documents/" + "a" * 64), 404, "not_found")


def test_wrong_method_is_405(served: Served) -> None:
    _error(served.client.delete("/api/v1/developers"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/statements?per_page=0",
        "/api/v1/statements?page=-1",
        "/api/v1/statements?kind=rumour",
        "/api/v1/statements/not-a-digest",
        "/api/v1/log/proof/-5",
    ],
)
def test_invalid_parameters_are_422_with_detail(served: Served, path: str) -> None:
    error = _error(served.client.get(path), 422, "invalid_request")
    assert isinstance(error["detail"], list)
    assert error["detail"]
    assert {"loc", "msg", "type"} <= set(error["detail"][0])


def test_oversized_body_is_413_in_the_same_shape(served: Served) -> None:
    too_big = b"x" * (load_settings().max_request_bytes + 1)
    _error(served.client.post("/api/v1/statements", content=too_big), 413, "request_too_large")


def test_the_log_answers_errors_in_the_same_shape(served: Served) -> None:
    _error(served.client.get("/log/tile/0/999"), 404, "not_found")
