"""What a service checks before it reads a request's body: the bearer token, then the body's size.

FastAPI reads and parses a route's JSON body before it runs the route's dependencies, the token check
among them: a caller without a token could make a service read and parse a body of any size. So every
route's handler is wrapped (by the unit of work's route class, before it opens a session or reads an
`Idempotency-Key`'s body):

- a route that needs a token (a `requires(...)` dependency) answers 401 before a byte of the body is
  read; the dependency then finds the token already verified (`TokenVerifier` remembers it);
- a route whose body FastAPI parses takes at most `max_body_bytes` (a setting): a larger declared
  `Content-Length` is a 413 at once, a larger streamed body a 413 as soon as it passes the limit.

Routes that read their body as a stream themselves (CSV imports) have no body for FastAPI to parse and
bound their own uploads. Dependencies given to `include_router` are not seen here; services put theirs
on the routes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive

from services.common.auth import needs_token, verify_bearer
from services.common.problems import PayloadTooLarge

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def guarded_handler(route: APIRoute, handler: Handler) -> Handler:
    token = any(needs_token(dependant.call) for dependant in dependants(route.dependant))
    bounded = route.body_field is not None
    if not (token or bounded):
        return handler

    async def guarded(request: Request) -> Response:
        if token:
            await verify_bearer(request)
        if bounded:
            body = await _read_body(request, request.app.state.settings.max_body_bytes)
            request = Request(request.scope, replay_body(body, request.receive))
        return await handler(request)

    return guarded


def dependants(dependant: Dependant) -> Iterator[Dependant]:
    """`dependant` and every dependency below it."""
    yield dependant
    for sub in dependant.dependencies:
        yield from dependants(sub)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "").strip()
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _too_large(f"The body declares {declared} bytes", limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # raises ClientDisconnect if the client goes away
        size += len(chunk)
        if size > limit:
            raise _too_large("The body grew", limit)
        chunks.append(chunk)
    return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """The body read here, handed on as one message; then the client's own messages (a disconnect)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _too_large(what: str, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"{what}; this service accepts at most {limit} bytes here.", max_bytes=limit)
