"""Payment files, checked and merged in SQL over the whole staged file at once.

The work per row is kept small, because a file has millions of rows: each value is trimmed once; what
has few distinct values in a file (dates, categories, the shapes of amounts, vendor references) is
checked once per distinct value in a small table and joined back by hash; and the error messages are
written only for the rows that fail. `CHECKED` holds every row resolved and typed, with `valid`; from
it one INSERT writes the error report, one INSERT the new payments, one SELECT the counts.

A row already loaded (same `external_ref`, same values) is counted and left alone; the same
`external_ref` with other values is an error, because a payment is never changed.

Payment merges run one at a time (an advisory lock, held from the check against `payments` to the
commit), so a file checked after another sees all of that one's lines as already present. The insert
can then be a plain one: `ON CONFLICT DO NOTHING` would cost a speculative insertion per line, which
made writing a million lines take 24 s instead of 14 (without the rollup triggers). A line that some
other writer (the payments API) adds in between still meets the unique key: the import fails whole,
and a second run counts that line as already present.
"""

# ruff: noqa: S608 -- the SQL here is assembled from this module's own constants (table names, documented
# columns, the registry's patterns); every value that comes from a request is a bound parameter.

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.clock import FISCAL_YEAR_END_MONTH
from services.common.reference import DEPARTMENTS
from services.vendors.contracts import (
    COMMODITY_FORMATS,
    EXTERNAL_REF_MAX_LENGTH,
    PAYMENT_CURRENCY,
    SIGNED_AMOUNT_PATTERN,
)
from services.vendors.imports import matching, repository
from services.vendors.imports.loading import UUID_V7, Outcome
from services.vendors.imports.problems import LoadedMeanwhile
from services.vendors.imports.staging import STAGE
from services.vendors.payments.repository import EXTERNAL_REF_CONSTRAINT

CHECKED = "import_payments_checked"
DATES = "import_payment_dates"
CATEGORIES = "import_payment_categories"
AMOUNT_SHAPES = "import_payment_amount_shapes"
REPEATED_REFS = "import_payment_repeated_refs"
# YYYY-MM-DD in the years 1900 to 2099; whether the day exists in its month is checked apart.
DATE_SHAPE = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_DEPARTMENTS = "ARRAY[" + ", ".join(_quoted(code) for code in sorted(DEPARTMENTS)) + "]"
_SCHEMES = "ARRAY[" + ", ".join(_quoted(scheme.value) for scheme in COMMODITY_FORMATS) + "]"
# Whether `code` is well formed in `scheme`, by the registry's own patterns.
_CODE_VALID = (
    "CASE scheme "
    + " ".join(
        f"WHEN {_quoted(scheme.value)} THEN code ~ {_quoted(pattern.pattern)}"
        for scheme, pattern in COMMODITY_FORMATS.items()
    )
    + " END"
)
# An amount's shape is its text with every digit a 0: `-1250.5` is `-0000.0`. A file has few shapes.
_SHAPE_PATTERN = SIGNED_AMOUNT_PATTERN.replace("[0-9]", "0")

# Each row's values, trimmed once, in a table of their own: the joins below then run on plain columns
# the planner has statistics for, and hash the small lookup tables rather than the rows.
CLEANED = "import_payments_cleaned"


def _reference_columns(prefix: str, alias: str) -> str:
    """`<alias>_scheme, <alias>_identifier, <alias>_name` of the stage's `<prefix>` vendor columns."""
    parts = zip(("scheme", "identifier", "name"), matching.cleaned_reference(prefix), strict=True)
    return ", ".join(f"{sql} AS {alias}_{part}" for part, sql in parts)


_CLEANED = f"""
CREATE TEMPORARY TABLE {CLEANED} ON COMMIT DROP AS
SELECT s.line, nullif(btrim(s.external_ref), '') AS external_ref,
  {_reference_columns("vendor_", "v")},
  {_reference_columns("prime_vendor_", "p")},
  lower(coalesce(nullif(btrim(s.tier), ''), 'prime')) AS tier,
  upper(nullif(btrim(s.contract_number), '')) AS contract_number,
  upper(nullif(btrim(s.department), '')) AS department,
  coalesce(btrim(s.category_scheme), '') AS raw_scheme, coalesce(btrim(s.category_code), '') AS raw_code,
  nullif(btrim(s.amount), '') AS amount_text,
  upper(coalesce(nullif(btrim(s.currency), ''), '{PAYMENT_CURRENCY}')) AS currency,
  coalesce(btrim(s.paid_date), '') AS raw_date
FROM {STAGE} AS s
"""

