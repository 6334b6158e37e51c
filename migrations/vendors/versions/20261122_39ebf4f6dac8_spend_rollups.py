"""spend rollups

Revision ID: 39ebf4f6dac8
Revises: 28daf3e5c9b7
Create Date: 2026-11-22

Three rollups of `payments`, kept exact by triggers in the statement that changes `payments`:
`spend_department_monthly` (month, department, vendor), `spend_department_quarterly` (fiscal quarter,
department, vendor) and `spend_category_yearly` (fiscal year, category cut at level 2, vendor). The triggers are statement-level over the transition tables, so a bulk
COPY costs one aggregation per rollup, not one upsert per line. Rows are upserted in key order, so two
loads touching the same rows lock them in the same order and cannot deadlock each other. A row whose
lines have all been deleted is removed.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '39ebf4f6dac8'
down_revision: Union[str, Sequence[str], None] = '28daf3e5c9b7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Level 2 of each scheme's hierarchy (NIGP class-item `620-80`); other schemes keep the whole code.
CATEGORY_AT_LEVEL_2 = (
    "left(category_code, CASE category_scheme WHEN 'nigp' THEN 6 WHEN 'unspsc' THEN 4 "
    "WHEN 'naics' THEN 3 ELSE length(category_code) END)"
)

# rollup → (its key columns and the expressions that compute them from a payment line, extra columns)
ROLLUPS = {
    "spend_department_monthly": (
        {
            "month": "date_trunc('month', paid_date)::date",
            "department": "department",
            "vendor_id": "vendor_id",
            "tier": "tier",
            "currency": "currency",
        },
        {"fiscal_year": "min(fiscal_year)"},
    ),
    "spend_department_quarterly": (
        {
            "quarter": "date_trunc('quarter', paid_date)::date",
            "department": "department",
            "vendor_id": "vendor_id",
            "tier": "tier",
            "currency": "currency",
        },
        {
            "fiscal_year": "min(fiscal_year)",
            # 1 for July–September through 4 for April–June.
            "fiscal_quarter": "min((extract(month FROM paid_date)::integer + 5) % 12 / 3 + 1)",
        },
    ),
    "spend_category_yearly": (
        {
            "fiscal_year": "fiscal_year",
            "category_scheme": "category_scheme",
            "category_code": CATEGORY_AT_LEVEL_2,
            "vendor_id": "vendor_id",
            "tier": "tier",
            "currency": "currency",
        },
        {},
    ),
}


def _summed(table: str, source: str) -> str:
    """`source`'s payment lines summed by `table`'s key, in key order."""
    key, extra = ROLLUPS[table]
    columns = [f"{expression} AS {name}" for name, expression in key.items()]
    columns += [f"{expression} AS {name}" for name, expression in extra.items()]
    positions = ", ".join(str(n) for n in range(1, len(key) + 1))
    return (
        f"SELECT {', '.join(columns)}, sum(amount) AS amount, "
        "coalesce(sum(amount) FILTER (WHERE contract_id IS NOT NULL), 0) AS on_contract_amount, "
        f"count(*)::integer AS payment_count FROM {source} GROUP BY {positions} ORDER BY {positions}"
    )


def _match(table: str) -> str:
    key = list(ROLLUPS[table][0])
    return f"({', '.join('r.' + k for k in key)}) = ({', '.join('lines.' + k for k in key)})"


def _add(table: str, source: str) -> str:
    key, extra = ROLLUPS[table]
    columns = ", ".join([*key, *extra, "amount", "on_contract_amount", "payment_count"])
    return f"""
        INSERT INTO vendors.{table} AS r ({columns}) {_summed(table, source)}
        ON CONFLICT ({', '.join(key)}) DO UPDATE SET amount = r.amount + excluded.amount,
            on_contract_amount = r.on_contract_amount + excluded.on_contract_amount,
            payment_count = r.payment_count + excluded.payment_count;"""


def _take_away(table: str, source: str) -> str:
    return f"""
        UPDATE vendors.{table} AS r SET amount = r.amount - lines.amount,
            on_contract_amount = r.on_contract_amount - lines.on_contract_amount,
            payment_count = r.payment_count - lines.payment_count
        FROM ({_summed(table, source)}) AS lines WHERE {_match(table)};
        DELETE FROM vendors.{table} AS r USING ({_summed(table, source)}) AS lines
        WHERE {_match(table)} AND r.payment_count = 0;"""


MAINTAIN = f"""
CREATE FUNCTION vendors.spend_rollups_maintain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {''.join(_take_away(table, 'old_rows') for table in ROLLUPS)}
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {''.join(_add(table, 'new_rows') for table in ROLLUPS)}
    END IF;
    RETURN NULL;
