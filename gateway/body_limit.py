"""The request size limit: 413 problem+json for a body over `max_body_bytes`.

Bulk uploads (`POST` to one of `upload_paths`, such as the procurement imports) have a limit of their
own, `upload_max_body_bytes`: the services stream those bodies rather than hold them, so a file of a
million lines is as safe to relay as a form.

A declared `Content-Length` over the limit is refused before anything is read or forwarded. A body
without one (chunked) is counted as it streams through; the moment it passes the limit, reading it
raises `PayloadTooLarge`, which aborts the upstream call mid-upload (the upstream sees the client go
away and acts on nothing) and becomes the 413 answer. Starlette's own body limit answers in plain
text, hence this small middleware.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.problems import PayloadTooLarge, problem_response


class BodySizeLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_max_bytes: int | None = None,
        upload_paths: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = max_bytes if upload_max_bytes is None else upload_max_bytes
        self.upload_paths = frozenset(path.rstrip("/") for path in upload_paths)

    def limit_of(self, scope: Scope) -> int:
        if scope["method"] == "POST" and scope["path"].rstrip("/") in self.upload_paths:
            return self.upload_max_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            error = _too_large(f"The body declares {declared} bytes", limit)
            await problem_response(error.to_problem(), error.headers)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large("The body grew", limit)
            return message

        await self.app(scope, counting_receive, send)


def _too_large(what: str, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"{what}; this API accepts at most {limit} bytes per request here.", max_bytes=limit
    )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
