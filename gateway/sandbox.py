"""The sandbox clock's public API: `GET /v1/sandbox/clock` and `POST /v1/sandbox/clock/advance`.

The platform's time is one for every service. Each service keeps its own offset (`services.common.sandbox`);
the gateway reads them all (`GET /sandbox/clock` at each service's root), takes the furthest as the
platform's, and sets the new offset on every service (`PUT /sandbox/clock`). One offset, computed once
here, so every service runs at the same time. A service refuses an offset behind its own, so two
racing advances cannot move any service back.

If an upstream fails midway, the services already moved stay moved: a GET reports the furthest, and the
next advance brings every service to one time (`to` is safe to repeat; `by` counts from the furthest).
Outside production only: in production these routes and their OpenAPI entries do not exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.forwarding import UpstreamError
from gateway.openapi import add_gateway_responses
from gateway.proxy import UpstreamProxy
from services.common.auth import TokenVerifier
from services.common.clock import system_now
from services.common.observability import current_request_id
from services.common.openapi import SECURITY_SCHEME, bound_formats, oauth2_scheme
from services.common.problems import (
    PROBLEM_MEDIA_TYPE,
    Forbidden,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from services.common.sandbox import (
    NOT_AHEAD,
    SCOPE,
    SIMULATED_TIME_HEADER,
    ClockAdvance,
    ClockMovesForwardOnly,
    ClockOffset,
    SandboxClock,
    authorize,
    parse_body,
    rfc3339,
)

CLOCK_PATH = "/v1/sandbox/clock"
ADVANCE_PATH = "/v1/sandbox/clock/advance"
SERVICE_CLOCK_PATH = "/sandbox/clock"


class UpstreamRefused(Exception):
    """A service answered the clock call with an error; the client gets that answer as it is."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body


async def _call(
    proxy: UpstreamProxy, request: Request, method: str, body: bytes | None = None
) -> SandboxClock:
    headers = [("authorization", request.headers.get("authorization", ""))]
    if body is not None:
        headers.append(("content-type", "application/json"))
    if (request_id := current_request_id()) is not None:
        headers.append(("x-request-id", request_id))
    try:
        status, answer = await proxy.client.exchange(method, SERVICE_CLOCK_PATH, headers, body)
    except UpstreamError as exc:
        raise ServiceUnavailable(
            f"The {proxy.upstream.name} service could not be reached to read or move its clock.",
            upstream=proxy.upstream.name,
        ) from exc
    if status != 200:
        raise UpstreamRefused(status, answer)
    return SandboxClock.model_validate_json(answer)


async def _furthest_offset(proxies: Sequence[UpstreamProxy], request: Request) -> timedelta:
    clocks = await asyncio.gather(*(_call(proxy, request, "GET") for proxy in proxies))
    return max((clock.ahead_by for clock in clocks), default=NOT_AHEAD)


def _platform_clock(ahead_by: timedelta) -> JSONResponse:
    clock = SandboxClock(now=system_now() + ahead_by, simulated=ahead_by > NOT_AHEAD, ahead_by=ahead_by)
    headers = {SIMULATED_TIME_HEADER: rfc3339(clock.now)} if clock.simulated else None
    return JSONResponse(clock.model_dump(mode="json"), headers=headers)


def _target_offset(advance: ClockAdvance, current: timedelta) -> timedelta:
    if advance.by is not None:
        return current + advance.by
    assert advance.to is not None
    target = advance.to - system_now()
    if target < current:
        raise ClockMovesForwardOnly(
            f"The platform's time is already {rfc3339(system_now() + current)}; "
            f"{rfc3339(advance.to)} is in its past."
        )
    return target


def sandbox_routes(proxies: Sequence[UpstreamProxy], verifier: TokenVerifier) -> list[BaseRoute]:
    async def read(request: Request) -> Response:
        await authorize(request.headers, verifier)
        try:
            return _platform_clock(await _furthest_offset(proxies, request))
        except UpstreamRefused as refused:
            return Response(refused.body, refused.status, media_type=PROBLEM_MEDIA_TYPE)

    async def advance(request: Request) -> Response:
        await authorize(request.headers, verifier)
        body = await parse_body(request, ClockAdvance)
        try:
            target = _target_offset(body, await _furthest_offset(proxies, request))
            offset = ClockOffset(ahead_by=target).model_dump_json().encode()
            await asyncio.gather(*(_call(proxy, request, "PUT", offset) for proxy in proxies))
        except UpstreamRefused as refused:
            return Response(refused.body, refused.status, media_type=PROBLEM_MEDIA_TYPE)
        return _platform_clock(target)

    return [
        Route(CLOCK_PATH, read, methods=["GET"]),
        Route(ADVANCE_PATH, advance, methods=["POST"]),
    ]


def document_sandbox_clock(document: dict[str, Any]) -> None:
    """Adds the sandbox clock's operations, schemas and tag to the merged OpenAPI document."""
    schemas = document["components"]["schemas"]
    for model in (SandboxClock, ClockAdvance):
        schemas[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
    security: list[dict[str, list[str]]] = [{SECURITY_SCHEME: [SCOPE]}]
    document["components"].setdefault("securitySchemes", {}).setdefault(SECURITY_SCHEME, oauth2_scheme())
    answer = {
        "description": "The platform's time. While it is simulated, every response of the platform "
        f"carries `{SIMULATED_TIME_HEADER}`.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SandboxClock"}}},
    }
    problems = (Unauthorized, Forbidden, ServiceUnavailable)
    document["paths"][CLOCK_PATH] = {
        "get": {
            "tags": ["sandbox"],
            "summary": "Read the platform's time",
            "operationId": "sandbox_clock_get",
            "security": security,
            "responses": {"200": answer, **_as_text_keys(problem_responses(*problems))},
        }
    }
    document["paths"][ADVANCE_PATH] = {
        "post": {
            "tags": ["sandbox"],
            "summary": "Move the platform's time forward",
            "description": "Moves every service's time forward, `by` a duration or `to` an instant; never "
            "back (409 `clock-moves-forward-only`, or 422 for a `by` that is not positive). Needs the scope "
            "`sandbox:clock`. Not available in production.",
            "operationId": "sandbox_clock_advance",
            "security": security,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClockAdvance"}}},
            },
            "responses": {
                "200": answer,
                **_as_text_keys(problem_responses(*problems, ClockMovesForwardOnly, ValidationFailed)),
            },
        }
    }
    for path in (CLOCK_PATH, ADVANCE_PATH):
        for operation in document["paths"][path].values():
            # Answered by the gateway, behind its rate limit, from every service's clock.
            add_gateway_responses(operation)
    bound_formats(document["components"]["schemas"])
    document["tags"].append(
        {
            "name": "sandbox",
            "description": "The sandbox clock: outside production, move the platform's time forward to "
            "take rules that span days (tender periods, protest windows) through the API in one sitting.",
        }
    )


def _as_text_keys(responses: dict[int | str, Any]) -> dict[str, Any]:
    return {str(status): entry for status, entry in responses.items()}
