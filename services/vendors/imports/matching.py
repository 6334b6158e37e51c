"""Finding registered vendors from what a paying system knows of them: an identifier, a raw name.

Each distinct reference of a file (scheme, identifier, name) is resolved once, whatever the number of
lines that carry it: by identifier first, among the registry's `identifiers`; failing that, by name,
against the registry's stored `normalized_name`. Names are normalised by the registry's own rule
(`registry.names.normalize_name`), once per distinct name, so an import and the registry never
disagree on what a name is. Vendors merged away never match: their identifiers and names live on in the
survivor. Zero or several candidates leave the reference with a problem instead of a vendor.
"""

# ruff: noqa: S608 -- the SQL here is assembled from this module's own constants (table names, documented
# columns, the registry's patterns); every value that comes from a request is a bound parameter.

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.vendors.contracts import IdentifierScheme
from services.vendors.imports.staging import driver_connection
from services.vendors.registry.names import normalize_name

REFS = "import_vendor_refs"
NAMES = "import_vendor_names"
IDENTIFIERS = "import_registry_identifiers"
NAME_BATCH = 5_000
SCHEMES = tuple(scheme.value for scheme in IdentifierScheme)
# The first five candidates' vendor numbers, and an ellipsis when there are more.
LISTED = "array_to_string(m.numbers, ', ') || CASE WHEN m.candidates > 5 THEN ', …' ELSE '' END"

# The registry's identifiers, one row per (vendor, scheme, value), values upper-cased as stored.
_REGISTRY_IDENTIFIERS = f"""
CREATE TEMPORARY TABLE {IDENTIFIERS} ON COMMIT DROP AS
SELECT v.id AS vendor_id, v.vendor_number, upper(i.value ->> 'scheme') AS scheme,
       upper(i.value ->> 'id') AS identifier
FROM vendors.vendors AS v CROSS JOIN LATERAL jsonb_array_elements(v.identifiers) AS i(value)
WHERE v.status <> 'merged'
"""


def cleaned_reference(prefix: str) -> tuple[str, str, str]:
    """SQL of the (scheme, identifier, name) in the stage's `<prefix>` vendor columns (stage alias `s`),
    cleaned as the registry stores them, absent parts as empty text so that they join by equality."""
    return (
        f"coalesce(upper(btrim(s.{prefix}identifier_scheme)), '')",
        f"coalesce(upper(btrim(s.{prefix}identifier)), '')",
        f"coalesce(btrim(s.{prefix}name), '')",
    )


async def registry_identifiers(session: AsyncSession) -> None:
    await session.execute(text(_REGISTRY_IDENTIFIERS))
    await session.execute(text(f"ANALYZE {IDENTIFIERS}"))


async def resolve_references(session: AsyncSession, references: str) -> None:
    """Fills REFS with every distinct (scheme, identifier, name) that `references` selects (absent parts
    as empty text), each with its vendor or its problem."""
    await session.execute(
        text(
            f"""
            CREATE TEMPORARY TABLE {REFS} ON COMMIT DROP AS
            SELECT scheme, identifier, name, NULL::uuid AS vendor_id, NULL::text AS matched_by,
                   NULL::text AS problem_column, NULL::text AS problem_code, NULL::text AS problem
            FROM (SELECT DISTINCT * FROM ({references}) AS given) AS refs(scheme, identifier, name)
            WHERE scheme <> '' OR identifier <> '' OR name <> ''
            """
        )
    )
    await _check_identifier_shape(session)
    await registry_identifiers(session)
    await _match_identifiers(session)
    await normalized_names(
        session,
        f"SELECT DISTINCT name FROM {REFS} WHERE vendor_id IS NULL AND problem IS NULL AND name <> ''",
    )
    await _match_names(session)
    await _report_unmatched(session)
    await session.execute(text(f"ANALYZE {REFS}"))


async def _check_identifier_shape(session: AsyncSession) -> None:
    await session.execute(
        text(
            f"""
            UPDATE {REFS} SET
              problem_column = CASE WHEN scheme = '' OR NOT scheme = ANY(:schemes) THEN 'identifier_scheme'
                                    ELSE 'identifier' END,
              problem_code = CASE WHEN scheme <> '' AND NOT scheme = ANY(:schemes) THEN 'unknown_scheme'
                                  ELSE 'missing' END,
              problem = CASE
                WHEN scheme <> '' AND NOT scheme = ANY(:schemes)
                  THEN 'not an identifier scheme of the registry; one of ' || :listed
                WHEN scheme = '' THEN 'an identifier needs its scheme (' || :listed || ')'
                ELSE 'a scheme needs its identifier' END
            WHERE (scheme = '') <> (identifier = '') OR (scheme <> '' AND NOT scheme = ANY(:schemes))
            """
        ),
        {"schemes": list(SCHEMES), "listed": ", ".join(SCHEMES)},
    )


