"""Spend data for the report benchmark, generated inside PostgreSQL with `INSERT … SELECT generate_series`.

On top of the realistic vendors of `bench.dataset`: certifications for a quarter of the active ones,
solicitations with their bids, awards, contracts and subcontracts, and `payments` lines over three
fiscal years (FY2024 to FY2026). Spend is skewed as a city's is: a few vendors take most of it, each
vendor is paid by a couple of departments under its own NIGP codes, one line in a hundred is a
negative correction and one in twelve a sub-tier line. No row passes through Python.
"""

from __future__ import annotations

import time
from datetime import date

import asyncpg

from bench.dataset import load_vendors

FIRST_DAY = date(2023, 7, 1)  # FY2024 starts
DAYS = 1096  # through June 30, 2026 (FY2026)
BATCH = 250_000  # payment lines per INSERT: one trigger pass each over the transition table

CERTIFICATIONS = """
INSERT INTO vendors.certifications (id, vendor_id, type, agency_code, certificate_number, effective_date,
    expiration_date, status, verified_at, version, created_at, updated_at)
SELECT gen_random_uuid(), chosen.id, chosen.type, CASE chosen.type WHEN 'dvbe' THEN 'CA-DGS' ELSE 'LA-BCA' END,
       'B-' || row_number() OVER (), $1::date - floor(random() * 700)::int,
       $1::date + 200 + floor(random() * 1100)::int, 'verified', now(), 1, now(), now()
FROM (
    SELECT v.id, (ARRAY['mbe', 'wbe', 'sbe', 'dbe', 'lbe', 'dvbe'])[1 + floor(random() * 6)::int] AS type
    FROM vendors.vendors v WHERE v.status = 'active' AND random() < 0.25
) chosen
"""

SOLICITATIONS = """
WITH codes AS (
    SELECT array_agg(DISTINCT code ORDER BY code) AS all_codes FROM vendors.vendor_commodity_codes
    WHERE scheme = 'nigp'
),
made AS (
    SELECT g, codes.all_codes[1 + (random() * (cardinality(codes.all_codes) - 1))::int] AS code,
           $1::date + (random() * ($2 - 60))::int AS close_day,
           (ARRAY['GSD', 'DOT', 'LAPD', 'LAFD', 'BOE', 'BSS', 'SAN', 'RAP', 'ITA', 'AIR', 'POL', 'LIB'])
               [1 + floor(random() * 12)::int] AS department
    FROM generate_series(1, $3) g, codes
)
INSERT INTO vendors.solicitations (id, reference, ocid, status, title, type, main_category, buyer_department,
    funding_source, items, classification_codes, tender_period_start, tender_period_end,
    disclose_bid_count, published_at, opened_at, version, created_at, updated_at)
SELECT gen_random_uuid(), 'IFB-BENCH-' || g, 'ocds-cityops-bench-' || g, 'opened', 'Bench solicitation ' || g,
       'ifb', 'goods', department, 'local',
       jsonb_build_array(jsonb_build_object('id', '1', 'description', 'Goods',
           'classification', jsonb_build_object('scheme', 'nigp', 'code', code),
           'additional_classifications', '[]'::jsonb, 'quantity', '1', 'unit', 'each')),
       ARRAY['nigp:' || code], close_day - 30, close_day + time '17:00', false, close_day - 31,
       close_day + time '18:00', 1, now(), now()
FROM made
"""

# Bidders: 0 to 6 vendors registered under the solicitation's code (some solicitations draw none).
BIDS = """
INSERT INTO vendors.bids (id, solicitation_id, vendor_id, status, submitted_by, submitted_at,
    sealed_payload, opened_total_amount, opened_total_currency, version, created_at, updated_at)
SELECT gen_random_uuid(), s.id, bidder.vendor_id, 'opened', 'bench', s.tender_period_end - interval '1 day',
       'sealed', round((1000 + random() * 900000)::numeric, 2), 'USD', 1, now(), now()
FROM vendors.solicitations s
CROSS JOIN LATERAL (
    SELECT c.vendor_id FROM vendors.vendor_commodity_codes c
    WHERE c.scheme = 'nigp' AND c.code = s.items -> 0 -> 'classification' ->> 'code'
    ORDER BY random() LIMIT (random() * 6)::int
) bidder
WHERE s.reference LIKE 'IFB-BENCH-%'
"""

AWARDS = """
INSERT INTO vendors.awards (id, solicitation_id, bid_id, vendor_id, rank, status, amount, currency,
    intent_notified_at, protest_window_ends_on, award_date, version, created_at, updated_at)
SELECT DISTINCT ON (b.solicitation_id) gen_random_uuid(), b.solicitation_id, b.id, b.vendor_id, 1, 'active',
       b.opened_total_amount, 'USD', s.opened_at + interval '10 days', (s.opened_at + interval '15 days')::date,
       (s.opened_at + interval '20 days' + random() * interval '40 days')::date, 1, now(), now()
FROM vendors.bids b JOIN vendors.solicitations s ON s.id = b.solicitation_id
ORDER BY b.solicitation_id, b.opened_total_amount
"""

