"""The spend cube as one statement: lines summed per cell and vendor, then per cell.

The per-vendor sums are the one aggregation pass over the spend table; vendor counts and concentration
are computed from them, never with a `COUNT(DISTINCT …)` over the lines.

Concentration is computed over the cell's vendors with a positive net amount (a vendor whose refunds
exceed its payments holds no share of the spend), ranked by amount, largest first, ties by vendor id:
- top-N share: the N first vendors' amount ÷ the cell's positive amount;
- HHI: Σ (100 × share)², 10000 × Σ amount² ÷ (Σ amount)², from 0 (even spread) to 10000 (one vendor);
- tail: the vendors left once those ranked above them reach 80% of the positive amount, i.e. every
  vendor after the smallest head that makes 80%; its amount is at most 20% of the spend.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, ColumnElement, Table, and_, cast, func, literal, select, true
from sqlalchemy.sql import Select
from sqlalchemy.sql.selectable import Subquery

from services.vendors.contracts import SpendDimension, SpendSort
from services.vendors.registry.models import VendorRow
from services.vendors.reports.spend import (
    Grain,
    SpendFilters,
    SpendSource,
    category_code,
    choose_source,
    share,
)

vendors: Table = VendorRow.__table__  # type: ignore[attr-defined]

TAIL_HEAD_SHARE = Decimal("0.8")
HHI_PLACES = 2

GRAINS = {dimension: Grain(dimension.value) for dimension in SpendDimension}


@dataclass(frozen=True)
class CubeQuery:
    dimensions: tuple[SpendDimension, ...]
    level: int
    filters: SpendFilters
    sort: SpendSort = SpendSort.dimensions
    concentration: bool = False
    top_n: int = 5

    def fingerprint(self) -> dict[str, Any]:
        return {
            "dimensions": ",".join(self.dimensions),
            "level": self.level,
            "sort": self.sort.value,
            "concentration": self.concentration,
            "top_n": self.top_n,
            **self.filters.fingerprint(),
        }


class CubeCellRecord(NamedTuple):
    """A row of `statement`: the cell's keys (those not asked for are None), its measures, the vendor's
    number and name when the vendor is a key, the concentration when asked (else None)."""

    vendor_id: uuid.UUID | None
    category_scheme: str | None
    category_code: str | None
    department: str | None
    month: date | None
    fiscal_year: int | None
    fiscal_quarter: int | None
    amount: Decimal
    on_contract_amount: Decimal
    payment_count: int
    vendor_count: int
    on_contract_share: Decimal | None
    sort_amount: Decimal
    vendor_number: str | None
    vendor_name: str | None
    top_n_share: Decimal | None
    hhi: Decimal | None
    tail_vendor_count: int | None
    tail_amount: Decimal | None
    tail_share: Decimal | None


def needs(dimensions: tuple[SpendDimension, ...]) -> set[Grain]:
    """The grains of the cells, and the vendor (vendor counts and concentration are per vendor)."""
    return {GRAINS[d] for d in dimensions} | {Grain.vendor}


def key_columns(dimensions: tuple[SpendDimension, ...], source: SpendSource, level: int) -> list[Any]:
    """The cell's key, labelled as the contract names it; a quarter brings its fiscal year."""
    columns: dict[str, Any] = {}
    for dimension in dimensions:
        if dimension is SpendDimension.vendor:
            columns["vendor_id"] = source["vendor_id"]
        elif dimension is SpendDimension.category:
            columns["category_scheme"] = source["category_scheme"]
            columns["category_code"] = category_code(source, level)
        elif dimension is SpendDimension.department:
            columns["department"] = source["department"]
        elif dimension is SpendDimension.month:
            columns["month"] = source["month"]
        else:
            columns["fiscal_year"] = source["fiscal_year"]
            if dimension is SpendDimension.quarter:
                columns["fiscal_quarter"] = source["fiscal_quarter"]
    return [expression.label(name) for name, expression in columns.items()]


def _per_vendor(query: CubeQuery, source: SpendSource) -> tuple[Subquery, list[str]]:
    """The one pass over the spend table: net sums per cell and vendor. A rollup whose rows are already
    one per cell and vendor is read as it is."""
    keys = key_columns(query.dimensions, source, query.level)
    vendor = [] if SpendDimension.vendor in query.dimensions else [source["vendor_id"].label("vendor_id")]
    grouped = [*keys, *vendor]
    measures = ("amount", "on_contract_amount", "payment_count")
    if source.one_row_per(needs(query.dimensions), query.level):
        statement = select(*grouped, *[source[m].label(m) for m in measures])
    else:
        statement = select(*grouped, *[func.sum(source[m]).label(m) for m in measures]).group_by(*grouped)
    return statement.where(*source.conditions(query.filters)).subquery("per_vendor"), [k.name for k in keys]


