"""The edge checks before anything is forwarded: the bearer token and the client's rate.

A request under /v1/ that carries `Authorization` must carry a valid bearer token, or it is answered
401 here and never reaches a service. A request without one is forwarded: public endpoints exist, and
the service answers 401 where it needs a token. Every request counts against its client's rate, and every
answer under the guard, its own refusals included, carries the `RateLimit-*` headers: the
token's subject when the token is valid, else the client's address, so that a flood of forged tokens is
limited too. Operational endpoints (probes, metrics) are neither checked nor counted.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.rate_limit import ClientRateLimiter
from services.common.auth import Principal, TokenVerifier
from services.common.problems import AppError, TooManyRequests, Unauthorized, problem_response

API_PREFIX = "/v1/"
UNCHECKED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class EdgeGuardMiddleware:
    def __init__(self, app: ASGIApp, verifier: TokenVerifier, limiter: ClientRateLimiter) -> None:
        self.app = app
        self.verifier = verifier
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNCHECKED_PATHS:
            await self.app(scope, receive, send)
            return
        principal, refusal = await self._authenticate(scope)
        decision = await self.limiter.hit(_client_key(scope, principal))
        if not decision.allowed:
            refusal = TooManyRequests(
                f"More than {decision.limit} requests in the window; retry after {decision.reset_seconds} s.",
                headers=decision.headers(),
            )
        if refusal is not None:
            # A refused token counts against the client's rate too, and says so (the 429 already does).
            headers = {**decision.headers(), **refusal.headers}
            await problem_response(refusal.to_problem(), headers)(scope, receive, send)
            return

        async def send_with_rate_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(k.lower().encode(), v.encode()) for k, v in decision.headers().items()]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_rate_headers)

    async def _authenticate(self, scope: Scope) -> tuple[Principal | None, AppError | None]:
        if not scope["path"].startswith(API_PREFIX):
            return None, None
        authorization = Headers(scope=scope).get("authorization")
        if authorization is None:
            return None, None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, Unauthorized(
                "Send `Authorization: Bearer <token>`.",
                headers={"WWW-Authenticate": 'Bearer realm="cityops"'},
            )
        try:
            return await self.verifier.verify(token.strip()), None
        except Unauthorized as refusal:
            return None, refusal


def _client_key(scope: Scope, principal: Principal | None) -> str:
    if principal is not None:
        return f"sub:{principal.sub}"
    client = scope.get("client")
    return f"addr:{client[0] if client else 'unknown'}"
