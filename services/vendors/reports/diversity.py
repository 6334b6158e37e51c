"""Diversity utilisation: the share of the City's dollars that went to certified firms.

Each dollar is a *unit*: an award in force (award basis) or a payment line (payment basis), and on tier 2
a subcontract commitment or a sub-tier payment line. A unit counts for a certification type when its
vendor holds a certification of that type valid (`certifications.validity.valid_on`) on the unit's day:
the award date, the commitment date, the payment date. A subcontract that names the certification it
is counted under (`subcontracts.certification_type`) counts under that type only.

- numerator: the units' dollars counting for the type; `any` counts each unit once, whatever number of
  types (`obe`, the non-certified remainder, aside) its vendor holds;
- denominator: every tier-1 dollar of the group: the awards' values (a contract's current value, else
  the award's amount) or the prime payment lines. Subcontracted dollars are inside those;
- `both`: a certified prime's whole unit, else its certified subcontractors' units, so that a dollar a
  certified prime passed to a certified subcontractor is not counted twice.

Groups (department, category, fiscal year, quarter, month) are the award's (its contract's department,
else the buyer's; its solicitation's first item's classification; its award date) or the payment line's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    String,
    Table,
    Uuid,
    and_,
    exists,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.selectable import CTE, Subquery

from services.vendors.agreements.models import ContractRow, SubcontractRow
from services.vendors.awards.models import AwardRow
from services.vendors.certifications.validity import certifications, valid_on
from services.vendors.contracts import DiversityBasis, DiversityTier, SpendDimension
from services.vendors.reports import cube
from services.vendors.reports.groups import group_columns
from services.vendors.reports.spend import REPORT_CURRENCY, SpendFilters, choose_source, payments, share
from services.vendors.solicitations.models import SolicitationRow

awards: Table = AwardRow.__table__  # type: ignore[attr-defined]
contracts: Table = ContractRow.__table__  # type: ignore[attr-defined]
subcontracts: Table = SubcontractRow.__table__  # type: ignore[attr-defined]
solicitations: Table = SolicitationRow.__table__  # type: ignore[attr-defined]

ANY = "any"
NOT_CERTIFIED = "obe"  # Other Business Enterprise: the remainder BIP reports set against the certified
DAY = Date()


class DiversityRecord(NamedTuple):
    """A row of `statement`: the group's keys (those not grouped by are None), then the type's figures."""

    department: str | None
    category_scheme: str | None
    category_code: str | None
    fiscal_year: int | None
    fiscal_quarter: int | None
    month: date | None
    certification_type: str
    numerator: Decimal
    denominator: Decimal
    share: Decimal | None
    certified_vendor_count: int


@dataclass(frozen=True)
class DiversityQuery:
    basis: DiversityBasis
    tier: DiversityTier
    groups: tuple[str, ...]
    level: int
    filters: SpendFilters  # tier unused: the report's own tier decides

    def fingerprint(self) -> dict[str, Any]:
        return {
            "basis": self.basis.value,
            "tier": self.tier.value,
            "groups": ",".join(self.groups),
            "level": self.level,
            **self.filters.fingerprint(),
        }


def valid_on_column(day: ColumnElement[Any]) -> ColumnElement[bool]:
    """`valid_on` with the day taken from each row: it compares the certificate's dates to `day`,
    which SQL lets be a column as well as a value."""
    return valid_on(cast(date, day))


def _keys(query: DiversityQuery, **columns: ColumnElement[Any]) -> list[Any]:
    return group_columns(query.groups, level=query.level, **columns)


def _in_range(day: ColumnElement[Any], filters: SpendFilters) -> list[ColumnElement[bool]]:
    bounds = [
        day >= filters.first_day if filters.first_day else None,
        day <= filters.last_day if filters.last_day else None,
    ]
    return [bound for bound in bounds if bound is not None]


def _category_conditions(
    scheme: ColumnElement[Any], code: ColumnElement[Any], filters: SpendFilters
) -> list[ColumnElement[bool]]:
    if filters.category is None:
        return []
    wanted_scheme, prefix = filters.category
    return [scheme == wanted_scheme, code.startswith(prefix, autoescape=True)]


# Units


def _unit(
    unit_id: Any,
    vendor_id: Any,
    amount: Any,
    day: Any,
    *,
    declared_type: Any = None,
    prime_vendor_id: Any = None,
    prime_day: Any = None,
    is_sub: bool | ColumnElement[bool] = False,
) -> list[Any]:
    return [
        unit_id.label("unit_id"),
        vendor_id.label("vendor_id"),
        amount.label("amount"),
        day.label("day"),
        (declared_type if declared_type is not None else null().cast(String)).label("declared_type"),
        (prime_vendor_id if prime_vendor_id is not None else null().cast(Uuid)).label("prime_vendor_id"),
        (prime_day if prime_day is not None else null().cast(DAY)).label("prime_day"),
        (is_sub if isinstance(is_sub, ColumnElement) else literal(is_sub, Boolean)).label("is_sub"),
    ]


def _payment_units(query: DiversityQuery, tiers: tuple[str, ...]) -> Select[Any]:
    p = payments.c
    keys = _keys(
        query,
        day=p.paid_date,
        department=p.department,
        category_scheme=p.category_scheme,
        category_code=p.category_code,
    )
    filters = query.filters
    conditions = [p.currency == REPORT_CURRENCY, p.tier.in_(tiers), *_in_range(p.paid_date, filters)]
    conditions += _category_conditions(p.category_scheme, p.category_code, filters)
    if filters.departments:
        conditions.append(p.department.in_(filters.departments))
    unit = _unit(
        p.id, p.vendor_id, p.amount, p.paid_date, prime_vendor_id=p.prime_vendor_id, prime_day=p.paid_date,
        is_sub=p.tier == "sub",
    )  # fmt: skip
    return select(*unit, *keys).where(*conditions)


def _award_scope(query: DiversityQuery) -> tuple[Any, list[Any], list[ColumnElement[bool]]]:
    """Active awards with their contract and solicitation: the joins, the group keys, the filters."""
    a, c, s = awards.c, contracts.c, solicitations.c
    department = func.coalesce(c.department, s.buyer_department)
    scheme = func.jsonb_extract_path_text(s["items"], "0", "classification", "scheme", type_=String)
    code = func.jsonb_extract_path_text(s["items"], "0", "classification", "code", type_=String)
    keys = _keys(query, day=a.award_date, department=department, category_scheme=scheme, category_code=code)
    filters = query.filters
    conditions = [a.status == "active", a.currency == REPORT_CURRENCY, *_in_range(a.award_date, filters)]
    conditions += _category_conditions(scheme, code, filters)
    if filters.departments:
        conditions.append(department.in_(filters.departments))
    joined = awards.outerjoin(contracts, c.award_id == a.id).join(solicitations, s.id == a.solicitation_id)
    return joined, keys, conditions


def _award_units(query: DiversityQuery, with_subcontracts: bool) -> Any:
    a, c, sc = awards.c, contracts.c, subcontracts.c
    joined, keys, conditions = _award_scope(query)
    value = func.coalesce(c.value_amount, a.amount)
    primes = (
        select(*_unit(a.id, a.vendor_id, value, a.award_date), *keys).select_from(joined).where(*conditions)
    )
    if not with_subcontracts:
        return primes
    unit = _unit(
        sc.id, sc.sub_vendor_id, sc.amount, sc.committed_date, declared_type=sc.certification_type,
        prime_vendor_id=a.vendor_id, prime_day=a.award_date, is_sub=True,
    )  # fmt: skip
    subs = (
        select(*unit, *keys)
        .select_from(joined.join(subcontracts, sc.contract_id == c.id))
        .where(*conditions, sc.status == "committed")
    )
    return union_all(primes, subs)


# Numerators


def _certified(units: CTE, names: list[str], tier: DiversityTier) -> Subquery:
    """(unit, certification type) once each, for the units of the tier, with the unit's fields."""
    u = units.c
    eligible = {DiversityTier.tier_1: not_(u.is_sub), DiversityTier.tier_2: u.is_sub}.get(tier, true())
    holds = and_(
        certifications.c.vendor_id == u.vendor_id,
        valid_on_column(u.day),
        or_(u.declared_type.is_(None), certifications.c.type == u.declared_type),
    )
    fields = [u.unit_id, u.vendor_id, u.amount, u.is_sub, u.prime_vendor_id, u.prime_day]
    return (
        select(*fields, *[u[name] for name in names], certifications.c.type.label("certification_type"))
        .select_from(units.join(certifications, holds))
        .where(eligible)
        .distinct()
        .subquery("certified")
    )


