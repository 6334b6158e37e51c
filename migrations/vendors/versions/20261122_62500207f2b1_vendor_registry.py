"""vendor registry

Revision ID: 62500207f2b1
Revises: 
Create Date: 2026-11-22

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '62500207f2b1'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(sa.schema.CreateSequence(sa.Sequence('vendor_number_seq', schema='vendors')))
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
    schema='vendors'
    )
    op.create_index(op.f('ix_audit_events_entity_entity_id_id'), 'audit_events', ['entity', 'entity_id', 'id'], unique=False, schema='vendors')
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
    schema='vendors'
    )
    op.create_table('vendors',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('vendor_number', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('legal_name', sa.String(length=200), nullable=False),
    sa.Column('normalized_name', sa.String(length=200), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('dba_names', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('entity_type', sa.String(length=30), nullable=False),
    sa.Column('identifiers', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('addresses', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('contacts', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('size_class', sa.String(length=10), nullable=True),
    sa.Column('merged_into_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['merged_into_id'], ['vendors.vendors.id'], name=op.f('fk_vendors_merged_into_id_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendors')),
    sa.UniqueConstraint('vendor_number', name=op.f('uq_vendors_vendor_number')),
    schema='vendors'
    )
    op.create_index(op.f('ix_vendors_normalized_name'), 'vendors', ['normalized_name'], unique=False, schema='vendors')
    op.create_index('ix_vendors_search', 'vendors', [sa.literal_column("to_tsvector('simple', search_text)")], unique=False, schema='vendors', postgresql_using='gin')
    op.create_index('ix_vendors_status_id', 'vendors', ['status', 'id'], unique=False, schema='vendors')
    op.create_index('ix_vendors_updated_at_id', 'vendors', ['updated_at', 'id'], unique=False, schema='vendors')
    op.create_table('vendor_commodity_codes',
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('scheme', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.vendors.id'], name=op.f('fk_vendor_commodity_codes_vendor_id_vendors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vendor_id', 'scheme', 'code', name=op.f('pk_vendor_commodity_codes')),
    schema='vendors'
    )
    op.create_index('ix_vendor_commodity_codes_scheme_code', 'vendor_commodity_codes', ['scheme', 'code'], unique=False, schema='vendors', postgresql_ops={'code': 'varchar_pattern_ops'})


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_vendor_commodity_codes_scheme_code', table_name='vendor_commodity_codes', schema='vendors', postgresql_ops={'code': 'varchar_pattern_ops'})
    op.drop_table('vendor_commodity_codes', schema='vendors')
    op.drop_index('ix_vendors_updated_at_id', table_name='vendors', schema='vendors')
    op.drop_index('ix_vendors_status_id', table_name='vendors', schema='vendors')
    op.drop_index('ix_vendors_search', table_name='vendors', schema='vendors', postgresql_using='gin')
    op.drop_index(op.f('ix_vendors_normalized_name'), table_name='vendors', schema='vendors')
    op.drop_table('vendors', schema='vendors')
    op.drop_table('idempotency_keys', schema='vendors')
    op.drop_index(op.f('ix_audit_events_entity_entity_id_id'), table_name='audit_events', schema='vendors')
    op.drop_table('audit_events', schema='vendors')
    op.execute(sa.schema.DropSequence(sa.Sequence('vendor_number_seq', schema='vendors')))
