"""The committed OpenAPI snapshots are current and follow the platform's conventions (DESIGN §4)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from cli.openapi import documents, render, snapshot_path
from services.common.auth import PLATFORM_SCOPES
from services.common.openapi import duplicate_operation_ids, misnamed_operations
from services.common.problems import PROBLEM_MEDIA_TYPE

pytestmark = pytest.mark.contract

METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}
PROBLEM_SCHEMAS = {"#/components/schemas/Problem", "#/components/schemas/ValidationProblem"}


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
    wrong = [
        f"{service}: {label}"
        for service, document in generated.items()
        for label in misnamed_operations(document)
    ]
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
                content = response.get("content", {})
                reference = content.get(PROBLEM_MEDIA_TYPE, {}).get("schema", {}).get("$ref")
                if set(content) != {PROBLEM_MEDIA_TYPE} or reference not in PROBLEM_SCHEMAS:
                    wrong.append(f"{service}: {label} {status} is not application/problem+json")
                if status == "422" and reference != "#/components/schemas/ValidationProblem":
                    wrong.append(f"{service}: {label} 422 does not promise `errors`")
                if not response.get("x-problem-types"):
                    wrong.append(f"{service}: {label} {status} lists no problem types")
    assert not wrong, "\n".join(wrong)


INVALID_PARAMETER = "urn:cityops:problem:invalid-parameter"


def test_operations_document_the_problems_they_can_answer(generated):
    missing = []
    for service, document in generated.items():
        for label, operation in operations(document):
            responses = operation["responses"]
            expected = {"500", "503"}
            if operation.get("security"):
                # 403 is not required: an operation open to all may still read an optional token.
                expected.add("401")
            bad_parameters_400 = INVALID_PARAMETER in responses.get("400", {}).get("x-problem-types", [])
            if operation.get("parameters") and bad_parameters_400:
                expected.add("400")  # a standard's 400 (OGC API - Features) instead of the 422
            elif operation.get("parameters") or operation.get("requestBody"):
                expected.add("422")
            parameters = {p["name"].lower() for p in operation.get("parameters", [])}
            if "if-match" in parameters:
                expected |= {"400", "412", "428"}
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


def test_documents_are_valid_openapi(generated):
    for document in generated.values():
        validate(document)


def test_every_operation_states_its_security_with_platform_scopes(generated):
    wrong = []
    for service, document in generated.items():
        for label, operation in operations(document):
            if "security" not in operation:
                wrong.append(f"{service}: {label} states no security (public operations say [])")
                continue
            for requirement in operation["security"]:
                unknown = set(requirement.get("oauth2", [])) - set(PLATFORM_SCOPES)
                if set(requirement) - {"oauth2"} or unknown:
                    wrong.append(f"{service}: {label} requires {requirement}, not platform scopes")
    assert not wrong, "\n".join(wrong)


def test_every_response_is_described_and_carries_the_request_id(generated):
    wrong = []
    for service, document in generated.items():
        for label, operation in operations(document):
            for status, response in operation["responses"].items():
                headers = response.get("headers", {})
                if response.get("description") in (None, "", "Successful Response"):
                    wrong.append(f"{service}: {label} {status} has no description of its own")
                if "X-Request-ID" not in headers:
                    wrong.append(f"{service}: {label} {status} does not declare X-Request-ID")
                if status == "201" and "Location" not in headers:
                    wrong.append(f"{service}: {label} 201 does not declare Location")
                if status in ("429", "503") and "Retry-After" not in headers:
                    wrong.append(f"{service}: {label} {status} does not declare Retry-After")
    assert not wrong, "\n".join(wrong)


def test_documents_name_their_servers(generated):
    for document in generated.values():
        assert {server["url"] for server in document["servers"]} >= {"/"}


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    for label, operation in operations(document):
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(status, response) for status, response in operation["responses"].items()]
        for where, body in bodies:
            for media_type, media in body.get("content", {}).items():
                if "example" in media:
                    yield f"{label} {where} {media_type}", media["schema"], media["example"]


def test_examples_are_valid_against_their_schemas(generated):
    checked, wrong = 0, []
    for service, document in generated.items():
        for label, schema, example in _examples(document):
            validator = Draft202012Validator({**schema, "components": document["components"]})
            errors = [error.message for error in validator.iter_errors(example)]
            if errors:
                wrong.append(f"{service}: {label}: {errors[:3]}")
            checked += 1
    assert not wrong, "\n".join(wrong)
    assert checked >= 3  # vendors create (request and answer), get and list at least


def test_the_main_vendor_operations_have_examples(generated):
    paths = generated["vendors"]["paths"]
    create = paths["/v1/procurement/vendors"]["post"]
    assert "example" in create["requestBody"]["content"]["application/json"]
    assert "example" in create["responses"]["201"]["content"]["application/json"]
    assert (
        "example"
        in paths["/v1/procurement/vendors"]["get"]["responses"]["200"]["content"]["application/json"]
    )
    get = paths["/v1/procurement/vendors/{vendor_id}"]["get"]
    assert "example" in get["responses"]["200"]["content"]["application/json"]