async def _match_identifiers(session: AsyncSession) -> None:
    await session.execute(
        text(
            f"""
            UPDATE {REFS} AS r SET
              vendor_id = CASE WHEN m.candidates = 1 THEN m.vendor_id END,
              matched_by = CASE WHEN m.candidates = 1 THEN 'identifier' END,
              problem_column = CASE WHEN m.candidates > 1 THEN 'identifier' END,
              problem_code = CASE WHEN m.candidates > 1 THEN 'ambiguous_vendor' END,
              problem = CASE WHEN m.candidates > 1 THEN
                m.candidates || ' registered vendors have this identifier (' || {LISTED} || '); the '
                || 'registry should hold it once: merge the duplicates' END
            FROM (
              SELECT scheme, identifier, count(DISTINCT vendor_id) AS candidates,
                     min(vendor_id::text)::uuid AS vendor_id,
                     (array_agg(DISTINCT vendor_number ORDER BY vendor_number))[1:5] AS numbers
              FROM {IDENTIFIERS} GROUP BY scheme, identifier
            ) AS m
            WHERE r.problem IS NULL AND m.scheme = r.scheme AND m.identifier = r.identifier
            """
        )
    )


async def normalized_names(session: AsyncSession, distinct_names: str) -> None:
    """NAMES(name, normalized) for the names `distinct_names` selects, normalised in batches: the
    registry's rule is Python's, and there are as many calls as distinct names, not lines."""
    await session.execute(
        text(
            f"CREATE TEMPORARY TABLE {NAMES} (name text PRIMARY KEY, normalized text NOT NULL) ON COMMIT DROP"
        )
    )
    driver = await driver_connection(session)
    async for batch in batches(driver, distinct_names, NAME_BATCH):
        records = [(row[0], normalize_name(row[0])) for row in batch]
        await driver.copy_records_to_table(NAMES, records=records)
    await session.execute(text(f"ANALYZE {NAMES}"))


async def batches(driver: Any, query: str, size: int) -> AsyncIterator[list[Any]]:
    """The query's rows, `size` at a time, through a cursor closed afterwards (so that the tables it
    reads can be dropped in the same transaction). Other statements may run between batches."""
    await driver.execute(f"DECLARE import_batches NO SCROLL CURSOR FOR {query}")
    try:
        while batch := await driver.fetch(f"FETCH {int(size)} FROM import_batches"):
            yield batch
    finally:
        await driver.execute("CLOSE import_batches")


async def _match_names(session: AsyncSession) -> None:
    await session.execute(
        text(
            f"""
            UPDATE {REFS} AS r SET
              vendor_id = CASE WHEN m.candidates = 1 THEN m.vendor_id END,
              matched_by = CASE WHEN m.candidates = 1 THEN 'name' END,
              problem_column = CASE WHEN m.candidates > 1 THEN 'name' END,
              problem_code = CASE WHEN m.candidates > 1 THEN 'ambiguous_vendor' END,
              problem = CASE WHEN m.candidates > 1 THEN
                m.candidates || ' registered vendors have this name once normalised (' || {LISTED}
                || '): give the vendor''s identifier' END
            FROM (
              SELECT n.name, count(*) AS candidates, min(v.id::text)::uuid AS vendor_id,
                     (array_agg(v.vendor_number ORDER BY v.vendor_number))[1:5] AS numbers
              FROM {NAMES} AS n
              JOIN vendors.vendors AS v ON v.normalized_name = n.normalized AND v.status <> 'merged'
              GROUP BY n.name
            ) AS m
            WHERE r.vendor_id IS NULL AND r.problem IS NULL AND r.name = m.name
            """
        )
    )


async def _report_unmatched(session: AsyncSession) -> None:
    await session.execute(
        text(
            f"""
            UPDATE {REFS} SET
              problem_column = CASE WHEN name = '' THEN 'identifier' ELSE 'name' END,
              problem_code = 'unknown_vendor',
              problem = CASE
                WHEN name = '' THEN 'no registered vendor has this identifier'
                WHEN identifier = '' THEN 'no registered vendor has this name, once normalised: register '
                  || 'the vendor first, or give its identifier'
                ELSE 'no registered vendor has this identifier or this name' END
            WHERE vendor_id IS NULL AND problem IS NULL
            """
        )
    )
