"""Safe retries for POST: the `Idempotency-Key` header. One key, one effect, whatever fails.

The first request with a key runs; its successful (2xx) answer is stored in the same transaction as the
write it describes (the unit of work settles both), and replayed to every retry carrying the same key and
the same body. Had the connection dropped after the commit, the retry finds the stored answer; had it
dropped before, nothing was written, and the retry runs. The same key with another body is 422. A request
that fails (4xx/5xx) leaves nothing behind, so a corrected retry may reuse the key.

While a keyed request runs it holds a transaction-level advisory lock on the key: a concurrent retry that
cannot take it is told 409. The lock goes with the transaction, at commit, rollback, or the death of the
process or its connection, so no key is ever left "in progress" after nothing runs.

Keys belong to the verified caller: the token is checked before anything is replayed, and keys are scoped
to its subject, the method and the path. A request whose token does not verify is not looked up; the
route refuses it (401) as it would without a key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header
from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, func, select, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from services.common.problems import AppError, Conflict, Unauthorized, UnprocessableEntity, problem_response

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Headers of the first response worth replaying; hop-by-hop and per-request ones are not.
_REPLAYED_HEADERS = {"content-type", "location", "etag"}
# The first key of the two-key advisory locks that keyed requests hold (a space of their own).
LOCK_SPACE = 0x1DE3


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


@dataclass(frozen=True)
class KeyedRequest:
    """A keyed request that runs: `store` keeps its answer, in the transaction of its write."""

    keys: IdempotencyStore
    identity: dict[str, str]
    request_hash: str

    async def store(self, session: AsyncSession, response: Response) -> None:
        if not 200 <= response.status_code < 300:
            return
        t = self.keys.table
        kept = [[k, v] for k, v in response.headers.items() if k in _REPLAYED_HEADERS]
        values = {
            "request_hash": self.request_hash,
            "status_code": response.status_code,
            "response_headers": kept,
            "response_body": bytes(response.body),
            "created_at": func.now(),
            "expires_at": func.now() + self.keys.ttl,
        }
        # An expired answer under the same key is replaced (the key may be used again once it expires).
        await session.execute(
            insert(t)
            .values(**self.identity, **values)
            .on_conflict_do_update(index_elements=list(self.identity), set_=values)
        )


class IdempotencyStore:
    """A service's stored answers (`idempotency_keys` in its schema, created by `idempotency_table`)."""

    def __init__(self, table: Table, *, ttl: timedelta, hash_key: str) -> None:
        self.table = table
        self.ttl = ttl
        # Keyed, so that a reader of the table cannot confirm guesses of a body (a sealed bid's price).
        self.hash_key = hash_key.encode()

    async def claim(self, request: Request, session: AsyncSession) -> KeyedRequest | Response | None:
        """None for a request without a key (or a token that does not verify: the route refuses it);
        a response to send instead of running it (a replay, 409, 422); or the keyed request to run."""
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not 0 < len(key) <= 255:
            return None
        principal = await _verified_subject(request)
        if principal is None:
            return None
        identity = {"principal": principal, "key": key, "method": request.method, "path": request.url.path}
        request_hash = hmac.new(self.hash_key, await request.body(), hashlib.sha256).hexdigest()
        if not await self._lock(session, identity):
            error: AppError = Conflict(
                "A request with this Idempotency-Key is still being processed; retry shortly."
            )
            return problem_response(error.to_problem(), {"Retry-After": "1"})
        t = self.table
        stored = (
            (
                await session.execute(
                    select(t).where(
                        *[t.c[name] == value for name, value in identity.items()], t.c.expires_at > func.now()
                    )
                )
            )
            .mappings()
            .first()
        )
        if stored is None:
            return KeyedRequest(self, identity, request_hash)
        if stored["request_hash"] != request_hash:
            error = UnprocessableEntity(
                "This Idempotency-Key was used with a different request body; use a new key for a new request."
            )
            return problem_response(error.to_problem())
        return _replay(stored)

    async def _lock(self, session: AsyncSession, identity: dict[str, str]) -> bool:
        digest = hmac.new(self.hash_key, "\x1f".join(identity.values()).encode(), hashlib.sha256).digest()
        lock = int.from_bytes(digest[:4], "big", signed=True)
        taken = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:space, :lock)"), {"space": LOCK_SPACE, "lock": lock}
        )
        return bool(taken)


def _replay(stored: Any) -> Response:
    headers = dict(stored["response_headers"])
    headers[REPLAYED_HEADER] = "true"
    media_type = headers.pop("content-type", None)
    return Response(
        stored["response_body"], status_code=stored["status_code"], headers=headers, media_type=media_type
    )


async def _verified_subject(request: Request) -> str | None:
    """The token's subject once verified ("anonymous" without a token); None when it does not verify."""
    authorization = request.headers.get("authorization", "")
    if authorization[:7].lower() != "bearer ":
        return "anonymous"
    try:
        principal = await request.app.state.token_verifier.verify(authorization[7:])
    except Unauthorized:
        return None
    return str(principal.sub)[:200]
