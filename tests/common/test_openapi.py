"""The OpenAPI document the kernel derives from the routes, as generated clients read it, checked against
what the server does: the token each operation needs, the headers it sends, the problems it answers."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

import httpx
from fastapi import FastAPI, Response
from openapi_spec_validator import validate

from services.common.auth import Principal, Viewer, optional_token, requires, requires_one_of
from services.common.openapi import SECURITY_SCHEME, misnamed_operations
from services.common.unit_of_work import service_router
from tests.problems import assert_problem

from .conftest import bearer
from .kernel_app import PREFIX


def _router() -> Any:
    """One route per kind of auth dependency, beside the kernel test service's items."""
    router = service_router(tags=["access"])

    @router.get("/access/public")
    async def access_public() -> dict[str, str]:
        return {"who": "anyone"}

    @router.get("/access/optional")
    async def access_optional(viewer: Annotated[Principal | None, optional_token("kernel:read")]) -> dict:
        return {"who": viewer.sub if viewer else None}

    @router.get("/access/checked")
    async def access_checked(viewer: Viewer) -> dict:
        return {"who": viewer.sub if viewer else None}

    @router.get("/access/either")
    async def access_either(
        principal: Annotated[Principal, requires_one_of("kernel:read", "kernel:write")],
    ) -> dict:
        return {"who": principal.sub}

    @router.get("/access/both")
    async def access_both(
        principal: Annotated[Principal, requires("kernel:read", "kernel:write")], response: Response
    ) -> dict:
        return {"who": principal.sub}

    return router


async def _app_and_document(make_kernel_app) -> tuple[FastAPI, dict[str, Any]]:
    app = await make_kernel_app(_router())
    return app, app.openapi()


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"][f"{PREFIX}{path}"][method]
    return operation


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://kernel.test")


async def test_the_document_is_valid_openapi_with_servers(make_kernel_app):
    _, document = await _app_and_document(make_kernel_app)
    validate(document)
    assert [server["url"] for server in document["servers"]] == ["http://127.0.0.1:8000", "/"]


async def test_each_operation_states_the_token_it_needs(make_kernel_app):
    _, document = await _app_and_document(make_kernel_app)

    def security(method: str, path: str) -> Any:
        return _operation(document, method, path)["security"]

    assert security("get", "/access/public") == []
    assert security("get", "/access/optional") == [{}, {SECURITY_SCHEME: ["kernel:read"]}]
    assert security("get", "/access/checked") == [{}, {SECURITY_SCHEME: []}]
    assert security("get", "/access/either") == [
        {SECURITY_SCHEME: ["kernel:read"]},
        {SECURITY_SCHEME: ["kernel:write"]},
    ]
    assert security("get", "/access/both") == [{SECURITY_SCHEME: ["kernel:read", "kernel:write"]}]
    assert security("post", "/items") == [{SECURITY_SCHEME: ["kernel:write"]}]
    scheme = document["components"]["securitySchemes"]
    assert list(scheme) == [SECURITY_SCHEME]
    flow = scheme[SECURITY_SCHEME]["flows"]["clientCredentials"]
    assert {"procurement:read", "kernel:read", "kernel:write"} <= set(flow["scopes"])
    assert "cityops token" in scheme[SECURITY_SCHEME]["description"]


async def test_what_the_security_says_is_what_the_server_does(make_kernel_app):
    app, document = await _app_and_document(make_kernel_app)
    async with _client(app) as client:
        # Anonymous where `{}` is an alternative; a token sent must still be valid.
        assert (await client.get(f"{PREFIX}/access/optional")).json() == {"who": None}
        assert (await client.get(f"{PREFIX}/access/public")).status_code == 200
        invalid = {"Authorization": "Bearer not-a-token"}
        assert_problem(await client.get(f"{PREFIX}/access/optional", headers=invalid), 401, "unauthorized")
        assert "401" in _operation(document, "get", "/access/optional")["responses"]
        # Required: 401 without a token, 403 without the scopes.
        assert_problem(await client.get(f"{PREFIX}/access/both"), 401, "unauthorized")
        refused = await client.get(f"{PREFIX}/access/both", headers=bearer("kernel:read"))
        assert assert_problem(refused, 403, "forbidden")["required_scopes"] == ["kernel:read", "kernel:write"]
        allowed = await client.get(f"{PREFIX}/access/both", headers=bearer("kernel:read kernel:write"))
        assert allowed.status_code == 200
        assert (await client.get(f"{PREFIX}/access/either", headers=bearer(""))).status_code == 200
        assert_problem(await client.get(f"{PREFIX}/access/either"), 401, "unauthorized")