_DATE_VALUES = f"""
CREATE TEMPORARY TABLE {DATES} ON COMMIT DROP AS
SELECT raw, CASE
    WHEN raw !~ {_quoted(DATE_SHAPE)} THEN NULL
    WHEN substr(raw, 9, 2)::int
         > extract(day FROM make_date(substr(raw, 1, 4)::int, substr(raw, 6, 2)::int, 1)
                            + interval '1 month - 1 day')::int
      THEN NULL
    ELSE raw::date END AS value
FROM (SELECT DISTINCT raw_date AS raw FROM {CLEANED}) AS dates
"""

_NIGP_DASHED = (
    "concat_ws('-', substr(raw_code, 1, 3), nullif(substr(raw_code, 4, 2), ''), "
    "nullif(substr(raw_code, 6, 2), ''), nullif(substr(raw_code, 8, 3), ''), "
    "nullif(substr(raw_code, 11), ''))"
)
# Undashed NIGP digits are dashed (6208021 is 620-80-21), as the registry's CommodityCode does.
_CATEGORY_VALUES = f"""
CREATE TEMPORARY TABLE {CATEGORIES} ON COMMIT DROP AS
SELECT raw_scheme, raw_code, scheme AS category_scheme, code AS category_code,
       coalesce(length(code) <= 40 AND {_CODE_VALID}, false) AS category_valid
FROM (
  SELECT raw_scheme, raw_code, lower(coalesce(nullif(raw_scheme, ''), 'nigp')) AS scheme,
         CASE WHEN lower(coalesce(nullif(raw_scheme, ''), 'nigp')) = 'nigp' AND raw_code ~ '^[0-9]+$'
              THEN {_NIGP_DASHED} ELSE nullif(raw_code, '') END AS code
  FROM (SELECT DISTINCT raw_scheme, raw_code FROM {CLEANED}) AS raw
) AS categories
"""

_AMOUNT_SHAPE = "translate(c.amount_text, '0123456789', '0000000000')"
_AMOUNT_SHAPE_VALUES = f"""
CREATE TEMPORARY TABLE {AMOUNT_SHAPES} ON COMMIT DROP AS
SELECT shape, shape ~ {_quoted(_SHAPE_PATTERN)} AS valid
FROM (SELECT DISTINCT translate(amount_text, '0123456789', '0000000000') AS shape FROM {CLEANED}
      WHERE amount_text IS NOT NULL) AS shapes
"""


# The `external_ref`s given on more than one line, with the first of those lines (usually none).
_REPEATED_REF_VALUES = f"""
CREATE TEMPORARY TABLE {REPEATED_REFS} ON COMMIT DROP AS
SELECT external_ref, min(line) AS first_line FROM {CLEANED} WHERE external_ref IS NOT NULL
GROUP BY external_ref HAVING count(*) > 1
"""


def _vendor_join(prefix: str, alias: str) -> str:
    return (
        f"LEFT JOIN {matching.REFS} AS {alias} ON {alias}.scheme = c.{prefix}_scheme "
        f"AND {alias}.identifier = c.{prefix}_identifier AND {alias}.name = c.{prefix}_name"
    )


