"""What the gateway refuses itself, before anything reaches a service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.common.auth import mint_token

from .conftest import ALLOWED_ORIGIN, MAX_BODY_BYTES
from .gateway_testkit import CHUNK, EchoUpstream, problem


async def test_a_bad_token_is_refused_at_the_edge(gateway: httpx.AsyncClient, echo: EchoUpstream):
    before = echo.completed
    response = await gateway.post("/v1/echo/anything", headers={"Authorization": "Bearer not-a-jwt"})

    document = problem(response, 401)
    assert document["detail"] == "The token is not valid for this API."
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.headers["x-request-id"] == document["instance"]
    assert echo.completed == before  # never forwarded


async def test_an_expired_token_is_refused_at_the_edge(gateway: httpx.AsyncClient, token):
    expired = token(ttl=-60)
    response = await gateway.get("/v1/procurement/vendors", headers={"Authorization": f"Bearer {expired}"})
    assert problem(response, 401)["detail"] == "The token has expired."


async def test_a_token_signed_with_another_key_is_refused(gateway: httpx.AsyncClient):
    forged = mint_token("someone-else-s-secret-" + "z" * 20, sub="mallory", scopes="procurement:write")
    response = await gateway.get("/v1/procurement/vendors", headers={"Authorization": f"Bearer {forged}"})
    problem(response, 401)


async def test_a_non_bearer_authorization_is_refused(gateway: httpx.AsyncClient):
    response = await gateway.get("/v1/echo/anything", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert problem(response, 401)["detail"] == "Send `Authorization: Bearer <token>`."
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_valid_token_passes_the_edge(gateway: httpx.AsyncClient, auth):
    response = await gateway.get("/v1/procurement/vendors", headers=auth("procurement:read"))
    assert response.status_code == 200, response.text
    assert "items" in response.json()


@pytest.mark.parametrize("path", ["/v2/procurement/vendors", "/v1/nothing-here", "/v1/procurementx", "/"])
async def test_unknown_paths_are_404_problems(gateway: httpx.AsyncClient, path: str):
    response = await gateway.get(path)
    document = problem(response, 404)
    assert document["type"] == "urn:cityops:problem:not-found"


async def test_a_declared_oversized_body_is_refused_at_once(gateway: httpx.AsyncClient, echo: EchoUpstream):
    before = echo.completed
    response = await gateway.post("/v1/echo/uploads", content=b"x" * (MAX_BODY_BYTES + 1))

    document = problem(response, 413)
    assert document["max_bytes"] == MAX_BODY_BYTES
    assert str(MAX_BODY_BYTES + 1) in document["detail"]
    assert echo.completed == before


async def test_a_body_at_the_limit_is_accepted(gateway: httpx.AsyncClient):
    response = await gateway.post("/v1/echo/uploads", content=b"x" * MAX_BODY_BYTES)
    assert response.status_code == 200
    assert response.json()["body_length"] == MAX_BODY_BYTES


async def test_a_chunked_body_growing_past_the_limit_is_refused(
    gateway: httpx.AsyncClient, echo: EchoUpstream
):
    before = echo.completed

    async def endless_upload() -> AsyncIterator[bytes]:
        for _ in range(2 * MAX_BODY_BYTES // CHUNK):
            yield b"y" * CHUNK

    response = await gateway.post("/v1/echo/uploads", content=endless_upload())

    document = problem(response, 413)
    assert document["max_bytes"] == MAX_BODY_BYTES
    # The upstream saw the upload break off: it never handled a truncated body as a whole one.
    assert echo.completed == before


async def test_the_rate_limit_answers_429_with_retry_after(strict_gateway_url: str, auth):
    async with httpx.AsyncClient(base_url=strict_gateway_url) as client:
        for remaining in (2, 1, 0):
            response = await client.get("/v1/procurement/vendors", headers=auth(sub="busy-client"))
            assert response.status_code == 200
            assert response.headers["ratelimit-limit"] == "3"
            assert response.headers["ratelimit-remaining"] == str(remaining)

        refused = await client.get("/v1/procurement/vendors", headers=auth(sub="busy-client"))
        document = problem(refused, 429)
        assert document["type"] == "urn:cityops:problem:rate-limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["ratelimit-remaining"] == "0"

        # The limit is per client: another token's subject, and probes, still pass.
        other = await client.get("/v1/procurement/vendors", headers=auth(sub="quiet-client"))
        assert other.status_code == 200
        assert (await client.get("/healthz")).status_code == 200


async def test_requests_without_a_token_are_limited_by_address(strict_gateway_url: str):
    async with httpx.AsyncClient(base_url=strict_gateway_url) as client:
        statuses = [(await client.get("/v1/procurement/vendors")).status_code for _ in range(4)]
        # Bad tokens count against the address too, so forging tokens buys no extra requests.
        forged = await client.get("/v1/procurement/vendors", headers={"Authorization": "Bearer forged"})
    assert statuses[:3] == [401, 401, 401]  # the service's own answer: forwarded, then refused there
    assert statuses[3] == 429
    problem(forged, 429)


async def test_cors_preflight_for_an_allowed_origin(gateway: httpx.AsyncClient):
    response = await gateway.options(
        "/v1/procurement/vendors",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "idempotency-key" in allowed_headers and "authorization" in allowed_headers


async def test_cors_preflight_for_another_origin_is_not_allowed(gateway: httpx.AsyncClient):
    response = await gateway.options(
        "/v1/procurement/vendors",
        headers={"Origin": "https://elsewhere.example.com", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_cors_headers_on_answers_a_browser_reads(gateway: httpx.AsyncClient):
    response = await gateway.get("/v1/echo/anything", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed and "retry-after" in exposed and "etag" in exposed

    refused = await gateway.get(
        "/v1/echo/anything", headers={"Origin": ALLOWED_ORIGIN, "Authorization": "Bearer nope"}
    )
    problem(refused, 401)
    assert refused.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
