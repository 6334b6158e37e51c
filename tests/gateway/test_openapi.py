"""The merged OpenAPI document and the docs pages that read it, served without any CDN."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from openapi_spec_validator import validate

from gateway.openapi import HTTP_METHODS, build_document, merge_documents
from gateway.upstreams import Upstream
from services.common.openapi import SECURITY_SCHEME, duplicate_operation_ids, oauth2_scheme, response_headers
from services.common.problems import problem_schema_components


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []


def _resolves(document: dict[str, Any], ref: str) -> bool:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


async def test_merged_document_holds_every_published_service(
    gateway: httpx.AsyncClient, vendors_snapshot: Path
):
    response = await gateway.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()

    vendors = json.loads(vendors_snapshot.read_bytes())  # noqa: ASYNC240 (a small local file)
    assert set(vendors["paths"]) <= set(document["paths"])
    assert "/v1/procurement/vendors" in document["paths"]
    assert document["openapi"].startswith("3.")
    # One server, the gateway: public (`x-internal: false`), its environment named for the linters.
    [server] = document["servers"]
    assert server["url"] == "/" and server["x-internal"] is False
    assert server["description"].startswith("The CityOps gateway of the environment")
    assert duplicate_operation_ids(document) == []
    assert all(_resolves(document, ref) for ref in _refs(document))
    assert document["components"]["schemas"]["Problem"] == problem_schema_components()["Problem"]
    assert document["components"]["securitySchemes"]


async def test_a_client_generator_reads_every_merged_operation(gateway: httpx.AsyncClient):
    document = (await gateway.get("/openapi.json")).json()
    operations = [result.ok() for result in schemathesis.openapi.from_dict(document).get_all_operations()]
    expected = sum(
        1 for path_item in document["paths"].values() for method in path_item if method in HTTP_METHODS
    )
    assert len(operations) == expected > 0


async def test_merged_operations_document_the_gateway_s_own_answers(gateway: httpx.AsyncClient):
    document = (await gateway.get("/openapi.json")).json()
    create = document["paths"]["/v1/procurement/vendors"]["post"]
    listing = document["paths"]["/v1/procurement/vendors"]["get"]

    assert {"413", "429", "502", "503", "504"} <= set(create["responses"])
    assert {"429", "502", "503", "504"} <= set(listing["responses"])
    assert "413" not in listing["responses"]  # nothing to upload
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    assert create["responses"]["429"]["content"]["application/problem+json"]["schema"] == problem_ref
    # The gateway's rate headers on every answer, Retry-After where it refuses or cannot reach a service.
    for status, response in create["responses"].items():
        assert {"X-Request-ID", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(
            response["headers"]
        ), status
    assert "Retry-After" in create["responses"]["429"]["headers"]
    assert "Retry-After" in create["responses"]["503"]["headers"]
    assert "urn:cityops:problem:rate-limited" in create["responses"]["429"]["x-problem-types"]


async def test_the_merged_document_is_valid_with_one_security_scheme(gateway: httpx.AsyncClient):
    document = (await gateway.get("/openapi.json")).json()
    validate(document)
    assert document["components"]["securitySchemes"] == {SECURITY_SCHEME: oauth2_scheme()}
    assert document["components"]["headers"] == response_headers()
    clock = document["paths"]["/v1/sandbox/clock"]["get"]
    assert clock["security"] == [{SECURITY_SCHEME: ["sandbox:clock"]}]
    assert document["paths"]["/v1/procurement/directory"]["get"]["security"] == []
    vendors_create = document["paths"]["/v1/procurement/vendors"]["post"]
    assert vendors_create["security"] == [{SECURITY_SCHEME: ["procurement:write"]}]


async def test_the_rate_headers_documented_are_sent(gateway: httpx.AsyncClient):
    response = await gateway.get("/v1/procurement/directory")
    assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "x-request-id"} <= set(
        response.headers
    )


def _service(name: str, prefix: str, status_enum: list[str], operation_id: str) -> dict[str, Any]:
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    return {
        "openapi": "3.1.0",
        "info": {"title": f"CityOps {name}", "version": "1.0.0"},
        "tags": [{"name": "audit", "description": f"{name} audit"}],
        "paths": {
            f"{prefix}/things": {
                "get": {
                    "operationId": operation_id,
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Status"}}
                            }
                        },
                        "404": {"content": {"application/problem+json": {"schema": problem_ref}}},
                    },
                }
            },
            "/outside/the/prefix": {"get": {"operationId": f"{name}_stray", "responses": {}}},
        },
        "components": {
            "schemas": {
                "Status": {"type": "string", "enum": status_enum},
                "Money": {"type": "object", "properties": {"amount": {"type": "string"}}},
                "Problem": {"type": "object", "title": "an older Problem"},
            }
        },
    }


def test_merge_renames_colliding_schemas_and_operation_ids():
    assets = Upstream("assets", "/v1/real-estate", "http://assets", Path("unused.json"))
    safety = Upstream("safety", "/v1/safety", "http://safety", Path("unused.json"))

    merged = merge_documents(
        [
            (assets, _service("assets", "/v1/real-estate", ["owned", "leased"], "audit_list")),
            (safety, _service("safety", "/v1/safety", ["open", "closed"], "audit_list")),
        ],
        server_url="https://api.example.city",
    )

    schemas = merged["components"]["schemas"]
    assert schemas["Status"]["enum"] == ["owned", "leased"]
    assert schemas["SafetyStatus"]["enum"] == ["open", "closed"]
    assert "SafetyMoney" not in schemas  # identical content is kept once
    assert schemas["Problem"] == problem_schema_components()["Problem"]  # the kernel's, always
    safety_get = merged["paths"]["/v1/safety/things"]["get"]
    ok_schema = safety_get["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok_schema == {"$ref": "#/components/schemas/SafetyStatus"}
    assert safety_get["operationId"] == "safety_audit_list"
    assert merged["paths"]["/v1/real-estate/things"]["get"]["operationId"] == "audit_list"
    assert duplicate_operation_ids(merged) == []
    assert "/outside/the/prefix" not in merged["paths"]  # the gateway would not route it
    assert [tag["name"] for tag in merged["tags"]] == ["audit"]
    assert merged["servers"][0]["url"] == "https://api.example.city"
    assert all(_resolves(merged, ref) for ref in _refs(merged))


def test_a_missing_or_broken_snapshot_is_skipped(tmp_path: Path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    document = build_document(
        [
            Upstream("assets", "/v1/real-estate", "http://assets", tmp_path / "missing.json"),
            Upstream("safety", "/v1/safety", "http://safety", broken),
        ],
        server_url="/",
    )
    assert document["paths"] == {}
    assert "Problem" in document["components"]["schemas"]


async def test_docs_pages_load_their_assets_from_the_gateway(gateway: httpx.AsyncClient):
    for page, expected_assets in (
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css"}),
        ("/redoc", {"redoc.standalone.js"}),
    ):
        response = await gateway.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        assert "/openapi.json" in html
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources and all(source.startswith("/docs-assets/") for source in sources), sources
        assert {source.rsplit("/", 1)[1] for source in sources} >= expected_assets
        for source in sources:
            asset = await gateway.get(source)
            assert asset.status_code == 200, source
            assert len(asset.content) > 1000, source