def _cells(per_vendor: Subquery, names: list[str], vendor_is_key: bool) -> Subquery:
    keys = [per_vendor.c[name] for name in names]
    if vendor_is_key:
        return select(*keys, *_measures(per_vendor, summed=False)).subquery("cells")
    return select(*keys, *_measures(per_vendor, summed=True)).group_by(*keys).subquery("cells")


def _measures(per_vendor: Subquery, *, summed: bool) -> list[Any]:
    c = per_vendor.c
    if not summed:
        return [c.amount, c.on_contract_amount, c.payment_count, literal(1).label("vendor_count")]
    # Coalesced: the grand total (no dimension) of no lines is one cell of zeros.
    return [
        func.coalesce(func.sum(c.amount), 0).label("amount"),
        func.coalesce(func.sum(c.on_contract_amount), 0).label("on_contract_amount"),
        func.coalesce(cast(func.sum(c.payment_count), BigInteger), 0).label("payment_count"),
        func.count().label("vendor_count"),
    ]


def _concentration(per_vendor: Subquery, names: list[str], top_n: int) -> Subquery:
    """Per cell: positive total, top-N amount, Σ amount², and the tail, from the vendors ranked."""
    partition = [per_vendor.c[name] for name in names] or None
    ranking = [per_vendor.c.amount.desc(), per_vendor.c.vendor_id]
    ranked = (
        select(
            *[per_vendor.c[name] for name in names],
            per_vendor.c.amount,
            func.row_number().over(partition_by=partition, order_by=ranking).label("rank"),
            func.coalesce(
                func.sum(per_vendor.c.amount).over(partition_by=partition, order_by=ranking, rows=(None, -1)),
                0,
            ).label("spend_before"),
            func.sum(per_vendor.c.amount).over(partition_by=partition).label("positive_total"),
        )
        .where(per_vendor.c.amount > 0)
        .subquery("ranked")
    )
    r = ranked.c
    in_tail = r.spend_before >= literal(TAIL_HEAD_SHARE) * r.positive_total
    keys = [r[name] for name in names]
    return (
        select(
            *keys,
            func.max(r.positive_total).label("positive_total"),
            func.sum(r.amount).filter(r.rank <= top_n).label("top_amount"),
            func.sum(r.amount * r.amount).label("sum_of_squares"),
            func.count().filter(in_tail).label("tail_vendor_count"),
            func.coalesce(func.sum(r.amount).filter(in_tail), 0).label("tail_amount"),
        )
        .group_by(*keys)
        .subquery("concentration")
    )


def statement(
    query: CubeQuery, source: SpendSource | None = None
) -> tuple[Select[Any], list[ColumnElement[Any]]]:
    """The cube's statement and the columns it is ordered by (unique together: the keyset). `source`
    forces a table (the benchmark's baseline over `payments`); by default the smallest that answers."""
    source = source or choose_source(needs(query.dimensions), query.filters, query.level)
    per_vendor, names = _per_vendor(query, source)
    vendor_is_key = SpendDimension.vendor in query.dimensions
    cells = _cells(per_vendor, names, vendor_is_key)
    c = cells.c
    columns: list[Any] = [
        *[c[name] for name in names],
        c.amount,
        c.on_contract_amount,
        c.payment_count,
        c.vendor_count,
        share(c.on_contract_amount, c.amount).label("on_contract_share"),
        (-c.amount).label("sort_amount"),
    ]
    joined: Any = cells
    if vendor_is_key:
        columns += [vendors.c.vendor_number, vendors.c.legal_name.label("vendor_name")]
        joined = joined.join(vendors, vendors.c.id == c.vendor_id)
    if query.concentration:
        concentration = _concentration(per_vendor, names, query.top_n)
        k = concentration.c
        on = and_(*[c[name] == k[name] for name in names]) if names else true()
        joined = joined.outerjoin(concentration, on)
        columns += [
            share(k.top_amount, k.positive_total).label("top_n_share"),
            func.round(
                10000 * k.sum_of_squares / func.nullif(k.positive_total * k.positive_total, 0), HHI_PLACES
            ).label("hhi"),
            func.coalesce(k.tail_vendor_count, 0).label("tail_vendor_count"),
            func.coalesce(k.tail_amount, 0).label("tail_amount"),
            share(k.tail_amount, k.positive_total).label("tail_share"),
        ]
    cube = select(*columns).select_from(joined).subquery("cube")
    keys: list[ColumnElement[Any]] = [cube.c[name] for name in names]
    order = [cube.c.sort_amount, *keys] if query.sort is SpendSort.amount_desc or not keys else keys
    return select(cube), order
