"""Vendor files: each row validated by the registry's own `VendorCreate`, then merged in SQL.

A vendor row carries lists and free text (names, addresses, contacts, identifiers) whose rules, and the
name normalisation duplicates are found by, are the registry's Python rules; so rows are read from the
stage in batches, validated as the API validates a registration, and the valid ones copied into a
second temporary table, from which matching and loading are set-based. Memory stays bounded by the
batch. A vendor master holds thousands of firms, not millions of payment lines.

A row names a vendor already registered when one of its identifiers is the registry's, or else when its
normalised legal name is exactly one registered vendor's whose identifiers do not contradict the row's
(same scheme, other value). Such a row is counted as already present and changes nothing.
"""

# ruff: noqa: S608 -- the SQL here is assembled from this module's own constants (table names, documented
# columns, the registry's patterns); every value that comes from a request is a bound parameter.

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.csv_cells import imported_cell
from services.vendors.contracts import (
    VENDOR_CSV_COLUMNS,
    IdentifierScheme,
    VendorCreate,
    VendorStatus,
    identifier_column,
)
from services.vendors.imports import matching
from services.vendors.imports.loading import UUID_V7, Outcome
from services.vendors.imports.staging import STAGE, driver_connection
from services.vendors.registry.service import derived_name_fields

CANDIDATES = "import_vendor_candidates"
CANDIDATE_IDENTIFIERS = "import_vendor_candidate_identifiers"
BATCH = 2_000
IMPORTABLE_STATUSES = (VendorStatus.draft.value, VendorStatus.active.value)
_LIST_SEPARATOR = re.compile(r"[|\s]+")
_COLUMNS = tuple(column.name for column in VENDOR_CSV_COLUMNS)
_IDENTIFIER_COLUMNS = {identifier_column(scheme): scheme for scheme in IdentifierScheme}
_ADDRESS_FIELDS = ("line1", "line2", "city", "region", "postal_code", "country")
_CONTACT_FIELDS = ("name", "email", "phone")

_CANDIDATES_TABLE = f"""
CREATE TEMPORARY TABLE {CANDIDATES} (
  line bigint PRIMARY KEY, legal_name text, normalized_name text, search_text text, dba_names jsonb,
  entity_type text, identifiers jsonb, addresses jsonb, contacts jsonb, size_class text, status text,
  commodity_codes jsonb, new_id uuid, duplicate_of bigint, present boolean NOT NULL DEFAULT false,
  ambiguity text
) ON COMMIT DROP
"""


def _row_body(row: dict[str, str | None]) -> tuple[dict[str, Any], dict[str, str]]:
    """The registration a row describes, and where each list entry came from (for error columns)."""
    sources: dict[str, str] = {}
    identifiers: list[dict[str, str | None]] = []
    for column, scheme in _IDENTIFIER_COLUMNS.items():
        if row.get(column):
            sources[f"identifiers.{len(identifiers)}"] = column
            identifiers.append({"scheme": scheme.value, "id": row[column]})
    body: dict[str, Any] = {
        "legal_name": row.get("legal_name"),
        "entity_type": (row.get("entity_type") or "").lower() or None,
        "dba_names": [name for name in (row.get("dba_names") or "").split("|") if name.strip()],
        "identifiers": identifiers,
        "size_class": (row.get("size_class") or "").lower() or None,
        "commodity_codes": _commodity_codes(row.get("commodity_codes")),
    }
    # Left out rather than null, so that an empty required cell reads as `missing`.
    body = {key: value for key, value in body.items() if value is not None}
    address = {field: row.get(f"address_{field}") for field in _ADDRESS_FIELDS}
    if any(address.values()):
        body["addresses"] = [{"kind": "physical", **{k: v for k, v in address.items() if v}}]
    contact = {field: row.get(f"contact_{field}") for field in _CONTACT_FIELDS}
    if any(contact.values()):
        body["contacts"] = [{"role": "primary", **{k: v for k, v in contact.items() if v}}]
    return body, sources


def _commodity_codes(cell: str | None) -> list[dict[str, str]]:
    codes = []
    for pair in _LIST_SEPARATOR.split(cell or ""):
        if pair:
            scheme, _, code = pair.partition(":")
            codes.append({"scheme": scheme.lower(), "code": code})
    return codes


def _column_of(location: Sequence[int | str], sources: dict[str, str]) -> str | None:
    """The CSV column a validation error's location points at."""
    if not location:
        return None
    head = str(location[0])
    if head == "identifiers" and len(location) > 1:
        return sources.get(f"identifiers.{location[1]}")
    if head == "addresses" and len(location) > 2:
        return f"address_{location[2]}"
    if head == "contacts" and len(location) > 2:
        return f"contact_{location[2]}"
    return head if head in _COLUMNS else None