END
$$
"""

EMPTY = f"""
CREATE FUNCTION vendors.spend_rollups_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE {', '.join('vendors.' + table for table in ROLLUPS)};
    RETURN NULL;
END
$$
"""

# A trigger with transition tables takes one event, hence one trigger per event.
TRIGGERS = {
    "spend_rollups_on_insert": "AFTER INSERT ON vendors.payments REFERENCING NEW TABLE AS new_rows",
    "spend_rollups_on_update": (
        "AFTER UPDATE ON vendors.payments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    ),
    "spend_rollups_on_delete": "AFTER DELETE ON vendors.payments REFERENCING OLD TABLE AS old_rows",
}


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('spend_category_yearly',
    sa.Column('fiscal_year', sa.SmallInteger(), nullable=False),
    sa.Column('category_scheme', sa.String(length=10), nullable=False),
    sa.Column('category_code', sa.String(length=40), nullable=False),
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('tier', sa.String(length=5), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('on_contract_amount', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('payment_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('fiscal_year', 'category_scheme', 'category_code', 'vendor_id', 'tier', 'currency', name=op.f('pk_spend_category_yearly')),
    schema='vendors'
    )
    op.create_index('ix_spend_category_yearly_category_scheme_category_code', 'spend_category_yearly', ['category_scheme', 'category_code'], unique=False, schema='vendors', postgresql_ops={'category_code': 'varchar_pattern_ops'})
    op.create_index('ix_spend_category_yearly_vendor_id', 'spend_category_yearly', ['vendor_id'], unique=False, schema='vendors')
    op.create_table('spend_department_monthly',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('department', sa.String(length=10), nullable=False),
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('tier', sa.String(length=5), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('fiscal_year', sa.SmallInteger(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('on_contract_amount', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('payment_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'department', 'vendor_id', 'tier', 'currency', name=op.f('pk_spend_department_monthly')),
    schema='vendors'
    )
    op.create_index('ix_spend_department_monthly_vendor_id_month', 'spend_department_monthly', ['vendor_id', 'month'], unique=False, schema='vendors')
    op.create_table('spend_department_quarterly',
    sa.Column('quarter', sa.Date(), nullable=False),
    sa.Column('department', sa.String(length=10), nullable=False),
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('tier', sa.String(length=5), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('fiscal_year', sa.SmallInteger(), nullable=False),
    sa.Column('fiscal_quarter', sa.SmallInteger(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('on_contract_amount', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('payment_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('quarter', 'department', 'vendor_id', 'tier', 'currency', name=op.f('pk_spend_department_quarterly')),
    schema='vendors'
    )
    op.create_index('ix_spend_department_quarterly_vendor_id_quarter', 'spend_department_quarterly', ['vendor_id', 'quarter'], unique=False, schema='vendors')
    op.execute(MAINTAIN)
    op.execute(EMPTY)
    for name, timing in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {timing} FOR EACH STATEMENT EXECUTE FUNCTION vendors.spend_rollups_maintain()")
    op.execute(
        "CREATE TRIGGER spend_rollups_on_truncate AFTER TRUNCATE ON vendors.payments "
        "FOR EACH STATEMENT EXECUTE FUNCTION vendors.spend_rollups_truncate()"
    )
    # The payments already there, summed once.
    for table in ROLLUPS:
        op.execute(_add(table, "vendors.payments"))


def downgrade() -> None:
    """Downgrade schema."""
    for name in (*TRIGGERS, "spend_rollups_on_truncate"):
        op.execute(f"DROP TRIGGER {name} ON vendors.payments")
    op.execute("DROP FUNCTION vendors.spend_rollups_truncate()")
    op.execute("DROP FUNCTION vendors.spend_rollups_maintain()")
    op.drop_index('ix_spend_department_quarterly_vendor_id_quarter', table_name='spend_department_quarterly', schema='vendors')
    op.drop_table('spend_department_quarterly', schema='vendors')
    op.drop_index('ix_spend_department_monthly_vendor_id_month', table_name='spend_department_monthly', schema='vendors')
    op.drop_table('spend_department_monthly', schema='vendors')
    op.drop_index('ix_spend_category_yearly_vendor_id', table_name='spend_category_yearly', schema='vendors')
    op.drop_index('ix_spend_category_yearly_category_scheme_category_code', table_name='spend_category_yearly', schema='vendors', postgresql_ops={'category_code': 'varchar_pattern_ops'})
    op.drop_table('spend_category_yearly', schema='vendors')
