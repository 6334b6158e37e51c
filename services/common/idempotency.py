"""Safe retries for POST: the `Idempotency-Key` header.

The first request with a key runs; its successful (2xx) response is stored for the key's lifetime and
replayed to every retry carrying the same key and the same body. The same key with another body is 422;
a retry while the first is still running is 409. A request that fails (4xx/5xx) leaves nothing behind,
so a corrected retry may reuse the key. Keys are scoped to the caller (the token's subject) and the path.

A running request holds its key on a lease (`in_flight_lease`, minutes), not for the key's lifetime: if
the process dies mid-request, nothing releases the key, and the lease bounds how long retries are told
409 before one may run it again. The lease is longer than any keyed request can take (keyed bodies are
bounded, and so are the services' deadlines); the 24-hour lifetime starts when the response is stored.

This is pure ASGI middleware: it must see the raw body and the complete response, and it keeps the
stored response in the service's own schema (`idempotency_keys`, created by `idempotency_table`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Annotated, Any

import jwt
from fastapi import Header
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.problems import AppError, Conflict, UnprocessableEntity, problem_response

HEADER = b"idempotency-key"
REPLAYED_HEADER = b"idempotent-replayed"
IN_FLIGHT_LEASE = timedelta(minutes=5)
# Headers of the first response worth replaying; hop-by-hop and per-request ones are not.
_REPLAYED_HEADERS = {b"content-type", b"location", b"etag"}


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("principal", String(200), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("method", String(10), primary_key=True),
        Column("path", String(2048), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=True, comment="null while the first request runs"),
        Column("response_headers", JSONB, nullable=True),
        Column("response_body", LargeBinary, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("expires_at", DateTime(timezone=True), nullable=False),
    )


async def idempotency_key_header(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="A unique key (a UUID) per logical operation: a retry with the same key and body "
            "returns the first response instead of acting twice. Kept 24 hours.",
        ),
    ] = None,
) -> None:
    """Documents and validates the header on a route; `IdempotencyMiddleware` does the work."""


def _caller(scope: Scope) -> str:
    """The token's subject, read without verification: this only partitions keys; the route verifies."""
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            try:
                claims = jwt.decode(value[7:].decode("latin-1"), options={"verify_signature": False})
                return str(claims.get("sub", "anonymous"))[:200]
            except jwt.PyJWTError:
                return "anonymous"
    return "anonymous"


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        engine: AsyncEngine,
        table: Table,
        ttl: timedelta,
        hash_key: str,
        in_flight_lease: timedelta = IN_FLIGHT_LEASE,
    ) -> None:
        self.app = app
        self.engine = engine
        self.table = table
        self.ttl = ttl
        self.in_flight_lease = in_flight_lease
        # Keyed, so that a reader of the table cannot confirm guesses of a body (a sealed bid's price).
        self.hash_key = hash_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, HEADER) if scope["type"] == "http" and scope["method"] == "POST" else None
        if key is None or not 0 < len(key) <= 255:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        identity = {"principal": _caller(scope), "key": key, "method": scope["method"], "path": scope["path"]}
        request_hash = hmac.new(self.hash_key, body, hashlib.sha256).hexdigest()

        stored = await self._claim(identity, request_hash)
        if stored is not None:
            await self._answer_from_store(stored, request_hash, scope, receive, send)
            return

        status, headers, chunks = 500, [], []
        settled = False

        async def capture(message: Message) -> None:
            nonlocal status, headers, settled
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    # Settled before the client has the last byte: its immediate retry must find the
                    # stored response (or a free key), never the in-flight marker.
                    await self._settle(identity, status, headers, b"".join(chunks))
                    settled = True
            await send(message)

        try:
            await self.app(scope, _replay(body, receive), capture)
        finally:
            if not settled:
                await self._release(identity)

    async def _claim(self, identity: dict[str, str], request_hash: str) -> dict[str, Any] | None:
        """Inserts an in-flight row for the key; returns the existing row when another request owns it."""
        t = self.table
        match = [t.c[name] == value for name, value in identity.items()]
        async with self.engine.begin() as connection:
            await connection.execute(delete(t).where(*match, t.c.expires_at < func.now()))
            inserted = await connection.execute(
                insert(t)
                .values(**identity, request_hash=request_hash, expires_at=func.now() + self.in_flight_lease)
                .on_conflict_do_nothing()
                .returning(t.c.key)
            )
            if inserted.first() is not None:
                return None
            row = (await connection.execute(select(t).where(*match))).mappings().first()
            return dict(row) if row is not None else None

    async def _answer_from_store(
        self, stored: dict[str, Any], request_hash: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        error: AppError
        if stored["request_hash"] != request_hash:
            error = UnprocessableEntity(
                "This Idempotency-Key was used with a different request body; use a new key for a new request."
            )
            await problem_response(error.to_problem())(scope, receive, send)
        elif stored["status_code"] is None:
            error = Conflict("A request with this Idempotency-Key is still being processed; retry shortly.")
            await problem_response(error.to_problem(), {"Retry-After": "1"})(scope, receive, send)
        else:
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored["response_headers"]]
            headers.append((REPLAYED_HEADER, b"true"))
            await send({"type": "http.response.start", "status": stored["status_code"], "headers": headers})
            await send({"type": "http.response.body", "body": stored["response_body"]})

    async def _settle(self, identity: dict[str, str], status: int, headers: list[Any], body: bytes) -> None:
        if 200 <= status < 300:
            await self._store(identity, status, headers, body)
        else:
            await self._release(identity)

    async def _store(self, identity: dict[str, str], status: int, headers: list[Any], body: bytes) -> None:
        kept = [
            [k.decode("latin-1"), v.decode("latin-1")] for k, v in headers if k.lower() in _REPLAYED_HEADERS
        ]
        t = self.table
        async with self.engine.begin() as connection:
            await connection.execute(
                update(t)
                .where(*[t.c[name] == value for name, value in identity.items()])
                .values(
                    status_code=status,
                    response_headers=kept,
                    response_body=body,
                    expires_at=func.now() + self.ttl,
                )
            )

    async def _release(self, identity: dict[str, str]) -> None:
        t = self.table
        async with self.engine.begin() as connection:
            await connection.execute(
                delete(t).where(*[t.c[name] == value for name, value in identity.items()])
            )


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return value.decode("latin-1")
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """Hands the buffered body to the app once, then the client's own messages (its disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
