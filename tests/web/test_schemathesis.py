"""Generated requests to every operation of the JSON API, over real HTTP, on SQLite and PostgreSQL.

Schemathesis reads the app's own OpenAPI document and, for each operation, sends inputs Hypothesis generates from
it (valid ids and pages, but also odd slugs, digests and page numbers; for publishing, odd statements, signatures
and documents, with no token, a generated one and a real publish token). Whatever it sends, the registry must not
fail with a 5xx, and every answer must be one the document declares: status code, content type, headers and body.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import BaseSchema, Case
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from tests.web.conftest import Served

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_openapi_document_lists_the_read_operations(api_schema: BaseSchema) -> None:
    """Guards the property test below: an empty selection would pass without testing anything."""
    paths = {result.ok().path for result in api_schema.get_all_operations() if isinstance(result, Ok)}
    assert {"/api/v1/developers", "/api/v1/statements/{statement_id}", "/api/v1/log/checkpoint"} <= paths


def test_every_read_operation_answers_generated_inputs_as_documented(api_schema: BaseSchema, served: Served) -> None:
    # Hypothesis drives each operation's strategy directly: schemathesis's pytest plugin (from_fixture) reads a
    # private pytest attribute that pytest 9 no longer has.
    for result in api_schema.get_all_operations():
        assert isinstance(result, Ok), f"an operation the OpenAPI document describes wrongly: {result.err()}"
        operation = result.ok()
        # A 503 the operation declares (the confidential channel, which this registry does not configure) is an
        # answer as documented, not a failure; every other operation must still never answer 5xx.
        declared_unavailable = "503" in operation.definition.raw.get("responses", {})
        checks = [check for check in CHECKS if not (declared_unavailable and check is not_a_server_error)]

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def answers_as_documented(case: Case[Any]) -> None:
            case.call_and_validate(base_url=served.base_url, checks=checks)  # noqa: B023 (run within the iteration)

        answers_as_documented()


@pytest.mark.parametrize("token", ["generated", "publish"])
def test_publishing_answers_generated_bodies_as_documented(
    openapi_schema: BaseSchema, served: Served, publish_token: str, token: str
) -> None:
    """POST /api/v1/statements with generated bodies: with whatever Authorization schemathesis makes up (often none),
    every answer is a documented refusal; with acme-ai's real publish token, the body checks answer instead."""
    operation = openapi_schema["/api/v1/statements"]["POST"]
    statuses: set[int] = set()

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def answers_as_documented(case: Case[Any]) -> None:
        headers = {"Authorization": f"Bearer {publish_token}"} if token == "publish" else None
        statuses.add(case.call_and_validate(base_url=served.base_url, headers=headers, checks=CHECKS).status_code)

    answers_as_documented()
    # Guards the property: a random body never publishes, and the real token gets past the token check.
    assert statuses, "no request was sent"
    assert all(400 <= status < 500 for status in statuses), statuses
    if token == "publish":
        assert 422 in statuses, statuses


#: Operations on one published statement, which generated digests almost never name.
STATEMENT_OPERATIONS = [
    "/api/v1/statements/{statement_id}",
    "/api/v1/statements/{statement_id}/findings",
    "/api/v1/statements/{statement_id}/proof",
    "/api/v1/statements/{statement_id}/tlog-proof",
]


def test_published_statements_and_documents_are_served_as_documented(api_schema: BaseSchema, served: Served) -> None:
    """Random digests mostly meet 404s; this sends the real ids, so every success body is checked too."""
    for published in served.filled.published.values():
        for path in STATEMENT_OPERATIONS:
            case = api_schema[path]["GET"].Case(path_parameters={"statement_id": published.statement_sha256})
            assert case.call_and_validate(base_url=served.base_url, checks=CHECKS).status_code == 200, path
        proof = api_schema["/api/v1/log/proof/{log_index}"]["GET"].Case(
            path_parameters={"log_index": published.log_index}
        )
        assert proof.call_and_validate(base_url=served.base_url, checks=CHECKS).status_code == 200
        if published.document_sha256 is not None:
            for path in ("/api/v1/documents/{sha256}", "/api/v1/statements/by-document/{sha256}"):
                case = api_schema[path]["GET"].Case(path_parameters={"sha256": published.document_sha256})
                assert case.call_and_validate(base_url=served.base_url, checks=CHECKS).status_code == 200, path
    for slug in ("acme-ai", "borealis", "corvid-labs"):
        case = api_schema["/api/v1/developers/{slug}"]["GET"].Case(path_parameters={"slug": slug})
        assert case.call_and_validate(base_url=served.base_url, checks=CHECKS).status_code == 200


@pytest.fixture(scope="module")
def openapi_schema(served: Served) -> BaseSchema:
    """The served app's whole OpenAPI document."""
    return schemathesis.openapi.from_url(f"{served.base_url}/api/v1/openapi.json")


@pytest.fixture(scope="module")
def api_schema(openapi_schema: BaseSchema) -> BaseSchema:
    """The GET operations under ``/api/v1``: generated reads, which change nothing."""
    return openapi_schema.include(method="GET", path_regex=r"^/api/v1/")
