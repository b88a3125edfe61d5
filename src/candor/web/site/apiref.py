"""The API reference page's content, read from the app's own OpenAPI document.

The page is rendered on the server with no JavaScript: the interactive Swagger UI needs scripts from elsewhere,
which the site's content security policy refuses, and the reference must stay true to the routes that exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

#: Where the raw OpenAPI document is served.
OPENAPI_PATH = "/api/v1/openapi.json"
_METHODS = ("get", "post", "put", "patch", "delete")
_UNTAGGED = "other"


@dataclass(frozen=True)
class Parameter:
    """One parameter of an operation: where it goes, whether it is required, and what it means."""

    name: str
    location: str
    required: bool
    type: str
    description: str


@dataclass(frozen=True)
class Response:
    """One response an operation may give: its status code and what that means."""

    status: str
    description: str


@dataclass(frozen=True)
class Operation:
    """One method on one path."""

    method: str
    path: str
    summary: str
    description: str
    parameters: list[Parameter]
    has_body: bool
    responses: list[Response]

    @property
    def anchor(self) -> str:
        """A stable fragment id for linking to this operation."""
        slug = "".join(c if c.isalnum() else "-" for c in self.path.strip("/"))
        return f"{self.method.lower()}-{slug}".strip("-")


@dataclass(frozen=True)
class OperationGroup:
    """The operations under one OpenAPI tag, in the document's order."""

    tag: str
    operations: list[Operation]


@dataclass(frozen=True)
class ApiReference:
    """What the API reference page shows."""

    title: str
    version: str
    summary: str
    groups: list[OperationGroup]
    openapi_path: str = OPENAPI_PATH


def api_reference(document: dict[str, Any]) -> ApiReference:
    """The operations of an OpenAPI 3 document, grouped by their first tag, in the order they first appear."""
    groups: dict[str, list[Operation]] = {}
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or [_UNTAGGED])[0]
            groups.setdefault(tag, []).append(_operation(method, path, operation))
    info = document.get("info", {})
    return ApiReference(
        title=str(info.get("title", "API")),
        version=str(info.get("version", "")),
        summary=str(info.get("summary") or info.get("description") or ""),
        groups=[OperationGroup(tag, operations) for tag, operations in groups.items()],
    )


def _operation(method: str, path: str, operation: dict[str, Any]) -> Operation:
    parameters = [
        Parameter(
            name=str(parameter["name"]),
            location=str(parameter.get("in", "")),
            required=bool(parameter.get("required", False)),
            type=_type_of(parameter.get("schema", {})),
            description=str(parameter.get("description") or parameter.get("schema", {}).get("description") or ""),
        )
        for parameter in operation.get("parameters", [])
    ]
    responses = [
        Response(status, str(answer.get("description") or _reason(status)))
        for status, answer in sorted(operation.get("responses", {}).items())
    ]
    return Operation(
        method=method.upper(),
        path=path,
        summary=str(operation.get("summary", "")),
        description=str(operation.get("description", "")),
        parameters=parameters,
        has_body="requestBody" in operation,
        responses=responses,
    )


def _type_of(schema: dict[str, Any]) -> str:
    """A short name for a parameter's schema: its type, or the types it may take."""
    if "type" in schema:
        return str(schema["type"])
    options = [
        str(option.get("type")) for option in schema.get("anyOf", []) if option.get("type") not in (None, "null")
    ]
    return " or ".join(options) or "string"


def _reason(status: str) -> str:
    try:
        return HTTPStatus(int(status)).phrase
    except ValueError:
        return status