CONTRACTS = """
INSERT INTO vendors.contracts (id, number, award_id, solicitation_id, vendor_id, department, title, status,
    original_value_amount, value_amount, currency, period_start, period_end, signed_date, version,
    created_at, updated_at)
SELECT gen_random_uuid(), 'C-BENCH-' || row_number() OVER (), a.id, a.solicitation_id, a.vendor_id,
       s.buyer_department, s.title, 'active', a.amount, a.amount, 'USD', a.award_date, a.award_date + 730,
       a.award_date, 1, now(), now()
FROM vendors.awards a JOIN vendors.solicitations s ON s.id = a.solicitation_id
"""

SUBCONTRACTS = """
INSERT INTO vendors.subcontracts (id, contract_id, sub_vendor_id, certification_type, amount, committed_date,
    status, version, created_at, updated_at)
SELECT gen_random_uuid(), c.id, sub.id, NULL, round(c.value_amount * (0.05 + random() * 0.25)::numeric, 2),
       c.period_start + (random() * 30)::int, 'committed', 1, now(), now()
FROM vendors.contracts c
CROSS JOIN LATERAL (
    SELECT v.id FROM vendors.vendors v WHERE v.status = 'active' AND v.id <> c.vendor_id
    ORDER BY random() LIMIT 1
) sub
WHERE random() < 0.3
"""

# A line's vendor is drawn with a cubed uniform (a few vendors take most of the spend), then paid under
# one of its registered NIGP codes (refined to a 7-digit group) by one of two departments of its own.
PAYMENTS = """
WITH registered AS (
    SELECT array_agg(c.vendor_id ORDER BY c.vendor_id, c.code) AS vendor_ids,
           array_agg(c.code ORDER BY c.vendor_id, c.code) AS codes, count(*)::int AS n
    FROM vendors.vendor_commodity_codes c WHERE c.scheme = 'nigp'
),
contracted AS (
    SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM vendors.contracts
),
departments AS (
    SELECT ARRAY['GSD', 'DOT', 'LAPD', 'LAFD', 'BOE', 'BSS', 'SAN', 'RAP', 'ITA', 'AIR', 'POL', 'LIB', 'DWP',
                 'HCI', 'MYR', 'ZOO', 'PER', 'FIN', 'CAO', 'CTY', 'ATD', 'BCA'] AS codes
),
drawn AS (
    SELECT g, 1 + floor(power(random(), 3) * registered.n)::int AS pick, random() AS r_dept,
           random() AS r_amount, random() AS r_day, random() AS r_tier, random() AS r_contract,
           random() AS r_group, random() AS r_sub
    FROM generate_series($3::bigint, $4::bigint) g, registered
)
INSERT INTO vendors.payments (id, vendor_id, prime_vendor_id, contract_id, department, category_scheme,
    category_code, amount, currency, paid_date, fiscal_year, tier, external_ref, created_at)
SELECT gen_random_uuid(),
       registered.vendor_ids[d.pick],
       CASE WHEN d.r_tier < 0.08 THEN registered.vendor_ids[1 + floor(d.r_sub * registered.n)::int] END,
       CASE WHEN d.r_contract < 0.6 AND contracted.n > 0
            THEN contracted.ids[1 + floor(d.r_contract / 0.6 * contracted.n)::int] END,
       departments.codes[1 + (d.pick * 7 + (d.r_dept < 0.7)::int * 5) % 22],
       'nigp', registered.codes[d.pick] || '-' || lpad(floor(d.r_group * 12)::text, 2, '0'),
       CASE WHEN d.r_amount < 0.01 THEN -round((d.r_amount * 20000)::numeric, 2) + -1
            ELSE round((10 + power(d.r_amount, 4) * 250000)::numeric, 2) END,
       'USD', $1::date + floor(d.r_day * $2)::int,
       extract(year FROM $1::date + floor(d.r_day * $2)::int)::int
           + (extract(month FROM $1::date + floor(d.r_day * $2)::int) > 6)::int,
       CASE WHEN d.r_tier < 0.08 THEN 'sub' ELSE 'prime' END,
       'BENCH-' || d.g, now()
FROM drawn d, registered, contracted, departments
"""


# Fresh statistics and visibility maps, as autovacuum would leave them, so plans are those of a live system.
ANALYSED = (
    "spend_department_monthly",
    "spend_department_quarterly",
    "spend_category_yearly",
    "certifications",
    "solicitations",
    "bids",
    "awards",
    "contracts",
    "subcontracts",
)


async def load_spend(database_url: str, *, vendors: int, payments: int, progress: bool = True) -> None:
    """Vendors, certifications, procurement history and `payments` lines; analyses every table after."""
    await load_vendors(database_url, vendors)
    connection = await asyncpg.connect(database_url)
    try:
        solicitations = max(50, payments // 1000)
        await connection.execute(CERTIFICATIONS, FIRST_DAY)
        await connection.execute(SOLICITATIONS, FIRST_DAY, DAYS, solicitations)
        for statement in (BIDS, AWARDS, CONTRACTS, SUBCONTRACTS):
            await connection.execute(statement)
        began = time.perf_counter()
        for first in range(1, payments + 1, BATCH):
            last = min(payments, first + BATCH - 1)
            await connection.execute(PAYMENTS, FIRST_DAY, DAYS, first, last)
            if progress:
                print(
                    f"  payments {last:,} of {payments:,} ({time.perf_counter() - began:.0f} s)", flush=True
                )
        await connection.execute("VACUUM ANALYZE vendors.payments")
        for table in ANALYSED:  # constants
            await connection.execute(f"VACUUM ANALYZE vendors.{table}")
    finally:
        await connection.close()
