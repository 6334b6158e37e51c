"""leases and cpi values: leases of assets (and of their spaces), and the CPI values escalations read

A lease's escalations and options are JSONB lists on its row, written with it as one version; the spaces
it covers are rows of `lease_spaces`, keyed to real spaces. CPI values are one per series and month (the
first day of the month stands for it).

Revision ID: 5d2f8a6c1e47
Revises: c4f2a9e81d37
Create Date: 2026-12-06

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '5d2f8a6c1e47'
down_revision: Union[str, Sequence[str], None] = 'c4f2a9e81d37'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('cpi_values',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('series', sa.String(length=20), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('value', sa.Numeric(precision=10, scale=3), nullable=False),
    sa.CheckConstraint('extract(day from month) = 1', name=op.f('ck_cpi_values_month_first_day')),
    sa.CheckConstraint('value > 0', name=op.f('ck_cpi_values_value_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cpi_values')),
    sa.UniqueConstraint('series', 'month', name=op.f('uq_cpi_values_series_month')),
    schema='assets'
    )
    op.create_table('leases',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('asset_id', sa.Uuid(), nullable=False),
    sa.Column('direction', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('counterparty_name', sa.String(length=200), nullable=False),
    sa.Column('counterparty_vendor_id', sa.Uuid(), nullable=True),
    sa.Column('commencement_date', sa.Date(), nullable=False),
    sa.Column('expiration_date', sa.Date(), nullable=False),
    sa.Column('base_monthly_rent', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('security_deposit', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('escalations', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('options', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.CheckConstraint('base_monthly_rent >= 0', name=op.f('ck_leases_rent_not_negative')),
    sa.CheckConstraint('expiration_date >= commencement_date', name=op.f('ck_leases_expires_after_commencement')),
    sa.CheckConstraint('security_deposit >= 0', name=op.f('ck_leases_deposit_not_negative')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.assets.id'], name=op.f('fk_leases_asset_id_assets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leases')),
    schema='assets'
    )
    op.create_index('ix_leases_asset_id_id', 'leases', ['asset_id', 'id'], unique=False, schema='assets')
    op.create_index('ix_leases_expiration_date_id', 'leases', ['expiration_date', 'id'], unique=False, schema='assets')
    op.create_index('ix_leases_updated_at_id', 'leases', ['updated_at', 'id'], unique=False, schema='assets')
    op.create_table('lease_spaces',
    sa.Column('lease_id', sa.Uuid(), nullable=False),
    sa.Column('space_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['lease_id'], ['assets.leases.id'], name=op.f('fk_lease_spaces_lease_id_leases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['space_id'], ['assets.spaces.id'], name=op.f('fk_lease_spaces_space_id_spaces')),
    sa.PrimaryKeyConstraint('lease_id', 'space_id', name=op.f('pk_lease_spaces')),
    schema='assets'
    )
    op.create_index('ix_lease_spaces_space_id', 'lease_spaces', ['space_id'], unique=False, schema='assets')


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_lease_spaces_space_id', table_name='lease_spaces', schema='assets')
    op.drop_table('lease_spaces', schema='assets')
    op.drop_index('ix_leases_updated_at_id', table_name='leases', schema='assets')
    op.drop_index('ix_leases_expiration_date_id', table_name='leases', schema='assets')
    op.drop_index('ix_leases_asset_id_id', table_name='leases', schema='assets')
    op.drop_table('leases', schema='assets')
    op.drop_table('cpi_values', schema='assets')
