"""Wire models of bulk imports: CSV files of payments or vendors, their columns, and their reports.

An import loads every valid row of a file and reports each invalid one with its line and a precise
message; a row already loaded by an earlier import is counted and left alone, so importing the same
file twice changes nothing. The column sets below are the contract with the systems that export them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from services.common.pagination import Page
from services.common.wire import Count, PositiveInt64, WireModel
from services.vendors.contracts.registry import (
    CommodityScheme,
    EntityType,
    IdentifierScheme,
    SizeClass,
)

__all__ = [
    "CSV_COLUMNS",
    "ERRORS_SHOWN",
    "PAYMENT_CSV_COLUMNS",
    "VENDOR_CSV_COLUMNS",
    "CsvColumn",
    "Import",
    "ImportFile",
    "ImportKind",
    "ImportPage",
    "ImportReport",
    "ImportRowError",
    "ImportRowErrorPage",
    "ImportStatus",
    "identifier_column",
]

# How many of an import's row errors its report shows; the rest are paged at `…/imports/{id}/errors`.
ERRORS_SHOWN = 100


class ImportKind(StrEnum):
    payments = "payments"
    vendors = "vendors"


class ImportStatus(StrEnum):
    """`processing` while an asynchronous import runs; `completed` once every row is loaded or reported;
    `failed` when the import stopped as a whole (nothing of it was loaded)."""

    processing = "processing"
    completed = "completed"
    failed = "failed"


class CsvColumn(WireModel):
    """One column of an import file, named in the header line."""

    model_config = ConfigDict(frozen=True)

    name: str
    required: bool = False
    description: str


def _choices(values: type[StrEnum]) -> str:
    return ", ".join(f"`{value.value}`" for value in values)


def identifier_column(scheme: IdentifierScheme) -> str:
    """`identifier_us_uei` for US-UEI: the vendor file's column of that scheme."""
    return "identifier_" + scheme.value.lower().replace("-", "_")


_VENDOR_REFERENCE = (
    "The vendor is found by its identifier first (scheme and value, as in the registry's `identifiers`), "
    "then by its legal name, normalised as the registry normalises names (case, punctuation, `&`, legal "
    "suffixes such as `Inc` or `L.L.C.`)."
)

PAYMENT_CSV_COLUMNS: tuple[CsvColumn, ...] = (
    CsvColumn(
        name="external_ref",
        required=True,
        description="The paying system's own id of the line (at most 80 characters), unique: a line whose "
        "`external_ref` is already loaded is counted as already present and left alone.",
    ),
    CsvColumn(
        name="vendor_identifier_scheme",
        description=f"Scheme of the vendor's identifier: {_choices(IdentifierScheme)}.",
    ),
    CsvColumn(name="vendor_identifier", description="The vendor's identifier in that scheme."),
    CsvColumn(
        name="vendor_name",
        description="The vendor's name as the paying system holds it. " + _VENDOR_REFERENCE + " Give the "
        "identifier, the name, or both.",
    ),
    CsvColumn(
        name="tier",
        description="`prime` (default) for the City's own supplier, `sub` for a subcontractor paid under a "
        "prime.",
    ),
    CsvColumn(
        name="prime_vendor_identifier_scheme", description="`sub` lines: scheme of the prime's identifier."
    ),
    CsvColumn(name="prime_vendor_identifier", description="`sub` lines: the prime's identifier."),
    CsvColumn(
        name="prime_vendor_name", description="`sub` lines: the prime's name, matched as `vendor_name` is."
    ),
    CsvColumn(
        name="contract_number",
        description="The contract paid against (e.g. `C-2026-00042`); empty for off-contract spend. It must "
        "be the vendor's contract on a prime line, the prime's on a sub line.",
    ),
    CsvColumn(name="department", required=True, description="City department code, e.g. `GSD`."),
    CsvColumn(
        name="category_scheme",
        description=f"{_choices(CommodityScheme)}; default `nigp`.",
    ),
    CsvColumn(
        name="category_code",
        required=True,
        description="What was bought, at any level of the scheme (NIGP `620`, `620-80`, `620-80-21`; "
        "undashed NIGP digits are dashed).",
    ),
    CsvColumn(
        name="amount",
        required=True,
        description="Decimal with at most two decimal places and a point, no thousands separator; negative "
        "for a correction; never zero.",
    ),
    CsvColumn(name="currency", description="`USD` (the default and the only currency the City pays in)."),
    CsvColumn(
        name="paid_date",
        required=True,
        description="`YYYY-MM-DD`, not after today; the fiscal year (July to June) follows from it.",
    ),
)

