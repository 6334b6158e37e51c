"""The committed OpenAPI snapshots are current and follow the platform's conventions (DESIGN §4)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from cli.openapi import documents, render, snapshot_path
from services.common.openapi import duplicate_operation_ids
from services.common.problems import PROBLEM_MEDIA_TYPE

pytestmark = pytest.mark.contract

OPERATION_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}
PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
def generated() -> Iterator[dict[str, dict[str, Any]]]:
    # Building an app configures logging for a service process; the test run keeps its own.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield documents()
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, path_item in document["paths"].items():
        for method, operation in path_item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_every_service_has_a_document(generated):
    assert generated, "cli.openapi found no service"
    for service, document in generated.items():
        assert document["paths"], f"{service} documents no paths"


def test_committed_snapshots_match_the_code(generated):
    stale = [
        service
        for service, document in generated.items()
        if not snapshot_path(service).exists()
        or snapshot_path(service).read_text(encoding="utf-8") != render(document)
    ]
    assert not stale, f"OpenAPI snapshot out of date for {', '.join(stale)}: run `make openapi` and commit it"


def test_operation_ids_are_unique_across_the_platform(generated):
    duplicates = duplicate_operation_ids(*generated.values())
    assert not duplicates, f"operationIds used more than once: {duplicates}"


def test_operation_ids_are_snake_case_tag_then_action(generated):
    wrong = []
    for service, document in generated.items():
        for label, operation in operations(document):
            operation_id = operation.get("operationId", "")
            tags = [tag.replace("-", "_").lower() for tag in operation.get("tags", [])]
            if not OPERATION_ID.match(operation_id) or not any(
                f"_{tag}_" in f"_{operation_id}_" for tag in tags
            ):
                wrong.append(f"{service}: {label} → {operation_id!r} (tags {operation.get('tags')})")
    assert not wrong, "operationIds must be `<tag>_<action>` in snake case:\n" + "\n".join(wrong)


def test_no_schema_is_split_into_input_and_output(generated):
    split = [
        f"{service}: {name}"
        for service, document in generated.items()
        for name in document.get("components", {}).get("schemas", {})
        if name.endswith(("-Input", "-Output", "Input", "Output"))
    ]
    assert not split, f"schemas split by direction (use explicit models instead): {split}"


def test_every_error_response_is_problem_json(generated):
    wrong = []
    for service, document in generated.items():
        assert "Problem" in document["components"]["schemas"], f"{service} lacks the Problem schema"
        for label, operation in operations(document):
            errors = {status: r for status, r in operation["responses"].items() if status[0] in "45"}
            if not errors:
                wrong.append(f"{service}: {label} documents no problem response")
            for status, response in errors.items():
                if response.get("content") != PROBLEM_CONTENT:
                    wrong.append(f"{service}: {label} {status} is not application/problem+json")
    assert not wrong, "\n".join(wrong)


def test_operations_document_the_problems_they_can_answer(generated):
    missing = []
    for service, document in generated.items():
        for label, operation in operations(document):
            responses = operation["responses"]
            expected = set()
            if operation.get("security"):
                # 403 is not required: an operation open to all may still read an optional token.
                expected.add("401")
            if operation.get("parameters") or operation.get("requestBody"):
                expected.add("422")
            parameters = {p["name"].lower() for p in operation.get("parameters", [])}
            if "if-match" in parameters:
                expected |= {"412", "428"}
            if "idempotency-key" in parameters:
                expected |= {"409", "422"}
            if "page_token" in parameters:
                expected.add("400")
            if set(expected) - set(responses):
                missing.append(f"{service}: {label} lacks {sorted(set(expected) - set(responses))}")
    assert not missing, "\n".join(missing)


def test_creating_posts_accept_an_idempotency_key(generated):
    missing = []
    for service, document in generated.items():
        for label, operation in operations(document):
            if label.startswith("POST") and "201" in operation["responses"]:
                names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
                if "Idempotency-Key" not in names:
                    missing.append(f"{service}: {label}")
    assert not missing, f"creating POSTs without Idempotency-Key: {missing}"
