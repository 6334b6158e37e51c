"""Every error a client sees is RFC 9457 problem+json with a stable type; a 500 reveals nothing inside."""

from __future__ import annotations

import logging
import uuid

import pytest

from services.common.problems import (
    MAX_FIELD_ERRORS,
    PROBLEM_MEDIA_TYPE,
    Conflict,
    FieldError,
    InvalidTransition,
    NotFound,
    UnprocessableEntity,
    ValidationFailed,
    problem_responses,
)
from tests.problems import assert_problem

from .conftest import bearer
from .kernel_app import PREFIX, SECRET_IN_ERROR


async def test_body_validation_errors_name_each_field_and_its_location(kernel):
    response = await kernel.post(
        f"{PREFIX}/items", json={"tag": "", "rank": "high", "colour": "red"}, headers=bearer()
    )

    body = assert_problem(response, 422, "validation-error")
    by_location = {tuple(error["location"]): error for error in body["errors"]}
    assert by_location[("body", "tag")]["code"] == "string_too_short"
    assert by_location[("body", "name")]["code"] == "missing"
    assert by_location[("body", "rank")]["code"] == "int_parsing"
    assert by_location[("body", "colour")]["code"] == "extra_forbidden"
    assert all(error["message"] for error in body["errors"])


async def test_query_and_path_validation_errors_carry_their_location(kernel):
    response = await kernel.get(f"{PREFIX}/items", params={"page_size": 0}, headers=bearer())
    locations = [error["location"] for error in assert_problem(response, 422, "validation-error")["errors"]]
    assert ["query", "page_size"] in locations
    assert ["query", "tag"] in locations

    response = await kernel.get(f"{PREFIX}/items/not-a-uuid", headers=bearer())
    errors = assert_problem(response, 422, "validation-error")["errors"]
    assert [error["location"] for error in errors] == [["path", "item_id"]]