def _prime_holds(certified: Subquery, same_type: bool) -> ColumnElement[bool]:
    """The sub unit's prime held the unit's type (or, `same_type` False, any type) on the prime's day."""
    k = certified.c
    kind = (
        certifications.c.type == k.certification_type if same_type else certifications.c.type != NOT_CERTIFIED
    )
    return exists().where(certifications.c.vendor_id == k.prime_vendor_id, kind, valid_on_column(k.prime_day))


def _counted(certified: Subquery, tier: DiversityTier, same_type: bool) -> ColumnElement[bool]:
    """On `both`, a sub unit counts only where its prime's whole unit does not already."""
    if tier is not DiversityTier.both:
        return true()
    return or_(not_(certified.c.is_sub), not_(_prime_holds(certified, same_type)))


def _by_type(certified: Subquery, names: list[str], tier: DiversityTier) -> Select[Any]:
    k = certified.c
    keys = [k[name] for name in names]
    return (
        select(
            *keys,
            k.certification_type,
            func.sum(k.amount).label("numerator"),
            func.count(k.vendor_id.distinct()).label("certified_vendor_count"),
        )
        .where(_counted(certified, tier, same_type=True))
        .group_by(*keys, k.certification_type)
    )


def _any(certified: Subquery, names: list[str], tier: DiversityTier) -> Subquery:
    k = certified.c
    units = (
        select(k.unit_id, k.vendor_id, k.amount, *[k[name] for name in names])
        .where(k.certification_type != NOT_CERTIFIED, _counted(certified, tier, same_type=False))
        .distinct()
        .subquery("any_units")
    )
    keys = [units.c[name] for name in names]
    return (
        select(
            *keys,
            func.sum(units.c.amount).label("numerator"),
            func.count(units.c.vendor_id.distinct()).label("certified_vendor_count"),
        )
        .group_by(*keys)
        .subquery("any_certified")
    )