def _check_row(line: int, row: dict[str, str | None]) -> tuple[tuple[Any, ...] | None, list[tuple[Any, ...]]]:
    """(candidate record, []) for a valid row; (None, errors as (line, column, code, message))."""
    errors: list[tuple[Any, ...]] = []
    status = (row.get("status") or VendorStatus.draft.value).lower()
    if status not in IMPORTABLE_STATUSES:
        errors.append((line, "status", "enum", "an import creates `draft` or `active` vendors"))
    body, sources = _row_body(row)
    try:
        vendor = VendorCreate.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            message = str(error["msg"]).removeprefix("Value error, ")
            errors.append((line, _column_of(error["loc"], sources), str(error["type"]), message))
        return None, errors
    if errors:
        return None, errors
    data = vendor.model_dump(mode="json", exclude={"commodity_codes"})
    names = derived_name_fields(vendor.legal_name, vendor.dba_names)
    candidate = (
        line,
        vendor.legal_name,
        names["normalized_name"],
        names["search_text"],
        json.dumps(data["dba_names"]),
        data["entity_type"],
        json.dumps(data["identifiers"]),
        json.dumps(data["addresses"]),
        json.dumps(data["contacts"]),
        data["size_class"],
        status,
        json.dumps([code.model_dump(mode="json") for code in vendor.commodity_codes]),
    )
    return candidate, []


async def _validate_stage(session: AsyncSession, import_id: uuid.UUID) -> int:
    """Validates every staged row in batches; returns how many errors were reported."""
    await session.execute(text(_CANDIDATES_TABLE))
    driver = await driver_connection(session)
    columns = ", ".join(f'"{name}"' for name in _COLUMNS)
    error_count = 0
    async for batch in matching.batches(driver, f"SELECT line, {columns} FROM {STAGE} ORDER BY line", BATCH):
        candidates, errors = [], []
        for record in batch:
            row = {
                name: (imported_cell(record[name]) or None) if record[name] is not None else None
                for name in _COLUMNS
            }
            candidate, row_errors = _check_row(record["line"], row)
            if candidate is not None:
                candidates.append(candidate)
            errors += [
                (import_id, line, position, column, code, message)
                for position, (line, column, code, message) in enumerate(row_errors, start=1)
            ]
        if candidates:
            await driver.copy_records_to_table(
                CANDIDATES,
                records=candidates,
                columns=[
                    "line", "legal_name", "normalized_name", "search_text", "dba_names", "entity_type",
                    "identifiers", "addresses", "contacts", "size_class", "status", "commodity_codes",
                ],
            )  # fmt: skip
        if errors:
            await driver.copy_records_to_table(
                "import_errors",
                schema_name="vendors",
                records=errors,
                columns=["import_id", "line", "position", "column_name", "code", "message"],
            )
            error_count += len(errors)
    await session.execute(text(f"ANALYZE {CANDIDATES}"))
    return error_count


# Every identifier of every candidate, as the registry's are listed in matching.IDENTIFIERS.
_LIST_CANDIDATE_IDENTIFIERS = f"""
CREATE TEMPORARY TABLE {CANDIDATE_IDENTIFIERS} ON COMMIT DROP AS
SELECT c.line, upper(i.value ->> 'scheme') AS scheme, upper(i.value ->> 'id') AS identifier
FROM {CANDIDATES} AS c CROSS JOIN LATERAL jsonb_array_elements(c.identifiers) AS i(value)
"""

# A later row naming the same firm as an earlier one (same normalised name, or a shared identifier).
_MARK_DUPLICATES = f"""
WITH by_name AS (
  SELECT line, min(line) OVER (PARTITION BY normalized_name) AS first_line FROM {CANDIDATES}
), by_identifier AS (
  SELECT mine.line, min(other.line) AS first_line
  FROM {CANDIDATE_IDENTIFIERS} AS mine
  JOIN {CANDIDATE_IDENTIFIERS} AS other ON other.scheme = mine.scheme AND other.identifier = mine.identifier
  GROUP BY mine.line
)
UPDATE {CANDIDATES} AS c SET duplicate_of = least(n.first_line, i.first_line)
FROM by_name AS n LEFT JOIN by_identifier AS i ON i.line = n.line
WHERE n.line = c.line AND least(n.first_line, i.first_line) < c.line
"""

_MARK_PRESENT_BY_IDENTIFIER = f"""
UPDATE {CANDIDATES} AS c SET present = true
WHERE c.duplicate_of IS NULL AND EXISTS (
  SELECT 1 FROM {CANDIDATE_IDENTIFIERS} AS mine
  JOIN {matching.IDENTIFIERS} AS r ON r.scheme = mine.scheme AND r.identifier = mine.identifier
  WHERE mine.line = c.line
)
"""

# Registered vendors of the candidate's name whose identifiers do not contradict the candidate's.
_NAMESAKES = f"""
SELECT c.line, v.id, v.vendor_number
FROM {CANDIDATES} AS c
JOIN vendors.vendors AS v ON v.normalized_name = c.normalized_name AND v.status <> 'merged'
WHERE c.duplicate_of IS NULL AND NOT c.present AND NOT EXISTS (
  SELECT 1 FROM {CANDIDATE_IDENTIFIERS} AS mine
  JOIN {matching.IDENTIFIERS} AS theirs ON theirs.vendor_id = v.id AND theirs.scheme = mine.scheme
  WHERE mine.line = c.line AND theirs.identifier <> mine.identifier
)
"""

