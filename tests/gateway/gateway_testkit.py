"""Test kit for the gateway: small upstreams (one reports what it received, one is too slow) and a
problem+json assertion.

The upstreams serve under their own prefix like a real service, so the gateway forwards to them exactly
as it forwards to the vendors service.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

CHUNK = 64 * 1024
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def pattern_bytes(size: int) -> bytes:
    """Deterministic, incompressible-looking content so a test can check every byte arrived."""
    block = hashlib.sha256(b"cityops").digest() * (CHUNK // 32)
    return (block * (size // len(block) + 1))[:size]


class EchoUpstream:
    """Answers with what it received; counts the requests whose body it read to the end."""

    prefix = "/v1/echo"

    def __init__(self) -> None:
        self.completed = 0
        self.readiness_probes = 0
        self.flaky_calls: dict[str, int] = {}
        self.release_gate = threading.Event()
        self.app = Starlette(
            routes=[
                Route("/readyz", self.ready),
                Route(f"{self.prefix}/stream", self.stream),
                Route(f"{self.prefix}/gated", self.gated),
                Route(f"{self.prefix}/plain-error", self.plain_error),
                Route(f"{self.prefix}/hop-headers", self.hop_headers),
                Route(f"{self.prefix}/broken-stream", self.broken_stream),
                Route(f"{self.prefix}/redirect", self.redirect),
                Route(f"{self.prefix}/redirect-absolute", self.redirect_absolute),
                Route(f"{self.prefix}/cookie", self.cookie),
                Route(self.prefix + "/flaky/{key}", self.flaky, methods=["GET", "POST"]),
                Route(self.prefix + "/{path:path}", self.echo, methods=ALL_METHODS),
            ]
        )

    async def ready(self, _: Request) -> Response:
        self.readiness_probes += 1
        return JSONResponse({"status": "ready"})

    async def echo(self, request: Request) -> Response:
        body = await request.body()
        self.completed += 1
        return JSONResponse(
            {
                "method": request.method,
                "raw_path": request.scope["raw_path"].decode("latin-1"),
                "query_string": request.scope["query_string"].decode("latin-1"),
                "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in request.scope["headers"]],
                "body_length": len(body),
                "body_sha256": hashlib.sha256(body).hexdigest(),
            },
            headers={"X-Upstream": "echo"},
        )

    async def stream(self, request: Request) -> Response:
        size = int(request.query_params["bytes"])
        content = pattern_bytes(size)

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, size, CHUNK):
                yield content[start : start + CHUNK]

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    async def gated(self, _: Request) -> Response:
        """Sends a first chunk, then holds the rest until the test has seen that chunk arrive."""

        async def chunks() -> AsyncIterator[bytes]:
            yield b"first chunk;"
            for _ in range(500):  # at most 5 s, so a failing test cannot hang
                if self.release_gate.is_set():
                    break
                await asyncio.sleep(0.01)
            yield b"rest"

        return StreamingResponse(chunks(), media_type="text/plain")

    async def broken_stream(self, _: Request) -> Response:
        """Starts a body and dies half-way, as a crashing upstream does."""

        async def chunks() -> AsyncIterator[bytes]:
            yield b"x" * CHUNK
            raise RuntimeError("the upstream died mid-response")

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    async def redirect(self, _: Request) -> Response:
        return Response(status_code=307, headers={"Location": f"{self.prefix}/elsewhere"})

    async def redirect_absolute(self, request: Request) -> Response:
        """A redirect to the address the upstream was called on, as frameworks write them."""
        return Response(
            status_code=307, headers={"Location": f"{request.base_url}v1/echo/elsewhere?page=2#top"}
        )

    async def cookie(self, _: Request) -> Response:
        response = PlainTextResponse("ok")
        response.set_cookie("upstream_session", "meant-for-one-client-only")
        return response

    async def flaky(self, request: Request) -> Response:
        """Unavailable on the first call for each key, fine from the second: counts the calls."""
        key = request.path_params["key"]
        self.flaky_calls[key] = self.flaky_calls.get(key, 0) + 1
        await request.body()
        if self.flaky_calls[key] == 1:
            return JSONResponse(
                {"type": "urn:cityops:problem:service-unavailable", "title": "Busy", "status": 503},
                status_code=503,
                media_type="application/problem+json",
            )
        return JSONResponse({"calls": self.flaky_calls[key]})

    async def plain_error(self, _: Request) -> Response:
        return PlainTextResponse("Traceback (most recent call last): secret internals", status_code=500)

    async def hop_headers(self, _: Request) -> Response:
        return PlainTextResponse(
            "ok",
            headers={
                "Connection": "X-Upstream-Hop",
                "X-Upstream-Hop": "per-connection",
                "Keep-Alive": "timeout=5",
                "Proxy-Authenticate": "Basic",
                "X-Kept": "end-to-end",
            },
        )


def slow_upstream(delay: float) -> Starlette:
    """Answers everything, its readiness probe included, only after `delay` seconds."""

    async def slowly(request: Request) -> Response:
        for _ in range(round(delay / 0.05)):
            if await request.is_disconnected():  # the gateway gave up: stop, as a real service would
                return Response(status_code=499)
            await asyncio.sleep(0.05)
        return JSONResponse({"status": "ready"})

    return Starlette(routes=[Route("/{path:path}", slowly, methods=ALL_METHODS)])


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Asserts a problem+json answer with that status; returns the document."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    document: dict[str, Any] = response.json()
    assert document["status"] == status
    assert document["type"].startswith("urn:cityops:problem:")
    return document
