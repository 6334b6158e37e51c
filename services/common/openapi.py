"""OpenAPI conventions: stable operationIds, problem+json documented everywhere, one schema per name."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from services.common.problems import PROBLEM_MEDIA_TYPE, problem_schema_components

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def operation_id(route: APIRoute) -> str:
    """The route function's name, which by convention is `<tag>_<action>` (`vendors_list`)."""
    return route.name


def install_openapi(app: FastAPI) -> None:
    """Replaces FastAPI's validation-error schema with problem+json and caches the document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                separate_input_output_schemas=False,
            )
            app.openapi_schema = _with_problems(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _with_problems(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components.update(problem_schema_components())
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"] = {
                    "description": "The request is not valid (see `errors`)",
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}},
                }
            _require_if_match(operation)
            if _accepts_idempotency_key(operation):
                _document_idempotency_problems(responses)
    return document


def _require_if_match(operation: dict[str, Any]) -> None:
    """`If-Match` is optional to FastAPI only so that its absence is a 428, not a 422: to clients it is
    required, and the document says so."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match":
            parameter["required"] = True


def _accepts_idempotency_key(operation: dict[str, Any]) -> bool:
    return any(
        parameter.get("in") == "header" and parameter.get("name", "").lower() == "idempotency-key"
        for parameter in operation.get("parameters", [])
    )


def _document_idempotency_problems(responses: dict[str, Any]) -> None:
    """The answers `IdempotencyMiddleware` gives for any keyed POST, whatever the route lists itself."""
    for status, description in (
        ("409", "A request with this Idempotency-Key is still being processed"),
        ("422", "This Idempotency-Key was used with a different request body"),
    ):
        entry = responses.setdefault(
            status, {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}}
        )
        if description not in entry["description"]:
            entry["description"] = f"{entry['description']}; {description}"


def duplicate_operation_ids(*documents: dict[str, Any]) -> list[str]:
    counts = Counter(
        operation["operationId"]
        for document in documents
        for path_item in document.get("paths", {}).values()
        for operation in path_item.values()
        if isinstance(operation, dict) and "operationId" in operation
    )
    return sorted(name for name, count in counts.items() if count > 1)