# Every row resolved: its vendors, contract, date and category looked up, its amount typed when its
# shape is valid, and the first line of its `external_ref` when the file repeats it.
_RESOLVED = f"""
SELECT c.line, c.external_ref, coalesce(f.first_line, c.line) AS first_line,
  c.tier, c.contract_number, c.department, c.currency, c.amount_text,
  (c.v_scheme <> '' OR c.v_identifier <> '' OR c.v_name <> '') AS vendor_given,
  v.vendor_id, v.matched_by, v.problem_code AS vendor_problem_code,
  'vendor_' || v.problem_column AS vendor_problem_column, v.problem AS vendor_problem,
  (c.p_scheme <> '' OR c.p_identifier <> '' OR c.p_name <> '') AS prime_given,
  p.vendor_id AS prime_vendor_id, p.problem_code AS prime_problem_code,
  'prime_vendor_' || p.problem_column AS prime_problem_column, p.problem AS prime_problem,
  k.id AS contract_id, k.vendor_id AS contract_vendor_id, kv.vendor_number AS contract_vendor_number,
  g.category_scheme, g.category_code, g.category_valid,
  CASE WHEN a.valid THEN c.amount_text::numeric(16, 2) END AS amount,
  nullif(d.raw, '') AS paid_text, d.value AS paid_date
FROM {CLEANED} AS c
JOIN {DATES} AS d ON d.raw = c.raw_date
JOIN {CATEGORIES} AS g ON g.raw_scheme = c.raw_scheme AND g.raw_code = c.raw_code
LEFT JOIN {AMOUNT_SHAPES} AS a ON a.shape = {_AMOUNT_SHAPE}
LEFT JOIN {REPEATED_REFS} AS f ON f.external_ref = c.external_ref
{_vendor_join("v", "v")}
{_vendor_join("p", "p")}
LEFT JOIN vendors.contracts AS k ON k.number = c.contract_number
LEFT JOIN vendors.vendors AS kv ON kv.id = k.vendor_id
"""


@dataclass(frozen=True)
class Check:
    """One column's checks: (condition, code, message) in order, the first that holds wins. Conditions
    and messages are SQL over a resolved row (`r`); a condition that is null does not hold."""

    column: str
    rules: tuple[tuple[str, str, str], ...]


CHECKS: tuple[Check, ...] = (
    Check(
        "external_ref",
        (
            ("r.external_ref IS NULL", "missing", "'required: the paying system''s id of the line'"),
            (
                f"length(r.external_ref) > {EXTERNAL_REF_MAX_LENGTH}",
                "too_long",
                f"'at most {EXTERNAL_REF_MAX_LENGTH} characters'",
            ),
            ("r.first_line < r.line", "duplicate", "'the same external_ref is on line ' || r.first_line"),
        ),
    ),
    Check(
        "vendor",
        (
            (
                "NOT r.vendor_given",
                "'missing'",
                "'give the vendor''s identifier (vendor_identifier_scheme and vendor_identifier) or its name "
                "(vendor_name)'",
            ),
            ("r.vendor_problem IS NOT NULL", "r.vendor_problem_code", "r.vendor_problem"),
        ),
    ),
    Check("tier", (("r.tier NOT IN ('prime', 'sub')", "enum", "'`prime` or `sub`'"),)),
    Check(
        "prime_vendor",
        (
            (
                "r.tier = 'sub' AND NOT r.prime_given",
                "'missing'",
                "'a sub line names its prime: prime_vendor_identifier_scheme and prime_vendor_identifier, or "
                "prime_vendor_name'",
            ),
            ("r.tier = 'prime' AND r.prime_given", "'unexpected'", "'only `sub` lines name a prime'"),
            ("r.tier = 'sub' AND r.prime_problem IS NOT NULL", "r.prime_problem_code", "r.prime_problem"),
            (
                "r.tier = 'sub' AND r.prime_vendor_id = r.vendor_id",
                "'same_vendor'",
                "'a sub line''s prime is another vendor than the sub it pays'",
            ),
        ),
    ),
    Check(
        "contract_number",
        (
            (
                "r.contract_number IS NOT NULL AND r.contract_id IS NULL",
                "unknown_contract",
                "'no contract has this number'",
            ),
            (
                "r.tier = 'prime' AND r.contract_vendor_id <> r.vendor_id",
                "contract_of_another_vendor",
                "'contract ' || r.contract_number || ' is held by ' || r.contract_vendor_number || ', not by "
                "the vendor paid on this prime line'",
            ),
            (
                "r.tier = 'sub' AND r.contract_vendor_id <> r.prime_vendor_id",
                "contract_of_another_vendor",
                "'contract ' || r.contract_number || ' is held by ' || r.contract_vendor_number || ', not by "
                "this sub line''s prime'",
            ),
        ),
    ),
    Check(
        "department",
        (
            ("r.department IS NULL", "missing", "'required: a City department code, e.g. GSD'"),
            (
                f"NOT r.department = ANY({_DEPARTMENTS})",
                "unknown_department",
                "'not a City department code (e.g. GSD, DOT, LAPD)'",
            ),
        ),
    ),
    Check(
        "category_scheme",
        ((f"NOT r.category_scheme = ANY({_SCHEMES})", "enum", "'`nigp`, `unspsc` or `naics`'"),),
    ),
    Check(
        "category_code",
        (
            ("r.category_code IS NULL", "missing", "'required: what was bought, e.g. 620-80'"),
            (
                f"r.category_scheme = ANY({_SCHEMES}) AND NOT r.category_valid",
                "invalid",
                "'not a valid ' || r.category_scheme || ' code'",
            ),
        ),
    ),
    Check(
        "amount",
        (
            ("r.amount_text IS NULL", "missing", "'required'"),
            (
                "r.amount IS NULL",
                "invalid",
                "'not an amount: digits with at most two decimal places after a point, e.g. 1250.00 or "
                "-40.00'",
            ),
            ("r.amount = 0", "zero", "'a payment of zero is no payment'"),
        ),
    ),
    Check(
        "currency",
        ((f"r.currency <> '{PAYMENT_CURRENCY}'", "currency", f"'the City pays in {PAYMENT_CURRENCY}'"),),
    ),
    Check(
        "paid_date",
        (
            ("r.paid_text IS NULL", "missing", "'required: YYYY-MM-DD'"),
            ("r.paid_date IS NULL", "invalid", "'not a date: YYYY-MM-DD, a day of the years 1900 to 2099'"),
            (
                "r.paid_date > CAST(:today AS date)",
                "future_date",
                "'after today (' || CAST(:today AS date) || ')'",
            ),
        ),
    ),
)


