"""What reaches the upstream, and what comes back, when a request goes through the gateway."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from .gateway_testkit import CHUNK, EchoUpstream, pattern_bytes, problem


def _headers(echoed: dict) -> dict[str, list[str]]:
    received: dict[str, list[str]] = {}
    for name, value in echoed["headers"]:
        received.setdefault(name, []).append(value)
    return received


async def test_method_path_query_headers_and_body_arrive_unchanged(gateway: httpx.AsyncClient):
    body = b'{"legal_name": "Lincoln Heights Jail Partners", "note": "caf\xc3\xa9"}'
    response = await gateway.request(
        "PATCH",
        "/v1/echo/vendors/a%2Fb%20c?status=active&status=draft&q=caf%C3%A9",
        content=body,
        headers=[
            ("Content-Type", "application/json"),
            ("If-Match", '"v3"'),
            ("X-Trace-Tag", "one"),
            ("X-Trace-Tag", "two"),
        ],
    )

    assert response.status_code == 200
    echoed = response.json()
    assert echoed["method"] == "PATCH"
    assert echoed["raw_path"] == "/v1/echo/vendors/a%2Fb%20c"
    assert echoed["query_string"] == "status=active&status=draft&q=caf%C3%A9"
    assert echoed["body_sha256"] == hashlib.sha256(body).hexdigest()
    received = _headers(echoed)
    assert received["content-type"] == ["application/json"]
    assert received["content-length"] == [str(len(body))]
    assert received["if-match"] == ['"v3"']
    assert received["x-trace-tag"] == ["one", "two"]
    # The upstream's own headers come back too.
    assert response.headers["x-upstream"] == "echo"


async def test_the_client_s_own_headers_only(gateway: httpx.AsyncClient, echo_server):
    """The gateway's HTTP library adds nothing the client did not send (no Accept-Encoding that would
    make the upstream compress for a client that cannot decompress)."""
    request = gateway.build_request("GET", "/v1/echo/plain")
    for name in ("accept", "accept-encoding", "user-agent"):
        del request.headers[name]
    response = await gateway.send(request)

    received = _headers(response.json())
    assert "accept-encoding" not in received
    assert "user-agent" not in received
    assert received["host"] == [urlsplit(echo_server.url).netloc]


async def test_hop_by_hop_headers_are_dropped_both_ways(gateway: httpx.AsyncClient):
    response = await gateway.get(
        "/v1/echo/hops",
        headers={
            "Connection": "keep-alive, X-Client-Hop",
            "X-Client-Hop": "per-connection",
            "Keep-Alive": "timeout=5",
            "TE": "trailers",
            "Proxy-Authorization": "Basic Zm9vOmJhcg==",
            "X-End-To-End": "kept",
        },
    )
    received = _headers(response.json())
    for name in ("x-client-hop", "keep-alive", "te", "proxy-authorization"):
        assert name not in received, name
    assert received["x-end-to-end"] == ["kept"]
    assert received.get("connection", ["keep-alive"]) == ["keep-alive"]  # the gateway's own connection

    response = await gateway.get("/v1/echo/hop-headers")
    assert response.status_code == 200
    for name in ("x-upstream-hop", "keep-alive", "proxy-authenticate"):
        assert name not in response.headers, name
    assert response.headers["x-kept"] == "end-to-end"
    assert response.text == "ok"


async def test_forwarded_headers_describe_the_client(gateway: httpx.AsyncClient, gateway_url: str):
    response = await gateway.get("/v1/echo/who", headers={"X-Forwarded-For": "203.0.113.9"})
    received = _headers(response.json())
    # Appended to, never replaced: the upstream trusts only the last hop, which the gateway saw.
    assert received["x-forwarded-for"] == ["203.0.113.9, 127.0.0.1"]
    assert received["x-forwarded-proto"] == ["http"]
    assert received["x-forwarded-host"] == [urlsplit(gateway_url).netloc]


async def test_request_id_is_passed_upstream_and_echoed(gateway: httpx.AsyncClient):
    response = await gateway.get("/v1/echo/traced", headers={"X-Request-ID": "permits-42.retry:1"})
    assert response.headers.get_list("x-request-id") == ["permits-42.retry:1"]
    assert _headers(response.json())["x-request-id"] == ["permits-42.retry:1"]

    response = await gateway.get("/v1/echo/untraced")
    generated = response.headers.get_list("x-request-id")
    assert len(generated) == 1 and generated[0]
    assert _headers(response.json())["x-request-id"] == generated


async def test_a_large_response_streams_through_intact(gateway: httpx.AsyncClient):
    size = 24 * 1024 * 1024 + 123
    digest, received = hashlib.sha256(), 0
    async with gateway.stream("GET", "/v1/echo/stream", params={"bytes": size}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/octet-stream"
        async for chunk in response.aiter_raw():
            digest.update(chunk)
            received += len(chunk)
    assert received == size
    assert digest.hexdigest() == hashlib.sha256(pattern_bytes(size)).hexdigest()


async def test_response_bytes_reach_the_client_before_the_upstream_finishes(
    gateway: httpx.AsyncClient, echo: EchoUpstream
):
    """The upstream holds back the end of its body until the client has the start: a gateway that
    buffered the response would never deliver that start."""
    echo.release_gate.clear()
    async with gateway.stream("GET", "/v1/echo/gated") as response:
        chunks = response.aiter_raw()
        first = await asyncio.wait_for(anext(chunks), timeout=3)
        assert first == b"first chunk;"
        assert not echo.release_gate.is_set()
        echo.release_gate.set()
        rest = b"".join([chunk async for chunk in chunks])
    assert rest == b"rest"


async def test_a_response_the_upstream_breaks_off_is_not_passed_off_as_complete(
    gateway: httpx.AsyncClient,
):
    with pytest.raises(httpx.RemoteProtocolError):
        async with gateway.stream("GET", "/v1/echo/broken-stream") as response:
            assert response.status_code == 200
            await response.aread()
    # The gateway itself carries on.
    assert (await gateway.get("/v1/echo/after-the-break")).status_code == 200


async def test_a_chunked_upload_streams_through_intact(gateway: httpx.AsyncClient):
    body = pattern_bytes(900 * 1024)

    async def upload() -> AsyncIterator[bytes]:
        for start in range(0, len(body), CHUNK):
            yield body[start : start + CHUNK]

    response = await gateway.post("/v1/echo/uploads", content=upload())

    echoed = response.json()
    assert echoed["body_length"] == len(body)
    assert echoed["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert _headers(echoed)["transfer-encoding"] == ["chunked"]


async def test_an_upstream_error_without_a_problem_document_becomes_one(gateway: httpx.AsyncClient):
    response = await gateway.get("/v1/echo/plain-error")
    document = problem(response, 500)
    assert document["upstream"] == "echo"
    assert document["type"] == "urn:cityops:problem:upstream-error"
    assert "secret internals" not in response.text


async def test_vendors_service_through_the_gateway(gateway: httpx.AsyncClient, auth):
    created = await gateway.post(
        "/v1/procurement/vendors",
        json={"legal_name": "Civic Center Builders LLC", "entity_type": "llc"},
        headers={**auth(), "Idempotency-Key": "gateway-test-create-1"},
    )
    assert created.status_code == 201, created.text
    vendor = created.json()
    assert created.headers["location"] == f"/v1/procurement/vendors/{vendor['id']}"

    fetched = await gateway.get(created.headers["location"], headers=auth("procurement:read"))
    assert fetched.status_code == 200
    assert fetched.json()["legal_name"] == "Civic Center Builders LLC"
    assert fetched.headers["etag"] == created.headers["etag"]

    replayed = await gateway.post(
        "/v1/procurement/vendors",
        json={"legal_name": "Civic Center Builders LLC", "entity_type": "llc"},
        headers={**auth(), "Idempotency-Key": "gateway-test-create-1"},
    )
    assert replayed.json()["id"] == vendor["id"]


async def test_a_request_without_a_token_is_forwarded_and_the_service_decides(
    gateway: httpx.AsyncClient,
):
    response = await gateway.get("/v1/procurement/vendors")
    document = problem(response, 401)
    assert "upstream" not in document  # the service's own answer, not the gateway's
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_redirects_reach_the_client_unfollowed(gateway: httpx.AsyncClient):
    response = await gateway.get("/v1/echo/redirect")

    assert response.status_code == 307
    assert response.headers["location"] == "/v1/echo/elsewhere"


async def test_a_redirect_to_the_upstreams_own_address_is_made_relative(
    gateway: httpx.AsyncClient, echo_server
):
    response = await gateway.get("/v1/echo/redirect-absolute")

    assert response.status_code == 307
    assert response.headers["location"] == "/v1/echo/elsewhere?page=2#top"
    assert echo_server.url.split("//")[1] not in response.text + str(response.headers)


async def test_a_trailing_slash_is_a_404_problem_not_a_redirect_inside_the_network(
    gateway: httpx.AsyncClient, auth, vendors_server
):
    response = await gateway.get("/v1/procurement/vendors/", headers=auth())

    problem(response, 404)
    assert "location" not in response.headers
    assert vendors_server.url.split("//")[1] not in response.text


async def test_cookies_an_upstream_sets_go_to_that_client_only(gateway: httpx.AsyncClient, gateway_url: str):
    first = await gateway.get("/v1/echo/cookie")
    assert "upstream_session=meant-for-one-client-only" in first.headers["set-cookie"]

    # Another client, with no cookie of its own: the gateway must not have kept the upstream's.
    async with httpx.AsyncClient(base_url=gateway_url) as another_client:
        second = await another_client.get("/v1/echo/anything")
    received = {name for name, _ in second.json()["headers"]}
    assert "cookie" not in received


async def test_an_idempotent_call_is_sent_again_after_a_503(gateway: httpx.AsyncClient, echo):
    response = await gateway.get("/v1/echo/flaky/get-once")

    assert response.status_code == 200
    assert response.json() == {"calls": 2}
    assert echo.flaky_calls["get-once"] == 2


async def test_a_call_with_a_body_is_never_sent_twice(gateway: httpx.AsyncClient, echo):
    response = await gateway.post("/v1/echo/flaky/post-once", json={"amount": "10.00"})

    problem(response, 503)
    assert echo.flaky_calls["post-once"] == 1


async def test_head_answers_with_the_headers_and_no_body(gateway: httpx.AsyncClient):
    got = await gateway.get("/v1/echo/anything")
    head = await gateway.head("/v1/echo/anything")

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["x-upstream"] == "echo"
    assert head.headers["content-type"] == got.headers["content-type"]