# Denominators


def _award_denominator(units: CTE, names: list[str]) -> Subquery:
    keys = [units.c[name] for name in names]
    return (
        select(*keys, func.sum(units.c.amount).label("denominator"))
        .where(not_(units.c.is_sub))
        .group_by(*keys)
        .subquery("denominator")
    )


def _payment_denominator(query: DiversityQuery) -> Subquery:
    """Prime spend of each group, from the smallest spend table that holds the groups."""
    dimensions = tuple(SpendDimension(group) for group in query.groups)
    filters = query.filters
    prime = SpendFilters(
        "prime", filters.first_day, filters.last_day, filters.departments, (), filters.category
    )
    source = choose_source(cube.needs(dimensions), prime, query.level)
    keys = cube.key_columns(dimensions, source, query.level)
    return (
        select(*keys, func.sum(source["amount"]).label("denominator"))
        .where(*source.conditions(prime))
        .group_by(*keys)
        .subquery("denominator")
    )


# The report


def _rows(names: list[str], by_type: Subquery, any_certified: Subquery, denominator: Subquery) -> Select[Any]:
    """Type rows where a type has dollars; an `any` row for every group with dollars at all."""
    t, a, d = by_type.c, any_certified.c, denominator.c
    zero = literal(0)
    type_on = and_(*[t[n] == d[n] for n in names]) if names else true()
    type_rows = select(
        *[t[n] for n in names],
        t.certification_type,
        t.numerator,
        func.coalesce(d.denominator, zero).label("denominator"),
        t.certified_vendor_count,
    ).select_from(by_type.outerjoin(denominator, type_on))
    if names:
        any_from: Any = denominator.join(any_certified, and_(*[a[n] == d[n] for n in names]), full=True)
        any_keys = [func.coalesce(a[n], d[n]).label(n) for n in names]
    else:
        any_from, any_keys = denominator.join(any_certified, true()), []
    any_rows = select(
        *any_keys,
        literal(ANY, String).label("certification_type"),
        func.coalesce(a.numerator, zero).label("numerator"),
        func.coalesce(d.denominator, zero).label("denominator"),
        func.coalesce(a.certified_vendor_count, zero).label("certified_vendor_count"),
    ).select_from(any_from)
    return union_all(type_rows, any_rows)  # type: ignore[return-value]


def statement(query: DiversityQuery) -> tuple[Select[Any], list[ColumnElement[Any]]]:
    """The report's statement and its order (group keys, then the certification type: unique)."""
    with_subs = query.tier is not DiversityTier.tier_1
    if query.basis is DiversityBasis.payment:
        tiers = ("prime", "sub") if with_subs else ("prime",)
        units = _payment_units(query, tiers).cte("units")
    else:
        units = select(_award_units(query, with_subs).subquery("all_units")).cte("units")
    names = [column.name for column in _keys_of(units)]
    certified = _certified(units, names, query.tier)
    if query.basis is DiversityBasis.payment:
        denominator = _payment_denominator(query)
    else:
        denominator = _award_denominator(units, names)
    by_type = _by_type(certified, names, query.tier).subquery("by_type")
    report = _rows(names, by_type, _any(certified, names, query.tier), denominator).subquery("report")
    r = report.c
    shaped = select(
        *[r[n] for n in names],
        r.certification_type,
        r.numerator,
        r.denominator,
        share(r.numerator, r.denominator).label("share"),
        r.certified_vendor_count,
    ).subquery("diversity")
    return select(shaped), [*[shaped.c[n] for n in names], shaped.c.certification_type]


_UNIT_FIELDS = {
    "unit_id",
    "vendor_id",
    "amount",
    "day",
    "declared_type",
    "prime_vendor_id",
    "prime_day",
    "is_sub",
}


def _keys_of(units: CTE) -> list[Any]:
    return [column for column in units.c if column.name not in _UNIT_FIELDS]