def _code_sql(check: Check) -> str:
    """The code of the check's first rule that holds (codes given as SQL when quoted or a column)."""
    whens = " ".join(
        f"WHEN {condition} THEN {code if code.startswith(('r.', chr(39))) else _quoted(code)}"
        for condition, code, _ in check.rules
    )
    return f"CASE {whens} END"


def _message_sql(check: Check) -> str:
    whens = " ".join(f"WHEN {condition} THEN {message}" for condition, _, message in check.rules)
    return f"CASE {whens} END"


def _valid_sql() -> str:
    """Whether no rule of any check holds: one cheap boolean per row, the messages left for failures."""
    conditions = [condition for check in CHECKS for condition, _, _ in check.rules]
    return "NOT (" + " OR ".join(f"coalesce({condition}, false)" for condition in conditions) + ")"


_SAME_VALUES = " AND ".join(
    f"e.{column} IS NOT DISTINCT FROM r.{column}"
    for column in (
        "vendor_id",
        "contract_id",
        "department",
        "category_scheme",
        "category_code",
        "amount",
        "currency",
        "paid_date",
        "tier",
    )
)
_PRIME_OF_LINE = "CASE WHEN r.tier = 'sub' THEN r.prime_vendor_id END"
_FISCAL_YEAR = (
    "(extract(year FROM r.paid_date)::int "
    f"+ (extract(month FROM r.paid_date) > {FISCAL_YEAR_END_MONTH})::int)"
)

_CHECKED = f"""
CREATE TEMPORARY TABLE {CHECKED} ON COMMIT DROP AS
SELECT r.*, {_valid_sql()} AS valid, {_FISCAL_YEAR}::smallint AS fiscal_year,
  e.id AS existing_id,
  e.id IS NOT NULL
    AND NOT ({_SAME_VALUES} AND e.prime_vendor_id IS NOT DISTINCT FROM {_PRIME_OF_LINE}) AS changed
FROM ({_RESOLVED}) AS r
LEFT JOIN vendors.payments AS e ON e.external_ref = r.external_ref AND r.first_line = r.line
"""


def _problem_column(check: Check) -> str:
    if check.column == "vendor":
        return "coalesce(r.vendor_problem_column, 'vendor_name')"
    if check.column == "prime_vendor":
        return "coalesce(r.prime_problem_column, 'prime_vendor_name')"
    return _quoted(check.column)


def _errors_insert() -> str:
    """The report: every rule that holds for a failing row, by the check's position; then `changed`."""
    rows = ",\n  ".join(
        f"({position}, {_problem_column(check)}, {_code_sql(check)}, {_message_sql(check)})"
        for position, check in enumerate(CHECKS, start=1)
    )
    changed = len(CHECKS) + 1
    return f"""
INSERT INTO vendors.import_errors (import_id, line, position, column_name, code, message)
SELECT :import_id, r.line, e.position, e.column_name, e.code, e.message
FROM {CHECKED} AS r CROSS JOIN LATERAL (VALUES
  {rows},
  ({changed}, 'external_ref', CASE WHEN r.valid AND r.changed THEN 'changed' END,
   'already loaded with other values as payment ' || r.existing_id || '; a payment is never changed: '
   || 'correct it with a new line (a negative amount) under a new external_ref')
) AS e(position, column_name, code, message)
WHERE (NOT r.valid OR r.changed) AND e.code IS NOT NULL
"""