async def test_malformed_json_is_a_validation_problem(kernel):
    response = await kernel.post(
        f"{PREFIX}/items",
        content=b'{"tag": "x", ',
        headers={**bearer(), "Content-Type": "application/json"},
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["location"][0] == "body"


async def test_unknown_path_is_a_404_problem(kernel):
    response = await kernel.get("/v1/kernel/no-such-thing")
    body = assert_problem(response, 404, "not-found")
    assert body["detail"] == "No resource lives at this path."


async def test_a_trailing_slash_is_a_404_problem_not_a_redirect(kernel):
    response = await kernel.get(f"{PREFIX}/items/", headers=bearer())
    assert_problem(response, 404, "not-found")
    assert "location" not in response.headers


async def test_unknown_resource_is_a_404_problem_naming_it(kernel):
    missing = uuid.uuid4()
    response = await kernel.get(f"{PREFIX}/items/{missing}", headers=bearer())
    assert str(missing) in assert_problem(response, 404, "not-found")["detail"]


async def test_wrong_method_is_a_405_problem_with_allow(kernel):
    response = await kernel.delete(f"{PREFIX}/items")
    assert_problem(response, 405, "method-not-allowed")
    # Every method of the path, though each is a route of its own to the router.
    assert response.headers["allow"] == "GET, POST"


async def test_wrong_method_on_a_templated_path_lists_its_methods(kernel):
    response = await kernel.put(f"{PREFIX}/items/{uuid.uuid4()}")
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET, PATCH"


async def test_body_that_is_not_text_is_a_validation_problem(kernel):
    response = await kernel.post(
        f"{PREFIX}/items", content=b"\xff\xfe{", headers={**bearer(), "Content-Type": "application/json"}
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"] == [
        {"location": ["body"], "message": "Invalid UTF-8 in JSON", "code": "json_invalid"}
    ]


async def test_unexpected_exception_is_a_500_naming_only_the_request_id(kernel, caplog):
    with caplog.at_level(logging.ERROR, logger="cityops.problems"):
        response = await kernel.get(f"{PREFIX}/failures/exception", headers={"X-Request-ID": "req-500-a"})

    body = assert_problem(response, 500, "internal-error")
    assert body["instance"] == "req-500-a"
    assert response.headers["x-request-id"] == "req-500-a"
    assert SECRET_IN_ERROR not in response.text
    assert "RuntimeError" not in response.text and "Traceback" not in response.text
    # The operator's side keeps the whole story, under the same request id.
    logged = [record for record in caplog.records if record.name == "cityops.problems"]
    assert logged and logged[0].exc_info is not None
    assert getattr(logged[0], "request_id", None) == "req-500-a"


async def test_database_error_is_a_500_without_sql(kernel):
    response = await kernel.get(f"{PREFIX}/failures/sql")

    body = assert_problem(response, 500, "internal-error")
    assert body["instance"] == response.headers["x-request-id"]
    for leak in ("missing_secret_table", "secret_column", "SELECT", "asyncpg", "sqlalchemy"):
        assert leak not in response.text


def test_extra_members_travel_in_the_problem():
    problem = InvalidTransition("No.", allowed_transitions=["active"], current_status="draft").to_problem()
    document = problem.model_dump(mode="json", exclude_none=True)
    assert document["allowed_transitions"] == ["active"]
    assert document["current_status"] == "draft"
    assert document["status"] == 409


def test_problem_responses_document_problem_json_and_merge_same_status():
    responses = problem_responses(NotFound, Conflict, InvalidTransition)

    assert set(responses) == {404, 409}
    assert responses[409]["x-problem-types"] == [
        "urn:cityops:problem:conflict",
        "urn:cityops:problem:invalid-transition",
    ]
    assert (
        "`urn:cityops:problem:invalid-transition`: This status change is not allowed"
        in (responses[409]["description"])
    )
    for entry in responses.values():
        assert entry["content"] == {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def test_a_422_is_documented_and_answered_with_errors():
    responses = problem_responses(UnprocessableEntity)
    assert responses[422]["content"] == {
        PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ValidationProblem"}}
    }
    # Merged with a problem of the plain schema, the status keeps the schema both share.
    assert (
        problem_responses(UnprocessableEntity, Conflict, ValidationFailed)[422]["content"]
        == (responses[422]["content"])
    )

    problem = UnprocessableEntity("The file cannot be read.", line=3).to_problem()
    assert problem.model_dump(mode="json", exclude_none=True)["errors"] == [
        {"location": ["body"], "message": "The file cannot be read.", "code": "unprocessable-entity"}
    ]


@pytest.mark.parametrize("path", ["/openapi.json"])
async def test_openapi_documents_validation_errors_as_problems(kernel, path):
    document = (await kernel.get(path)).json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert {"Problem", "FieldError"} <= set(schemas)
    create = document["paths"][f"{PREFIX}/items"]["post"]
    assert PROBLEM_MEDIA_TYPE in create["responses"]["422"]["content"]


async def test_value_the_database_cannot_store_is_a_validation_problem(kernel):
    # PostgreSQL text cannot hold NUL: the client's value, not the server, is at fault.
    response = await kernel.post(f"{PREFIX}/items", json={"tag": "nul", "name": "a\u0000b"}, headers=bearer())
    body = assert_problem(response, 422, "validation-error")
    assert "cannot be stored" in body["detail"]
    assert "0x00" not in response.text and "UTF8" not in response.text


def test_an_app_error_with_more_field_errors_than_the_schema_allows_sends_the_first_hundred():
    errors = [
        FieldError(location=["body", "space_ids", n], message="no such space", code="not_found")
        for n in range(101)
    ]

    problem = ValidationFailed("Spaces not found.", errors=errors).to_problem()

    assert [error.location for error in problem.errors] == [
        ["body", "space_ids", n] for n in range(MAX_FIELD_ERRORS)
    ]
