"""What goes over the wire, bounded: the base model of every request and response body, and the bounded
types of values a client sends outside a body (query parameters).

The OpenAPI document states a bound for every value (a string's `maxLength`, an array's `maxItems`, an
integer's range and width), and each bound is one the server holds to: pydantic enforces the same
numbers it writes in the schema, so a value the document refuses is refused, and a value it accepts is
never cut short.

- `WireModel`: every string field is at most `TEXT_MAX_LENGTH` characters unless it says less
  (`str_max_length`, which pydantic checks and writes as `maxLength`).
- Integers: `SmallInt`, `Int32`, `NonNegativeInt32`, `PositiveInt32`, `Count`, `PositiveInt64`,
  bounded as the PostgreSQL column that holds them (`smallint`, `integer`, or `bigint` for counts); `complete_document` (services/common/openapi.py) names
  the width, `int32` or `int64`, from those bounds.
- Dates, instants and durations as text of a bounded length, in ISO 8601 and RFC 3339 only: `IsoDate`,
  `Timestamp`, `ReportDay`, `Duration`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

__all__ = [
    "DATE_MAX_LENGTH",
    "DATE_TEXT",
    "DERIVED_DECIMAL_MAX_LENGTH",
    "DURATION_MAX_LENGTH",
    "INT32_MAX",
    "INT64_MAX",
    "ISO_DATE",
    "LIST_FILTER_MAX_ITEMS",
    "TEXT_MAX_LENGTH",
    "TIMESTAMP_MAX_LENGTH",
    "TIMESTAMP_TEXT",
    "URL_MAX_LENGTH",
    "UUID_MAX_LENGTH",
    "Count",
    "Duration",
    "Int32",
    "IsoDate",
    "NonNegativeInt32",
    "PositiveInt32",
    "PositiveInt64",
    "ReportDay",
    "SmallInt",
    "Timestamp",
    "WireModel",
]

# The longest text a field takes when it names no shorter limit: the longest free text the platform
# stores (a determination's or a protest's reasons) is 20,000 characters.
TEXT_MAX_LENGTH = 20_000
# An ISO 8601 duration as pydantic writes the longest: `-P999999999DT86399.999999S`, with room to spare.
DURATION_MAX_LENGTH = 40
# A UUID as pydantic reads it: 32 hex digits, hyphenated (36), braced (38) or as a URN (45,
# `urn:uuid:…`). Anything longer is refused by the parser itself.
UUID_MAX_LENGTH = 45
# `2026-07-01`.
DATE_MAX_LENGTH = 10
# `2026-07-01T00:00:00.123456789+05:00`: nanoseconds and an offset; the server writes microseconds.
TIMESTAMP_MAX_LENGTH = 35
# A decimal the server derives (a share, an average, a metric's value) from stored amounts of at most
# 18 digits before the point: its digits, a sign, the point and up to six places, with room to spare.
DERIVED_DECIMAL_MAX_LENGTH = 40
# A URL a client gives (a document held elsewhere): what browsers and servers commonly take.
URL_MAX_LENGTH = 2048
# The values a list filter of a query takes at most (`?status=a&status=b…`): beyond a hundred, a client
# wants every value or another query.
LIST_FILTER_MAX_ITEMS = 100
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


class WireModel(BaseModel):
    """The base of every request and response body: strings bounded by `TEXT_MAX_LENGTH` unless a field
    says less."""

    model_config = ConfigDict(str_max_length=TEXT_MAX_LENGTH)


# A PostgreSQL `smallint` column (years, floors).
SmallInt = Annotated[int, Field(ge=-(2**15), le=2**15 - 1)]
# A PostgreSQL `integer` column, and the subsets of it that versions, numbers and sizes take.
Int32 = Annotated[int, Field(ge=-INT32_MAX - 1, le=INT32_MAX)]
NonNegativeInt32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
PositiveInt32 = Annotated[int, Field(ge=1, le=INT32_MAX)]
# A count of rows, as PostgreSQL's `count(*)` answers it (`bigint`).
Count = Annotated[int, Field(ge=0, le=INT64_MAX)]
# A `bigint` that starts at 1 (a line of an uploaded file).
PositiveInt64 = Annotated[int, Field(ge=1, le=INT64_MAX)]


ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# The days reports and metrics cover, 1900-01-01 to 2199-12-31: the years in the pattern, so that the
# document states the bound the server checks.
REPORT_DAY = r"^(19[0-9]{2}|2[01][0-9]{2})-[0-9]{2}-[0-9]{2}$"
_ISO_DATE = re.compile(ISO_DATE)


def _date_text(value: object) -> object:
    """Pydantic, in its lax mode, would read a bare number as Unix time (`paid_to=0` as 1970-01-01) and
    a datetime with a zero time as its day; the document promises ISO dates, so the server holds to it."""
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("a date is an ISO date, e.g. 2026-07-01")
    return value


def _timestamp_text(value: object) -> object:
    """A bare number would pass as Unix time; the API speaks RFC 3339 only, at most
    `TIMESTAMP_MAX_LENGTH` characters (pydantic would read any number of fractional digits)."""
    if isinstance(value, str):
        if len(value) > TIMESTAMP_MAX_LENGTH:
            raise ValueError(f"a timestamp is at most {TIMESTAMP_MAX_LENGTH} characters")
        if value.strip().lstrip("+-").replace(".", "", 1).isdigit():
            raise ValueError("a timestamp is RFC 3339 with an offset, e.g. 2026-07-01T00:00:00Z")
    return value


def _duration_text(value: object) -> object:
    if isinstance(value, str) and len(value) > DURATION_MAX_LENGTH:
        raise ValueError(f"a duration is at most {DURATION_MAX_LENGTH} characters, e.g. P3D")
    return value


# For a date or an instant with a schema of its own: `Annotated[date, DATE_TEXT, WithJsonSchema(…)]`.
DATE_TEXT = BeforeValidator(_date_text)
TIMESTAMP_TEXT = BeforeValidator(_timestamp_text)


def _string_schema(**schema: Any) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", **schema})


IsoDate = Annotated[date, DATE_TEXT, _string_schema(format="date", maxLength=DATE_MAX_LENGTH)]
ReportDay = Annotated[
    date,
    DATE_TEXT,
    _string_schema(format="date", pattern=REPORT_DAY, maxLength=DATE_MAX_LENGTH),
]
Timestamp = Annotated[
    AwareDatetime,
    TIMESTAMP_TEXT,
    _string_schema(format="date-time", maxLength=TIMESTAMP_MAX_LENGTH),
]
Duration = Annotated[
    timedelta,
    BeforeValidator(_duration_text),
    _string_schema(format="duration", maxLength=DURATION_MAX_LENGTH),
]
