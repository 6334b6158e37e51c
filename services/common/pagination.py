"""Keyset pagination with opaque, signed page tokens.

A page token carries the sort key of the last row served and a fingerprint of the query's filters,
signed so that clients cannot forge positions or reuse a token with other filters. Page 10,000 costs
what page 1 costs: the query seeks past the last key with a row comparison on an index.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import Field
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.common.problems import InvalidPageToken
from services.common.wire import WireModel

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# A page token is the signed sort key of the last row served: a few ids, instants and names.
PAGE_TOKEN_MAX_LENGTH = 2048


class Page(WireModel, Generic[T]):
    """A page of a collection. Subclass it per item type (`class VendorPage(Page[Vendor])`) for a clean
    schema name in the OpenAPI document."""

    items: list[T] = Field(max_length=MAX_PAGE_SIZE)
    next_page_token: str | None = Field(
        max_length=PAGE_TOKEN_MAX_LENGTH,
        description="Pass as `page_token` for the next page; null on the last page.",
    )


_PARSERS: dict[type, Callable[[Any], Any]] = {
    uuid.UUID: uuid.UUID,
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
    Decimal: Decimal,
}


def _encode_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass
class Pager:
    """One list request's paging state: `page_size`, the decoded position, the filters' fingerprint."""

    page_size: int
    page_token: str | None
    serializer: URLSafeSerializer

    def keyset(self, statement: Select[Any], order_by: Sequence[Any], filters: dict[str, Any]) -> Select[Any]:
        """Order by `order_by` (unique together: end with the id), seek past the token, fetch one extra."""
        self._fingerprint = _fingerprint(filters)
        after = self._decode(order_by)
        if after is not None:
            statement = statement.where(tuple_(*order_by) > tuple_(*after))
        return statement.order_by(*order_by).limit(self.page_size + 1)

    def page(self, rows: Sequence[T], sort_key: Callable[[T], Sequence[Any]]) -> tuple[list[T], str | None]:
        """The rows to serve and the token of the next page, from the `page_size + 1` rows fetched."""
        if len(rows) <= self.page_size:
            return list(rows), None
        served = list(rows[: self.page_size])
        position = [_encode_value(v) for v in sort_key(served[-1])]
        return served, self.serializer.dumps({"after": position, "query": self._fingerprint})

    async def fetch(
        self, session: AsyncSession, statement: Select[Any], order_by: Sequence[Any], filters: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of `statement`'s rows as dicts, and the next page's token: `keyset`, run, `page`."""
        paged = self.keyset(statement, order_by, filters)
        rows = [dict(row) for row in (await session.execute(paged)).mappings().all()]
        names = [column.key for column in order_by]
        return self.page(rows, lambda row: [row[name] for name in names])

    def _decode(self, order_by: Sequence[ColumnElement[Any]]) -> list[Any] | None:
        if not self.page_token:
            return None
        try:
            payload = self.serializer.loads(self.page_token)
            if payload["query"] != self._fingerprint:
                raise InvalidPageToken("This page token was issued for a query with other filters.")
            values = payload["after"]
            if len(values) != len(order_by):
                raise ValueError("position length")
            return [_parse(value, column) for value, column in zip(values, order_by, strict=True)]
        except InvalidPageToken:
            raise
        except (BadSignature, KeyError, TypeError, ValueError) as exc:
            raise InvalidPageToken("The page token is malformed or was not issued by this API.") from exc


def _parse(value: Any, column: ColumnElement[Any]) -> Any:
    if value is None:
        return None
    python_type = column.type.python_type
    return _PARSERS.get(python_type, python_type)(value)


def _fingerprint(filters: dict[str, Any]) -> str:
    canonical = json.dumps({k: _encode_value(v) for k, v in filters.items()}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# async: a plain `def` dependency would cost a thread-pool hop on every list request.
async def _pager(
    request: Request,
    page_size: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page (default {DEFAULT_PAGE_SIZE}).")
    ] = DEFAULT_PAGE_SIZE,
    page_token: Annotated[
        str | None,
        Query(max_length=PAGE_TOKEN_MAX_LENGTH, description="`next_page_token` from the previous page."),
    ] = None,
) -> Pager:
    return Pager(page_size, page_token, request.app.state.page_token_serializer)


PageParams = Annotated[Pager, Depends(_pager)]


def page_token_serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="cityops.page-token")