_MARK_PRESENT_BY_NAME = f"""
UPDATE {CANDIDATES} AS c SET
  present = n.count = 1,
  ambiguity = CASE WHEN n.count > 1 THEN n.count || ' registered vendors have this name once normalised ('
    || n.numbers || '): give the firm''s identifiers to tell which, if any, it is' END
FROM (SELECT line, count(*) AS count, string_agg(vendor_number, ', ' ORDER BY vendor_number) AS numbers
      FROM ({_NAMESAKES}) AS s GROUP BY line) AS n
WHERE n.line = c.line
"""

_ERRORS = f"""
INSERT INTO vendors.import_errors (import_id, line, position, column_name, code, message)
SELECT :import_id, line, 1, CASE WHEN duplicate_of IS NOT NULL THEN NULL ELSE 'legal_name' END,
  CASE WHEN duplicate_of IS NOT NULL THEN 'duplicate' ELSE 'ambiguous_vendor' END,
  CASE WHEN duplicate_of IS NOT NULL THEN 'the same firm (by normalised name or an identifier) is on line '
    || duplicate_of ELSE ambiguity END
FROM {CANDIDATES} WHERE duplicate_of IS NOT NULL OR ambiguity IS NOT NULL
"""

_NUMBER = "'VND-' || lpad(n::text, greatest(6, length(n::text)), '0')"

_INSERT_VENDORS = f"""
WITH new AS (
  UPDATE {CANDIDATES} SET new_id = {UUID_V7}
  WHERE duplicate_of IS NULL AND NOT present AND ambiguity IS NULL
  RETURNING *
), numbered AS (
  SELECT new.*, nextval('vendors.vendor_number_seq') AS n FROM (SELECT * FROM new ORDER BY line) AS new
)
INSERT INTO vendors.vendors (id, vendor_number, status, legal_name, normalized_name, search_text, dba_names,
  entity_type, identifiers, addresses, contacts, size_class, merged_into_id, version, created_at, updated_at)
SELECT new_id, {_NUMBER}, status, legal_name, normalized_name, search_text, dba_names, entity_type,
  identifiers, addresses, contacts, size_class, NULL, 1, :now, :now
FROM numbered
"""

_INSERT_CODES = f"""
INSERT INTO vendors.vendor_commodity_codes (vendor_id, scheme, code)
SELECT DISTINCT c.new_id, code.value ->> 'scheme', code.value ->> 'code'
FROM {CANDIDATES} AS c CROSS JOIN LATERAL jsonb_array_elements(c.commodity_codes) AS code(value)
WHERE c.new_id IS NOT NULL
"""

_AUDIT = f"""
INSERT INTO vendors.audit_events (id, occurred_at, actor, action, entity, entity_id, changes, request_id)
SELECT {UUID_V7}, :now, :actor, 'import', 'vendor', new_id::text,
  jsonb_build_object('status', status, 'legal_name', legal_name, 'import_id', CAST(:import_id AS text),
                     'line', line),
  :request_id
FROM {CANDIDATES} WHERE new_id IS NOT NULL
"""

_COUNTS = f"""
SELECT count(*) FILTER (WHERE new_id IS NOT NULL) AS loaded,
       count(*) FILTER (WHERE present) AS present
FROM {CANDIDATES}
"""


async def merge(
    session: AsyncSession, import_id: uuid.UUID, now: datetime, actor: str, request_id: str | None
) -> Outcome:
    """Validates the staged vendor rows, reports the failing ones, registers the new ones."""
    validation_errors = await _validate_stage(session, import_id)
    await matching.registry_identifiers(session)
    await session.execute(text(_LIST_CANDIDATE_IDENTIFIERS))
    await session.execute(text(f"ANALYZE {CANDIDATE_IDENTIFIERS}"))
    for statement in (_MARK_DUPLICATES, _MARK_PRESENT_BY_IDENTIFIER, _MARK_PRESENT_BY_NAME):
        await session.execute(text(statement))
    matching_errors = await session.execute(text(_ERRORS), {"import_id": import_id})
    await session.execute(text(_INSERT_VENDORS), {"now": now})
    await session.execute(text(_INSERT_CODES))
    await session.execute(
        text(_AUDIT), {"now": now, "actor": actor, "import_id": str(import_id), "request_id": request_id}
    )
    counts: Any = (await session.execute(text(_COUNTS))).one()
    rows = await session.scalar(text(f"SELECT count(*) FROM {STAGE}"))
    for table in (CANDIDATES, CANDIDATE_IDENTIFIERS, matching.IDENTIFIERS):
        await session.execute(text(f"DROP TABLE {table}"))
    loaded, present = int(counts.loaded), int(counts.present)
    return Outcome(
        loaded=loaded,
        already_present=present,
        failed=int(rows or 0) - loaded - present,
        error_count=validation_errors + int(matching_errors.rowcount),  # type: ignore[attr-defined]
    )