async def test_declared_response_headers_are_the_ones_sent(make_kernel_app):
    app, document = await _app_and_document(make_kernel_app)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    async with _client(app) as client:
        created = await client.post(
            f"{PREFIX}/items", json={"tag": "doc", "name": "a"}, headers=bearer() | key
        )
        replayed = await client.post(
            f"{PREFIX}/items", json={"tag": "doc", "name": "a"}, headers=bearer() | key
        )
        read = await client.get(created.headers["location"], headers=bearer())
        missing = await client.get(f"{PREFIX}/items/{uuid.uuid4()}", headers=bearer())
    create = _operation(document, "post", "/items")["responses"]
    assert set(create["201"]["headers"]) == {"X-Request-ID", "ETag", "Location", "Idempotent-Replayed"}
    for name in ("X-Request-ID", "ETag", "Location"):
        assert name in created.headers and name in replayed.headers
    assert "Idempotent-Replayed" not in created.headers and replayed.headers["Idempotent-Replayed"] == "true"

    get = _operation(document, "get", "/items/{item_id}")["responses"]
    assert set(get["200"]["headers"]) == {"X-Request-ID", "ETag"}
    assert set(read.headers) >= {"x-request-id", "etag"}
    assert set(get["404"]["headers"]) == {"X-Request-ID"} and "x-request-id" in missing.headers
    # The ETag's documented form is the one sent, and the one If-Match takes.
    headers = document["components"]["headers"]
    assert re.fullmatch(headers["ETag"]["schema"]["pattern"], read.headers["etag"])
    if_match = next(
        p for p in _operation(document, "patch", "/items/{item_id}")["parameters"] if p["name"] == "If-Match"
    )
    assert if_match["required"] is True
    assert re.fullmatch(if_match["schema"]["pattern"], read.headers["etag"])
    assert re.fullmatch(if_match["schema"]["pattern"], "*")
    assert not re.fullmatch(if_match["schema"]["pattern"], "v1")


async def test_operations_list_the_problem_types_the_kernel_can_answer(make_kernel_app):
    _, document = await _app_and_document(make_kernel_app)
    patch = _operation(document, "patch", "/items/{item_id}")["responses"]

    def types(status: str) -> list[str]:
        return [uri.removeprefix("urn:cityops:problem:") for uri in patch[status]["x-problem-types"]]

    assert types("400") == ["invalid-entity-tag"]
    assert types("412") == ["precondition-failed"]
    assert types("428") == ["precondition-required"]
    assert types("413") == ["payload-too-large"]
    assert types("500") == ["internal-error"]
    assert types("503") == ["service-unavailable"]
    assert "Retry-After" in patch["503"]["headers"]
    assert patch["422"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationProblem"
    }
    create = _operation(document, "post", "/items")["responses"]
    assert "urn:cityops:problem:conflict" in create["409"]["x-problem-types"]  # a key still in flight
    assert "Retry-After" in create["409"]["headers"]
    problem = document["components"]["schemas"]["Problem"]["properties"]
    assert {"errors", "allowed_transitions", "current_status", "current_etag", "line"} <= set(problem)
    assert document["components"]["schemas"]["ValidationProblem"]["required"][-1] == "errors"


async def test_success_responses_are_described_for_their_operation(make_kernel_app):
    _, document = await _app_and_document(make_kernel_app)
    descriptions = [
        response["description"]
        for path_item in document["paths"].values()
        for operation in path_item.values()
        for response in operation["responses"].values()
    ]
    assert "Successful Response" not in descriptions
    assert _operation(document, "post", "/items")["responses"]["201"]["description"].startswith(
        "Created: the new `Item`"
    )
    assert _operation(document, "get", "/items")["responses"]["200"]["description"].startswith(
        "A page of `Item`"
    )


def test_operation_ids_are_checked_as_tag_then_action():
    document = {
        "paths": {
            "/a": {"get": {"operationId": "items_list", "tags": ["items"]}},
            "/b": {"get": {"operationId": "listItems", "tags": ["items"]}},
            "/c": {"get": {"operationId": "things_list", "tags": ["items"]}},
            "/e": {"get": {"operationId": "procurement_metrics_list", "tags": ["metrics"]}},
            "/f": {"get": {"operationId": "items", "tags": ["items"]}},
            "/d": {"get": {"operationId": "certifying_agencies_list", "tags": ["certifying-agencies"]}},
        }
    }
    assert misnamed_operations(document) == ["GET /b: listItems", "GET /c: things_list", "GET /f: items"]