_PAYMENTS_INSERT = f"""
INSERT INTO vendors.payments (id, vendor_id, prime_vendor_id, contract_id, department, category_scheme,
  category_code, amount, currency, paid_date, fiscal_year, tier, external_ref, import_id, created_at)
SELECT {UUID_V7}, r.vendor_id, {_PRIME_OF_LINE}, r.contract_id, r.department, r.category_scheme,
  r.category_code, r.amount, r.currency, r.paid_date, r.fiscal_year, r.tier, r.external_ref, :import_id, :now
FROM {CHECKED} AS r WHERE r.valid AND r.existing_id IS NULL
ORDER BY r.line
"""

_COUNTS = f"""
SELECT count(*) FILTER (WHERE NOT valid OR changed) AS failed,
       count(*) FILTER (WHERE valid AND existing_id IS NOT NULL AND NOT changed) AS present,
       count(*) FILTER (WHERE valid AND NOT changed AND matched_by = 'identifier') AS by_identifier,
       count(*) FILTER (WHERE valid AND NOT changed AND matched_by = 'name') AS by_name
FROM {CHECKED}
"""

_REFERENCES = " UNION ALL ".join(
    f"SELECT {prefix}_scheme, {prefix}_identifier, {prefix}_name FROM {CLEANED}" for prefix in ("v", "p")
)


async def merge(session: AsyncSession, import_id: uuid.UUID, today: date, now: datetime) -> Outcome:
    """Checks the staged payment rows, reports the failing ones, loads the new ones."""
    # These statements run once each over many rows: compiling them (JIT) costs more than it saves, and
    # hash joins on the small lookup tables beat sorting millions of rows for merge joins.
    for setting in ("jit = off", "work_mem = '64MB'", "enable_mergejoin = off"):
        await session.execute(text(f"SET LOCAL {setting}"))
    await session.execute(text(_CLEANED))
    await session.execute(text(f"ANALYZE {CLEANED}"))
    await matching.resolve_references(session, _REFERENCES)
    for table, values in (
        (DATES, _DATE_VALUES),
        (CATEGORIES, _CATEGORY_VALUES),
        (AMOUNT_SHAPES, _AMOUNT_SHAPE_VALUES),
        (REPEATED_REFS, _REPEATED_REF_VALUES),
    ):
        await session.execute(text(values))
        await session.execute(text(f"ANALYZE {table}"))
    await repository.hold_payment_merge_lock(session)
    await session.execute(text(_CHECKED), {"today": today})
    await session.execute(text(f"ANALYZE {CHECKED}"))
    errors = await session.execute(text(_errors_insert()), {"import_id": import_id, "today": today})
    counts: Any = (await session.execute(text(_COUNTS))).one()
    try:
        inserted = await session.execute(text(_PAYMENTS_INSERT), {"import_id": import_id, "now": now})
    except IntegrityError as exc:
        if EXTERNAL_REF_CONSTRAINT not in str(exc.orig):
            raise
        raise LoadedMeanwhile(
            "Another request recorded a payment with one of this file's external_refs while the import ran; "
            "nothing of the file was loaded. Import it again: that line then counts as already present."
        ) from None
    loaded = _rowcount(inserted)
    lookups = (
        CLEANED,
        DATES,
        CATEGORIES,
        AMOUNT_SHAPES,
        REPEATED_REFS,
        matching.REFS,
        matching.NAMES,
        matching.IDENTIFIERS,
    )
    for table in (CHECKED, *lookups):
        await session.execute(text(f"DROP TABLE {table}"))
    return Outcome(
        loaded=loaded,
        already_present=counts.present,
        failed=counts.failed,
        error_count=_rowcount(errors),
        matched_by_identifier=counts.by_identifier,
        matched_by_name=counts.by_name,
    )


def _rowcount(result: Any) -> int:
    return int(result.rowcount)
