"""The baseline: the two vendor reads as a minimal Starlette + asyncpg app, no framework layers.

It answers the same paths with the same SQL as the vendors service (the vendor's columns and its
commodity codes aggregated by a scalar subquery; keyset pages of 50 on id), the same JSON, the same
`ETag`, and checks the same bearer token, so that the service's cost over it is the cost of FastAPI,
SQLAlchemy, pydantic and the kernel's middleware. Its pool has the vendors service's size.

Environment: CITYOPS_VENDORS_DATABASE_URL, CITYOPS_JWT_SECRET, CITYOPS_SECRET_KEY (page tokens),
CITYOPS_VENDORS_DB_POOL_SIZE and CITYOPS_VENDORS_DB_MAX_OVERFLOW.
Run: `uvicorn --factory bench.raw_app:create_app --port 8009 --loop uvloop --http httptools`.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import jwt
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PREFIX = "/v1/procurement"
PAGE_SIZE = 50
REQUIRED_SCOPE = "procurement:read"

# The vendors service's query, column for column (see services/vendors/registry/repository.py).
SELECT_VENDORS = """
SELECT v.id, v.vendor_number, v.status, v.legal_name, v.normalized_name, v.search_text, v.dba_names,
       v.entity_type, v.identifiers, v.addresses, v.contacts, v.size_class, v.merged_into_id, v.version,
       v.created_at, v.updated_at,
       (SELECT coalesce(json_agg(json_build_object('scheme', c.scheme, 'code', c.code)
                                 ORDER BY c.scheme, c.code), '[]'::json)
          FROM vendors.vendor_commodity_codes c
         WHERE c.vendor_id = v.id) AS commodity_codes
  FROM vendors.vendors v
"""
GET_ONE = SELECT_VENDORS + " WHERE v.id = $1"
FIRST_PAGE = SELECT_VENDORS + " ORDER BY v.id LIMIT $1"
NEXT_PAGE = SELECT_VENDORS + " WHERE v.id > $1 ORDER BY v.id LIMIT $2"

WIRE_FIELDS = (
    "id", "vendor_number", "status", "legal_name", "dba_names", "entity_type", "identifiers", "addresses",
    "contacts", "commodity_codes", "size_class", "merged_into_id", "version", "created_at", "updated_at",
)  # fmt: skip


def _wire_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        # pydantic writes UTC as `Z`; so does this, for byte-identical bodies.
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


def _vendor(row: asyncpg.Record) -> dict[str, Any]:
    return {name: _wire_value(row[name]) for name in WIRE_FIELDS}


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
    )


def _authorised(request: Request) -> JSONResponse | None:
    """None when the bearer token is valid and has the read scope; else the 401/403 to send."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return _problem(401, "Authentication required", "Send `Authorization: Bearer <token>`.")
    try:
        claims = jwt.decode(
            token,
            request.app.state.jwt_secret,
            algorithms=["HS256"],
            audience="cityops",
            options={"require": ["sub", "exp", "aud"]},
        )
    except jwt.PyJWTError:
        return _problem(401, "Authentication required", "The token is not valid for this API.")
    if REQUIRED_SCOPE not in str(claims.get("scope", "")).split():
        return _problem(403, "Not allowed", f"This operation needs the scope(s): {REQUIRED_SCOPE}.")
    return None


async def get_vendor(request: Request) -> Response:
    refused = _authorised(request)
    if refused is not None:
        return refused
    try:
        vendor_id = uuid.UUID(request.path_params["vendor_id"])
    except ValueError:
        return _problem(422, "The request is not valid", "`vendor_id` is not a UUID.")
    row = await request.app.state.pool.fetchrow(GET_ONE, vendor_id)
    if row is None:
        return _problem(404, "Not found", f"No vendor has id {vendor_id}.")
    return JSONResponse(_vendor(row), headers={"ETag": f'"v{row["version"]}"'})


async def list_vendors(request: Request) -> Response:
    refused = _authorised(request)
    if refused is not None:
        return refused
    serializer: URLSafeSerializer = request.app.state.page_tokens
    token = request.query_params.get("page_token")
    pool = request.app.state.pool
    if token:
        try:
            after = uuid.UUID(serializer.loads(token)["after"][0])
        except (BadSignature, KeyError, IndexError, TypeError, ValueError):
            return _problem(400, "The page token is invalid", "The page token is malformed.")
        rows = await pool.fetch(NEXT_PAGE, after, PAGE_SIZE + 1)
    else:
        rows = await pool.fetch(FIRST_PAGE, PAGE_SIZE + 1)
    served = rows[:PAGE_SIZE]
    next_token = serializer.dumps({"after": [str(served[-1]["id"])]}) if len(rows) > PAGE_SIZE else None
    return JSONResponse({"items": [_vendor(row) for row in served], "next_page_token": next_token})


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _json_codecs(connection: asyncpg.Connection) -> None:
    # Decode JSON columns with the standard library, as SQLAlchemy's asyncpg dialect does.
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


def create_app(
    database_url: str | None = None, jwt_secret: str | None = None, signing_key: str | None = None
) -> Starlette:
    """Arguments default to the environment, which is what `uvicorn --factory` gives."""
    database_url = database_url or os.environ["CITYOPS_VENDORS_DATABASE_URL"]
    jwt_secret = jwt_secret or os.environ["CITYOPS_JWT_SECRET"]
    signing_key = signing_key or os.environ.get("CITYOPS_SECRET_KEY") or jwt_secret
    pool_size = int(os.environ.get("CITYOPS_VENDORS_DB_POOL_SIZE", "10"))
    max_overflow = int(os.environ.get("CITYOPS_VENDORS_DB_MAX_OVERFLOW", "10"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with asyncpg.create_pool(
            database_url, min_size=1, max_size=pool_size + max_overflow, init=_json_codecs
        ) as pool:
            app.state.pool = pool
            yield

    app = Starlette(
        routes=[
            Route(f"{PREFIX}/vendors", list_vendors),
            Route(f"{PREFIX}/vendors/{{vendor_id}}", get_vendor),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
    app.state.jwt_secret = jwt_secret
    app.state.page_tokens = URLSafeSerializer(signing_key, salt="cityops.page-token")
    return app
