"""A bound on imports sent with `Idempotency-Key`.

The idempotency store (services.common.idempotency) hashes a keyed request's whole body before the
request runs, so it holds the body in memory; an import is otherwise streamed. A keyed import is
therefore refused (413) past `import_keyed_max_bytes`, before the store reads it: larger files are sent
without a key, which they do not need, since importing a file again changes nothing. Installed outside
the idempotency middleware, it reads a keyed body itself, up to the bound, whether or not its length is
declared, and hands it on.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.problems import PayloadTooLarge, problem_response
from services.common.route_guard import replay_body


class KeyedImportLimit:
    def __init__(self, app: ASGIApp, *, path: str, max_bytes: int) -> None:
        self.app = app
        self.path = path
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if (
            declared is not None
            and declared.isascii()
            and declared.isdigit()
            and int(declared) > self.max_bytes
        ):
            await self._refuse(scope, receive, send)
            return
        # Read here, up to the bound, what the idempotency store would read whole anyway.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nobody waits for an answer
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        await self.app(scope, replay_body(b"".join(chunks), receive), send)

    def _applies(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].rstrip("/") == self.path
            and _header(scope, b"idempotency-key") is not None
        )

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = PayloadTooLarge(
            f"An import sent with `Idempotency-Key` may be at most {self.max_bytes} bytes, because the key's "
            "store holds the whole body. Send a larger file without the key: importing a file again changes "
            "nothing, so it needs none.",
            max_bytes=self.max_bytes,
        )
        await problem_response(error.to_problem(), error.headers)(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1").strip())
    return None
