"""CSV for every tabular report: a header line, then the rows as they come from the database cursor.

Rows are written in batches as the cursor yields them, so a large report is never held in memory and
the first bytes leave before the last row is read. Values are written as the JSON form writes them
(amounts with two decimals, shares with six, dates ISO); a null is an empty field. A cell that a
spreadsheet would take for a formula (a vendor named `=HYPERLINK(…)`) is written inert
(`services.common.csv_cells`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from fastapi.responses import StreamingResponse

from services.common.csv_cells import exported_cell

ROWS_PER_CHUNK = 500

Row = TypeVar("Row")
# A CSV column: its header, and how a report's row gives its value.
Column = tuple[str, Callable[[Row], Any]]


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
    csv.writer(buffer, lineterminator="\r\n").writerows([exported_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


async def csv_chunks(rows: AsyncIterator[Row], columns: Sequence[Column[Row]]) -> AsyncIterator[str]:
    yield _render([[name for name, _ in columns]])
    batch: list[list[str]] = []
    async for row in rows:
        batch.append([text(value(row)) for _, value in columns])
        if len(batch) >= ROWS_PER_CHUNK:
            yield _render(batch)
            batch = []
    if batch:
        yield _render(batch)


class CsvResponse(StreamingResponse):
    """A report as CSV: the media type FastAPI documents for the `.csv` operations."""

    media_type = "text/csv"  # Starlette adds `; charset=utf-8` to the header


def csv_response(rows: AsyncIterator[Row], columns: Sequence[Column[Row]], name: str) -> CsvResponse:
    return CsvResponse(
        csv_chunks(rows, columns),
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def csv_description(row: str, json_operation: str) -> str:
    return (
        f"Every {row} of `{json_operation}`, with the same filters, as CSV (`text/csv`, UTF-8, a header line, "
        "comma-separated, CRLF line ends), streamed and unpaged. Amounts and shares are written as in the "
        "JSON answer; an empty field is a null."
    )


def csv_openapi(rows: str) -> dict[int | str, dict[str, Any]]:
    """The `.csv` operations' 200 response: `text/csv` only, so that generated clients read it as text."""
    return {
        200: {
            "description": f"The {rows}, as CSV.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "headers": {
                "Content-Disposition": {
                    "description": "`attachment` with the report's file name.",
                    "schema": {
                        "type": "string",
                        "pattern": r'^attachment; filename="[a-z0-9-]+\.csv"$',
                        "maxLength": 100,
                    },
                }
            },
        }
    }