VENDOR_CSV_COLUMNS: tuple[CsvColumn, ...] = (
    CsvColumn(name="legal_name", required=True, description="The name exactly as on the W-9."),
    CsvColumn(name="entity_type", required=True, description=f"{_choices(EntityType)}."),
    CsvColumn(name="dba_names", description="Names the firm trades under, separated by `|`."),
    CsvColumn(name="size_class", description=f"{_choices(SizeClass)}."),
    CsvColumn(
        name="status",
        description="`draft` (default) or `active`: a vendor master moved from another system may arrive "
        "active.",
    ),
    *(
        CsvColumn(name=identifier_column(scheme), description=f"The firm's {scheme.value} identifier.")
        for scheme in IdentifierScheme
    ),
    CsvColumn(name="address_line1", description="Physical address: street line."),
    CsvColumn(name="address_line2", description="Physical address: suite, floor."),
    CsvColumn(name="address_city", description="Physical address: city."),
    CsvColumn(name="address_region", description="Physical address: state, e.g. `CA`."),
    CsvColumn(name="address_postal_code", description="Physical address: ZIP code."),
    CsvColumn(name="address_country", description="Physical address: ISO 3166-1 alpha-2; default `US`."),
    CsvColumn(name="contact_name", description="Primary contact's name."),
    CsvColumn(name="contact_email", description="Primary contact's email."),
    CsvColumn(name="contact_phone", description="Primary contact's phone."),
    CsvColumn(
        name="commodity_codes",
        description="`scheme:code` pairs separated by spaces or `|`, e.g. `nigp:620-80 naics:424120`.",
    ),
)

CSV_COLUMNS: dict[ImportKind, tuple[CsvColumn, ...]] = {
    ImportKind.payments: PAYMENT_CSV_COLUMNS,
    ImportKind.vendors: VENDOR_CSV_COLUMNS,
}


class ImportFile(WireModel):
    name: str | None = Field(
        description="The file name the client gave (`filename`, else the form part's), if any."
    )
    bytes: Count = Field(description="Size of the upload.")
    sha256: str = Field(description="Hex SHA-256 of the upload, to tell one file from another.")


class Import(WireModel):
    """An import and its counts. Every row of the file is exactly one of `loaded`, `already_present` or
    `failed` once the import is `completed`."""

    id: uuid.UUID
    kind: ImportKind
    status: ImportStatus
    file: ImportFile
    rows: Count | None = Field(description="Data rows in the file (the header aside); null until staged.")
    loaded: Count = Field(description="Rows that created a payment or a vendor.")
    already_present: Count = Field(
        description="Valid rows already in the registry: payments by `external_ref`, vendors by identifier "
        "or normalised name. Importing the same file again counts every row here."
    )
    failed: Count = Field(description="Rows reported in `errors` and not loaded.")
    error_count: Count = Field(description="Errors reported; a row may have several.")
    matched_by_identifier: Count | None = Field(
        description="Payments: valid rows whose vendor was found by identifier. Null for vendor imports."
    )
    matched_by_name: Count | None = Field(
        description="Payments: valid rows whose vendor was found by normalised name. Null for vendor imports."
    )
    failure: str | None = Field(description="Why the import stopped as a whole, when `failed`.")
    submitted_by: str
    submitted_at: datetime
    completed_at: datetime | None


class ImportRowError(WireModel):
    """One reason a row was not loaded."""

    line: PositiveInt64 = Field(
        description="Line of the file, the header being line 1 (a quoted value spanning lines counts once)."
    )
    column: str | None = Field(description="The column at fault; null when the row as a whole is.")
    code: str = Field(
        description="A machine key: `missing`, `invalid`, `unknown_vendor`, `ambiguous_vendor`…"
    )
    message: str


class ImportReport(Import):
    errors: list[ImportRowError] = Field(
        max_length=ERRORS_SHOWN,
        description=f"The first {ERRORS_SHOWN} errors in file order; `GET …/imports/{{id}}/errors` pages all.",
    )


class ImportPage(Page[Import]):
    pass


class ImportRowErrorPage(Page[ImportRowError]):
    pass
