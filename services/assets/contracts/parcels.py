"""Wire models of parcels: Los Angeles County Assessor parcels, by APN, linked to assets many to many."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from services.common.pagination import Page
from services.common.wire import Int32, IsoDate, PositiveInt32, WireModel

_APN = re.compile(r"^[0-9]{4}-?[0-9]{3}-?[0-9]{3}$")


def canonical_apn(value: str) -> str:
    """`5409-015-900` or `5409015900` → `5409015900`: the ten digits (book, page, parcel) as stored."""
    text = value.strip()
    if not (text.isascii() and _APN.match(text)):
        raise PydanticCustomError(
            "apn_format",
            "an APN is 10 digits, written ####-###-### or without dashes; got {value!r}",
            {"value": value[:40]},
        )
    return text.replace("-", "")


def display_apn(digits: str) -> str:
    """`5409015900` → `5409-015-900`, as the Assessor writes it."""
    return f"{digits[:4]}-{digits[4:7]}-{digits[7:]}"


Apn = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(canonical_apn),
    Field(description="Assessor's Parcel Number: 10 digits, `####-###-###` or without dashes."),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Pin = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
UseCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[0-9A-Z]{4}$")]


class ParcelCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    apn: Apn
    pin: Pin | None = Field(
        default=None, description="The Bureau of Engineering's Parcel Identification Number."
    )
    situs_address: Text | None = None
    lot_area_sqft: Annotated[int, Field(gt=0, le=1_000_000_000)] | None = None
    zoning: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = (
        None
    )
    assessor_use_code: UseCode | None = Field(
        default=None, description="The Assessor's 4-character use code."
    )


class ParcelUpdate(WireModel):
    """Fields to change; `null` clears one. A parcel is retired (split or merged away by the Assessor)
    with `retired_on`; a retired parcel keeps its links but takes no new ones."""

    model_config = ConfigDict(extra="forbid")

    pin: Pin | None = None
    situs_address: Text | None = None
    lot_area_sqft: Annotated[int, Field(gt=0, le=1_000_000_000)] | None = None
    zoning: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = (
        None
    )
    assessor_use_code: UseCode | None = None
    retired_on: IsoDate | None = None


class Parcel(WireModel):
    apn: str = Field(description="`####-###-###`.")
    pin: str | None
    situs_address: str | None
    lot_area_sqft: Int32 | None
    zoning: str | None
    assessor_use_code: str | None
    retired_on: date | None
    version: PositiveInt32
    created_at: datetime
    updated_at: datetime


class ParcelPage(Page[Parcel]):
    pass
