"""The request size limit: 413 problem+json for a body over `max_body_bytes`.

A declared `Content-Length` over the limit is refused before anything is read or forwarded. A body
without one (chunked) is counted as it streams through; the moment it passes the limit, reading it
raises `PayloadTooLarge`, which aborts the upstream call mid-upload (the upstream sees the client go
away and acts on nothing) and becomes the 413 answer. Starlette's own body limit answers in plain
text, hence this small middleware.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.problems import PayloadTooLarge, problem_response


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            error = self._too_large(f"The body declares {declared} bytes")
            await problem_response(error.to_problem(), error.headers)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large("The body grew")
            return message

        await self.app(scope, counting_receive, send)

    def _too_large(self, what: str) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"{what}; this API accepts at most {self.max_bytes} bytes per request.",
            max_bytes=self.max_bytes,
        )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
