"""The spend rollups: payment lines summed by vendor and by the dimensions the reports slice on most.

Both tables are derived, never written by the service: triggers on `payments` (migration
`39ebf4f6dac8`) add each inserted line to its rows and take each deleted one away, in the statement
that changes `payments`, so a rollup is exactly as fresh as the payments it sums. Rows hold net amounts:
a negative correction line lowers its row as it lowers the payments' own sum.

- `spend_department_monthly`: by month, department and vendor;
- `spend_department_quarterly`: by fiscal quarter, department and vendor;
- `spend_category_yearly`: by fiscal year, category at level 2 (NIGP class-item `620-80`) and vendor.

The vendor stays in every key: vendor counts and concentration need it. A report whose cells are exactly
a rollup's key (department × quarter on the quarterly one) sums its rows in a single pass.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Date, Index, Integer, Numeric, SmallInteger, String, Uuid
from sqlmodel import Field

from services.vendors.db import VendorsBase


def _key(type_: Any) -> Any:
    return Field(sa_column=Column(type_, primary_key=True))


def _sum() -> Any:
    # Wider than a line's numeric(16, 2): a year of a large vendor's lines may exceed it.
    return Field(sa_column=Column(Numeric(20, 2), nullable=False))


class SpendDepartmentMonthlyRow(VendorsBase, table=True):
    __tablename__ = "spend_department_monthly"
    __table_args__ = (Index("ix_spend_department_monthly_vendor_id_month", "vendor_id", "month"),)

    # The first day of the month the lines were paid in.
    month: date = Field(sa_column=Column(Date, primary_key=True))
    department: str = _key(String(10))
    # No foreign key: the row sums payments, which carry theirs.
    vendor_id: uuid.UUID = _key(Uuid)
    tier: str = _key(String(5))
    currency: str = _key(String(3))
    # The City's fiscal year of `month`, kept so that reports need not derive it row by row.
    fiscal_year: int = Field(sa_column=Column(SmallInteger, nullable=False))
    amount: Decimal = _sum()
    # The part of `amount` paid on lines that name a contract.
    on_contract_amount: Decimal = _sum()
    payment_count: int = Field(sa_column=Column(Integer, nullable=False))


class SpendDepartmentQuarterlyRow(VendorsBase, table=True):
    __tablename__ = "spend_department_quarterly"
    __table_args__ = (Index("ix_spend_department_quarterly_vendor_id_quarter", "vendor_id", "quarter"),)

    # The first day of the fiscal quarter (fiscal quarters are calendar quarters: Q1 starts July 1).
    quarter: date = Field(sa_column=Column(Date, primary_key=True))
    department: str = _key(String(10))
    vendor_id: uuid.UUID = _key(Uuid)
    tier: str = _key(String(5))
    currency: str = _key(String(3))
    fiscal_year: int = Field(sa_column=Column(SmallInteger, nullable=False))
    fiscal_quarter: int = Field(sa_column=Column(SmallInteger, nullable=False))
    amount: Decimal = _sum()
    on_contract_amount: Decimal = _sum()
    payment_count: int = Field(sa_column=Column(Integer, nullable=False))


class SpendCategoryYearlyRow(VendorsBase, table=True):
    __tablename__ = "spend_category_yearly"
    __table_args__ = (
        Index(
            "ix_spend_category_yearly_category_scheme_category_code",
            "category_scheme",
            "category_code",
            postgresql_ops={"category_code": "varchar_pattern_ops"},
        ),
        Index("ix_spend_category_yearly_vendor_id", "vendor_id"),
    )

    fiscal_year: int = Field(sa_column=Column(SmallInteger, primary_key=True))
    category_scheme: str = _key(String(10))
    # The line's code cut at level 2 of its scheme (categories.ROLLUP_LEVEL).
    category_code: str = _key(String(40))
    vendor_id: uuid.UUID = _key(Uuid)
    tier: str = _key(String(5))
    currency: str = _key(String(3))
    amount: Decimal = _sum()
    on_contract_amount: Decimal = _sum()
    payment_count: int = Field(sa_column=Column(Integer, nullable=False))
