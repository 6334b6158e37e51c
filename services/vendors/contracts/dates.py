"""Dates and instants as query parameters take them: ISO 8601 text only.

Pydantic, in its lax mode, would read a bare number as Unix time (`paid_to=0` as 1970-01-01,
`updated_since=5` as a moment in 1970); the document promises ISO dates and RFC 3339 timestamps, so the
server holds to it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator, WithJsonSchema

__all__ = ["ISO_DATE", "IsoDate", "ReportDay", "Timestamp"]

ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# The days reports and metrics cover, 1900-01-01 to 2199-12-31: the years in the pattern, so that the
# document states the bound the server checks.
REPORT_DAY = r"^(19[0-9]{2}|2[01][0-9]{2})-[0-9]{2}-[0-9]{2}$"
_ISO_DATE = re.compile(ISO_DATE)


def _date_text(value: object) -> object:
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("a date is an ISO date, e.g. 2026-07-01")
    return value


def _timestamp_text(value: object) -> object:
    """A bare number would pass as Unix time; the API speaks RFC 3339 only."""
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("a timestamp is RFC 3339 with an offset, e.g. 2026-07-01T00:00:00Z")
    return value


IsoDate = Annotated[date, BeforeValidator(_date_text)]
ReportDay = Annotated[
    date,
    BeforeValidator(_date_text),
    WithJsonSchema({"type": "string", "format": "date", "pattern": REPORT_DAY}),
]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp_text)]
