"""The httpx client factory against a real local upstream: timeouts, safe retries, the circuit breaker and
request-id propagation."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Request
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.common.http import CircuitBreaker, CircuitOpenError, create_client

from .conftest import client_for
from .local_server import free_port, serve

hits: Counter[str] = Counter()
_names = itertools.count()


async def flaky(request: Request) -> Response:
    """Fails with `status` (default 503) for the first `fail` calls under a name, then answers 200."""
    name = request.path_params["name"]
    hits[name] += 1
    if hits[name] <= int(request.query_params.get("fail", "0")):
        return JSONResponse({"hits": hits[name]}, status_code=int(request.query_params.get("status", "503")))
    return JSONResponse({"hits": hits[name]})


async def slow(request: Request) -> Response:
    hits[request.path_params["name"]] += 1
    await asyncio.sleep(float(request.query_params["seconds"]))
    return JSONResponse({"slept": True})


async def request_id(request: Request) -> Response:
    return JSONResponse({"request_id": request.headers.get("x-request-id")})


async def cookies(request: Request) -> Response:
    """Sets a session cookie, and says which cookies the call carried."""
    response = JSONResponse({"cookie": request.headers.get("cookie")})
    response.set_cookie("session", "for-one-caller-only")
    return response


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    app = Starlette(
        routes=[
            Route("/flaky/{name}", flaky, methods=["GET", "POST", "PUT", "DELETE"]),
            Route("/slow/{name}", slow),
            Route("/request-id", request_id),
            Route("/cookies", cookies),
        ]
    )
    with serve(app) as base_url:
        yield base_url


def name() -> str:
    return f"call-{next(_names)}"


def client(base_url: str, **options: Any) -> httpx.AsyncClient:
    options.setdefault("retries", 2)
    return create_client(base_url, **options)


async def test_idempotent_call_is_retried_through_transient_503s(upstream):
    path = f"/flaky/{name()}"
    async with client(upstream) as http:
        response = await http.get(path, params={"fail": 2})
    assert response.status_code == 200
    assert response.json() == {"hits": 3}


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_retries_stop_after_the_budget_and_return_the_last_answer(upstream, status):
    path = f"/flaky/{name()}"
    async with client(upstream) as http:
        response = await http.put(path, params={"fail": 10, "status": status}, json={"x": 1})
    assert response.status_code == status
    assert response.json() == {"hits": 3}


async def test_other_errors_are_not_retried(upstream):
    path = f"/flaky/{name()}"
    async with client(upstream) as http:
        response = await http.get(path, params={"fail": 1, "status": 500})
    assert response.status_code == 500
    assert hits[path.rsplit("/", 1)[1]] == 1


async def test_post_without_key_is_never_retried(upstream):
    path = f"/flaky/{name()}"
    async with client(upstream) as http:
        response = await http.post(path, params={"fail": 1}, json={"amount": "10.00"})
    # A second POST could pay twice: the caller decides.
    assert response.status_code == 503
    assert response.json() == {"hits": 1}


async def test_post_with_idempotency_key_is_retried(upstream):
    path = f"/flaky/{name()}"
    async with client(upstream) as http:
        response = await http.post(
            path, params={"fail": 1}, json={"amount": "10.00"}, headers={"Idempotency-Key": "pay-1"}
        )
    assert response.status_code == 200
    assert response.json() == {"hits": 2}


def counting_transport(attempts: list[httpx.Request]) -> httpx.MockTransport:
    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    return httpx.MockTransport(refuse)


@pytest.mark.parametrize(
    ("method", "headers", "expected_attempts"),
    [("GET", {}, 3), ("DELETE", {}, 3), ("POST", {}, 1), ("POST", {"Idempotency-Key": "k"}, 3)],
)
async def test_connect_errors_are_retried_only_when_safe(method, headers, expected_attempts):
    attempts: list[httpx.Request] = []
    async with client("http://upstream.test", transport=counting_transport(attempts)) as http:
        with pytest.raises(httpx.ConnectError):
            await http.request(method, "/anything", headers=headers, content=b"{}")
    assert len(attempts) == expected_attempts


def stale_then_ok_transport(attempts: list[httpx.Request]) -> httpx.MockTransport:
    """The first attempt meets a keep-alive connection the server has just closed."""

    def answer(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) == 1:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return httpx.Response(200, json={"ok": True})

    return httpx.MockTransport(answer)


@pytest.mark.parametrize(("method", "headers", "expected_attempts"), [("GET", {}, 2), ("POST", {}, 1)])
async def test_a_closed_keep_alive_connection_is_retried_only_when_safe(method, headers, expected_attempts):
    attempts: list[httpx.Request] = []
    async with client("http://upstream.test", transport=stale_then_ok_transport(attempts)) as http:
        if expected_attempts == 1:
            with pytest.raises(httpx.RemoteProtocolError):
                await http.request(method, "/anything", headers=headers, content=b"{}")
        else:
            assert (await http.request(method, "/anything", headers=headers)).status_code == 200
    assert len(attempts) == expected_attempts


async def test_streamed_body_is_not_retried():
    attempts: list[httpx.Request] = []

    async def body():
        yield b"chunk"

    async with client("http://upstream.test", transport=counting_transport(attempts)) as http:
        with pytest.raises(httpx.ConnectError):
            await http.put("/anything", content=body())
    assert len(attempts) == 1


async def test_refused_connection_to_a_real_closed_port_raises_connect_error():
    async with client(f"http://127.0.0.1:{free_port()}", retries=1) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/")


async def test_slow_upstream_hits_the_read_timeout_without_retry(upstream):
    call = name()
    async with client(upstream, read_timeout=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"/slow/{call}", params={"seconds": 1})
    # The upstream may have acted: a timed-out read is not repeated.
    assert hits[call] == 1


async def test_overall_deadline_bounds_the_call_as_an_httpx_timeout(upstream):
    async with client(upstream, read_timeout=5, deadline_seconds=0.3) as http:
        with pytest.raises(httpx.TimeoutException):
            await http.get(f"/slow/{name()}", params={"seconds": 2})


def test_factory_sets_connect_and_read_timeouts():
    http = create_client("http://upstream.test", connect_timeout=1.5, read_timeout=7)
    assert (http.timeout.connect, http.timeout.read, http.timeout.pool) == (1.5, 7, 1.5)


async def test_circuit_opens_after_failures_and_half_opens_after_reset(upstream):
    call = name()
    breaker = CircuitBreaker(failure_threshold=3, reset_seconds=0.3)
    async with client(upstream, retries=0, breaker=breaker) as http:
        for _ in range(3):
            assert (await http.get(f"/flaky/{call}", params={"fail": 3})).status_code == 503
        # Open: refused at once, the upstream is not called.
        with pytest.raises(CircuitOpenError):
            await http.get(f"/flaky/{call}", params={"fail": 3})
        assert hits[call] == 3
        assert breaker.retry_after() == 1

        await asyncio.sleep(0.35)
        # Half-open: one trial goes through; its success closes the circuit.
        assert (await http.get(f"/flaky/{call}", params={"fail": 3})).status_code == 200
        assert not breaker.is_open
        assert breaker.failures == 0


async def test_failed_trial_call_opens_the_circuit_again(upstream):
    call = name()
    breaker = CircuitBreaker(failure_threshold=2, reset_seconds=0.2)
    async with client(upstream, retries=0, breaker=breaker) as http:
        for _ in range(2):
            await http.get(f"/flaky/{call}", params={"fail": 100})
        await asyncio.sleep(0.25)
        assert (await http.get(f"/flaky/{call}", params={"fail": 100})).status_code == 503
        with pytest.raises(CircuitOpenError):
            await http.get(f"/flaky/{call}", params={"fail": 100})
    assert hits[call] == 3


async def test_connect_failures_open_the_circuit_too():
    attempts: list[httpx.Request] = []
    breaker = CircuitBreaker(failure_threshold=2, reset_seconds=60)
    async with client(
        "http://upstream.test", retries=5, transport=counting_transport(attempts), breaker=breaker
    ) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/")
        # Retrying stops as soon as the circuit opens, and later calls fail fast.
        assert len(attempts) == 2
        with pytest.raises(CircuitOpenError):
            await http.get("/")
    assert len(attempts) == 2


relay = APIRouter(tags=["relay"])


@relay.get("/relay")
async def relay_get(request: Request) -> dict[str, Any]:
    async with create_client(request.app.state.upstream_url) as http:
        return (await http.get("/request-id")).json()


async def test_request_id_is_propagated_to_upstream_calls(upstream, make_kernel_app):
    app = await make_kernel_app(relay)
    app.state.upstream_url = upstream

    async with client_for(app) as kernel:
        response = await kernel.get("/v1/kernel/relay", headers={"X-Request-ID": "chain-42"})
    assert response.json() == {"request_id": "chain-42"}

    async with client(upstream) as http:
        # Outside any request there is nothing to propagate.
        assert (await http.get("/request-id")).json() == {"request_id": None}


async def test_a_client_keeps_no_cookie_from_one_call_for_the_next(upstream):
    """One client serves every caller of a process: a cookie one answer sets must not ride on the next call."""
    async with client(upstream) as http:
        first = await http.get("/cookies")
        assert "session=for-one-caller-only" in first.headers["set-cookie"]
        second = await http.get("/cookies")
    assert second.json() == {"cookie": None}
