"""asset registry: assets, parcels and their links; the kernel's audit, idempotency and sandbox clock

Revision ID: 7a1e5c0d2b93
Revises: 
Create Date: 2026-12-05

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '7a1e5c0d2b93'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Asset numbers (`LA-RP-000123`) are drawn from it, never reused.
    op.execute(sa.schema.CreateSequence(sa.Sequence('asset_number_seq', schema='assets')))
    op.create_table('assets',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('asset_number', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('asset_type', sa.String(length=20), nullable=False),
    sa.Column('predominant_use', sa.String(length=40), nullable=False),
    sa.Column('legal_interest', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('status_before_hold', sa.String(length=40), nullable=True),
    sa.Column('cannot_dispose_reason', sa.String(length=20), nullable=True),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('controlling_department', sa.String(length=10), nullable=False),
    sa.Column('council_district', sa.SmallInteger(), nullable=True),
    sa.Column('zoning', sa.String(length=40), nullable=True),
    sa.Column('street_number', sa.String(length=20), nullable=True),
    sa.Column('street_name', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=200), nullable=False),
    sa.Column('zip_code', sa.String(length=10), nullable=True),
    sa.Column('land_area_acres', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('gross_sqft', sa.Integer(), nullable=True),
    sa.Column('rentable_sqft', sa.Integer(), nullable=True),
    sa.Column('floors', sa.SmallInteger(), nullable=True),
    sa.Column('structure_quantity', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('structure_unit', sa.String(length=20), nullable=True),
    sa.Column('year_built', sa.SmallInteger(), nullable=True),
    sa.Column('year_acquired', sa.SmallInteger(), nullable=True),
    sa.Column('historical_status', sa.String(length=30), nullable=False),
    sa.Column('hcm_number', sa.Integer(), nullable=True),
    sa.Column('longitude', sa.Numeric(precision=10, scale=7), nullable=True),
    sa.Column('latitude', sa.Numeric(precision=10, scale=7), nullable=True),
    sa.Column('footprint', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('footprint_west', sa.Numeric(precision=10, scale=7), nullable=True),
    sa.Column('footprint_south', sa.Numeric(precision=10, scale=7), nullable=True),
    sa.Column('footprint_east', sa.Numeric(precision=10, scale=7), nullable=True),
    sa.Column('footprint_north', sa.Numeric(precision=10, scale=7), nullable=True),
    sa.Column('is_sensitive', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.CheckConstraint("(status = 'cannot_currently_be_disposed') = (cannot_dispose_reason IS NOT NULL)", name=op.f('ck_assets_cannot_dispose_reason')),
    sa.CheckConstraint("asset_type IN ('land', 'building', 'structure')", name=op.f('ck_assets_asset_type')),
    sa.CheckConstraint('(longitude IS NULL) = (latitude IS NULL)', name=op.f('ck_assets_location_whole')),
    sa.CheckConstraint('council_district BETWEEN 1 AND 15', name=op.f('ck_assets_council_district')),
    sa.CheckConstraint('rentable_sqft <= gross_sqft', name=op.f('ck_assets_rentable_within_gross')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('asset_number', name=op.f('uq_assets_asset_number')),
    schema='assets'
    )
    op.create_index('ix_assets_controlling_department_id', 'assets', ['controlling_department', 'id'], unique=False, schema='assets')
    op.create_index('ix_assets_council_district_id', 'assets', ['council_district', 'id'], unique=False, schema='assets')
    op.create_index('ix_assets_status_id', 'assets', ['status', 'id'], unique=False, schema='assets')
    op.create_index('ix_assets_updated_at_id', 'assets', ['updated_at', 'id'], unique=False, schema='assets')
    op.create_table('audit_events',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('entity', sa.String(length=100), nullable=False),
    sa.Column('entity_id', sa.String(length=100), nullable=False),
    sa.Column('changes', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('request_id', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    schema='assets'
    )
    op.create_index(op.f('ix_audit_events_entity_entity_id_id'), 'audit_events', ['entity', 'entity_id', 'id'], unique=False, schema='assets')
    op.create_table('idempotency_keys',
    sa.Column('principal', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=2048), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True, comment='null while the first request runs'),
    sa.Column('response_headers', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('response_body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('principal', 'key', 'method', 'path', name=op.f('pk_idempotency_keys')),
    schema='assets'
    )
    op.create_table('parcels',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('apn', sa.String(length=10), nullable=False),
    sa.Column('pin', sa.String(length=20), nullable=True),
    sa.Column('situs_address', sa.String(length=200), nullable=True),
    sa.Column('lot_area_sqft', sa.Integer(), nullable=True),
    sa.Column('zoning', sa.String(length=40), nullable=True),
    sa.Column('assessor_use_code', sa.String(length=4), nullable=True),
    sa.Column('retired_on', sa.Date(), nullable=True),
    sa.CheckConstraint("apn ~ '^[0-9]{10}$'", name=op.f('ck_parcels_apn_digits')),
    sa.PrimaryKeyConstraint('apn', name=op.f('pk_parcels')),
    schema='assets'
    )
    op.create_index('ix_parcels_updated_at_apn', 'parcels', ['updated_at', 'apn'], unique=False, schema='assets')
    op.create_table('sandbox_clock',
    sa.Column('id', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('ahead_by', sa.Interval(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_sandbox_clock_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_clock')),
    schema='assets'
    )
    op.create_table('asset_parcels',
    sa.Column('asset_id', sa.Uuid(), nullable=False),
    sa.Column('apn', sa.String(length=10), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['apn'], ['assets.parcels.apn'], name=op.f('fk_asset_parcels_apn_parcels')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.assets.id'], name=op.f('fk_asset_parcels_asset_id_assets')),
    sa.PrimaryKeyConstraint('asset_id', 'apn', name=op.f('pk_asset_parcels')),
    schema='assets'
    )
    op.create_index('ix_asset_parcels_apn_asset_id', 'asset_parcels', ['apn', 'asset_id'], unique=False, schema='assets')


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_asset_parcels_apn_asset_id', table_name='asset_parcels', schema='assets')
    op.drop_table('asset_parcels', schema='assets')
    op.drop_table('sandbox_clock', schema='assets')
    op.drop_index('ix_parcels_updated_at_apn', table_name='parcels', schema='assets')
    op.drop_table('parcels', schema='assets')
    op.drop_table('idempotency_keys', schema='assets')
    op.drop_index(op.f('ix_audit_events_entity_entity_id_id'), table_name='audit_events', schema='assets')
    op.drop_table('audit_events', schema='assets')
    op.drop_index('ix_assets_updated_at_id', table_name='assets', schema='assets')
    op.drop_index('ix_assets_status_id', table_name='assets', schema='assets')
    op.drop_index('ix_assets_council_district_id', table_name='assets', schema='assets')
    op.drop_index('ix_assets_controlling_department_id', table_name='assets', schema='assets')
    op.drop_table('assets', schema='assets')
    op.execute(sa.schema.DropSequence(sa.Sequence('asset_number_seq', schema='assets')))
