"""CSV for every tabular report: a header line, then the rows as they come from the database cursor.

Rows are written in batches as the cursor yields them, so a large report is never held in memory and
the first bytes leave before the last row is read. Values are written as the JSON form writes them
(amounts with two decimals, shares with six, dates ISO); a null is an empty field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.responses import StreamingResponse

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
ROWS_PER_CHUNK = 500

Column = tuple[str, Callable[[dict[str, Any]], Any]]


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _render(rows: Sequence[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


async def csv_chunks(rows: AsyncIterator[dict[str, Any]], columns: Sequence[Column]) -> AsyncIterator[str]:
    yield _render([[name for name, _ in columns]])
    batch: list[list[str]] = []
    async for row in rows:
        batch.append([text(value(row)) for _, value in columns])
        if len(batch) >= ROWS_PER_CHUNK:
            yield _render(batch)
            batch = []
    if batch:
        yield _render(batch)


def csv_response(
    rows: AsyncIterator[dict[str, Any]], columns: Sequence[Column], name: str
) -> StreamingResponse:
    return StreamingResponse(
        csv_chunks(rows, columns),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def csv_openapi(rows: str) -> dict[int | str, dict[str, Any]]:
    """The `text/csv` alternative of a report's 200 response, for `responses=`."""
    description = f"The {rows}: a page of them as JSON, or every one as CSV (`format=csv`)."
    return {200: {"description": description, "content": {"text/csv": {"schema": {"type": "string"}}}}}
