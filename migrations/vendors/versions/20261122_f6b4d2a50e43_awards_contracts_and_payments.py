"""awards, contracts and payments

Revision ID: f6b4d2a50e43
Revises: e5a3c1f49d32
Create Date: 2026-11-22

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'f6b4d2a50e43'
down_revision: Union[str, Sequence[str], None] = 'e5a3c1f49d32'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(sa.schema.CreateSequence(sa.Sequence('contract_number_seq', schema='vendors')))
    op.create_table('awards',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('solicitation_id', sa.Uuid(), nullable=False),
    sa.Column('bid_id', sa.Uuid(), nullable=False),
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('intent_notified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('protest_window_ends_on', sa.Date(), nullable=False),
    sa.Column('award_date', sa.Date(), nullable=True),
    sa.Column('decision_reason', sa.String(length=2000), nullable=True),
    sa.CheckConstraint("(status = 'active') <= (award_date IS NOT NULL)", name=op.f('ck_awards_active_has_date')),
    sa.CheckConstraint("status IN ('intent', 'stayed', 'active', 'rejected', 'cancelled')", name=op.f('ck_awards_status')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_awards_amount')),
    sa.ForeignKeyConstraint(['bid_id'], ['vendors.bids.id'], name=op.f('fk_awards_bid_id_bids')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['vendors.solicitations.id'], name=op.f('fk_awards_solicitation_id_solicitations')),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.vendors.id'], name=op.f('fk_awards_vendor_id_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_awards')),
    schema='vendors'
    )
    op.create_index('ix_awards_award_date', 'awards', ['award_date'], unique=False, schema='vendors')
    op.create_index('ix_awards_vendor_id', 'awards', ['vendor_id'], unique=False, schema='vendors')
    op.create_index('uq_awards_solicitation_id_live', 'awards', ['solicitation_id'], unique=True, schema='vendors', postgresql_where=sa.text("status IN ('intent', 'stayed', 'active')"))
    op.create_table('contracts',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('award_id', sa.Uuid(), nullable=False),
    sa.Column('solicitation_id', sa.Uuid(), nullable=False),
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('department', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('original_value_amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('value_amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('signed_date', sa.Date(), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'active', 'completed', 'terminated')", name=op.f('ck_contracts_status')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_contracts_period')),
    sa.CheckConstraint('value_amount >= 0', name=op.f('ck_contracts_value')),
    sa.ForeignKeyConstraint(['award_id'], ['vendors.awards.id'], name=op.f('fk_contracts_award_id_awards')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['vendors.solicitations.id'], name=op.f('fk_contracts_solicitation_id_solicitations')),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.vendors.id'], name=op.f('fk_contracts_vendor_id_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('award_id', name=op.f('uq_contracts_award_id')),
    sa.UniqueConstraint('number', name=op.f('uq_contracts_number')),
    schema='vendors'
    )
    op.create_index('ix_contracts_updated_at_id', 'contracts', ['updated_at', 'id'], unique=False, schema='vendors')
    op.create_index('ix_contracts_vendor_id', 'contracts', ['vendor_id'], unique=False, schema='vendors')
    op.create_table('contract_amendments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contract_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('value_change_amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('new_period_end', sa.Date(), nullable=True),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('made_by', sa.String(length=200), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['vendors.contracts.id'], name=op.f('fk_contract_amendments_contract_id_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_amendments')),
    sa.UniqueConstraint('contract_id', 'number', name=op.f('uq_contract_amendments_contract_id_number')),
    schema='vendors'
    )
    op.create_table('payments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('prime_vendor_id', sa.Uuid(), nullable=True),
    sa.Column('contract_id', sa.Uuid(), nullable=True),
    sa.Column('department', sa.String(length=10), nullable=False),
    sa.Column('category_scheme', sa.String(length=10), nullable=False),
    sa.Column('category_code', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('paid_date', sa.Date(), nullable=False),
    sa.Column('fiscal_year', sa.SmallInteger(), nullable=False),
    sa.Column('tier', sa.String(length=5), nullable=False),
    sa.Column('external_ref', sa.String(length=80), nullable=True),
    sa.Column('import_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(tier = 'sub') = (prime_vendor_id IS NOT NULL)", name=op.f('ck_payments_prime_of_sub')),
    sa.CheckConstraint("tier IN ('prime', 'sub')", name=op.f('ck_payments_tier')),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_payments_amount')),
    sa.ForeignKeyConstraint(['contract_id'], ['vendors.contracts.id'], name=op.f('fk_payments_contract_id_contracts')),
    sa.ForeignKeyConstraint(['prime_vendor_id'], ['vendors.vendors.id'], name=op.f('fk_payments_prime_vendor_id_vendors')),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.vendors.id'], name=op.f('fk_payments_vendor_id_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('external_ref', name=op.f('uq_payments_external_ref')),
    schema='vendors'
    )
    op.create_index('ix_payments_contract_id', 'payments', ['contract_id'], unique=False, schema='vendors')
    op.create_index('ix_payments_paid_date', 'payments', ['paid_date'], unique=False, schema='vendors')
    op.create_index('ix_payments_vendor_id_paid_date', 'payments', ['vendor_id', 'paid_date'], unique=False, schema='vendors')
    op.create_table('subcontracts',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('contract_id', sa.Uuid(), nullable=False),
    sa.Column('sub_vendor_id', sa.Uuid(), nullable=False),
    sa.Column('certification_type', sa.String(length=10), nullable=True),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('committed_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.CheckConstraint("status IN ('committed', 'cancelled')", name=op.f('ck_subcontracts_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_subcontracts_amount')),
    sa.ForeignKeyConstraint(['contract_id'], ['vendors.contracts.id'], name=op.f('fk_subcontracts_contract_id_contracts')),
    sa.ForeignKeyConstraint(['sub_vendor_id'], ['vendors.vendors.id'], name=op.f('fk_subcontracts_sub_vendor_id_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subcontracts')),
    schema='vendors'
    )
    op.create_index('ix_subcontracts_contract_id', 'subcontracts', ['contract_id'], unique=False, schema='vendors')
    op.create_index('ix_subcontracts_sub_vendor_id', 'subcontracts', ['sub_vendor_id'], unique=False, schema='vendors')


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_subcontracts_sub_vendor_id', table_name='subcontracts', schema='vendors')
    op.drop_index('ix_subcontracts_contract_id', table_name='subcontracts', schema='vendors')
    op.drop_table('subcontracts', schema='vendors')
    op.drop_index('ix_payments_vendor_id_paid_date', table_name='payments', schema='vendors')
    op.drop_index('ix_payments_paid_date', table_name='payments', schema='vendors')
    op.drop_index('ix_payments_contract_id', table_name='payments', schema='vendors')
    op.drop_table('payments', schema='vendors')
    op.drop_table('contract_amendments', schema='vendors')
    op.drop_index('ix_contracts_vendor_id', table_name='contracts', schema='vendors')
    op.drop_index('ix_contracts_updated_at_id', table_name='contracts', schema='vendors')
    op.drop_table('contracts', schema='vendors')
    op.drop_index('uq_awards_solicitation_id_live', table_name='awards', schema='vendors', postgresql_where=sa.text("status IN ('intent', 'stayed', 'active')"))
    op.drop_index('ix_awards_vendor_id', table_name='awards', schema='vendors')
    op.drop_index('ix_awards_award_date', table_name='awards', schema='vendors')
    op.drop_table('awards', schema='vendors')
    op.execute(sa.schema.DropSequence(sa.Sequence('contract_number_seq', schema='vendors')))
