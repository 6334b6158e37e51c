"""solicitations, addenda, questions, sealed bids and their sealing keys

Revision ID: e5a3c1f49d32
Revises: d4f2b0e38c21
Create Date: 2026-11-22

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = 'e5a3c1f49d32'
down_revision: Union[str, Sequence[str], None] = 'd4f2b0e38c21'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(sa.schema.CreateSequence(sa.Sequence('solicitation_number_seq', schema='vendors')))
    op.create_table('solicitations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=30), nullable=False),
    sa.Column('ocid', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('main_category', sa.String(length=20), nullable=False),
    sa.Column('buyer_department', sa.String(length=10), nullable=False),
    sa.Column('estimated_value_amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('estimated_value_currency', sa.String(length=3), nullable=True),
    sa.Column('funding_source', sa.String(length=10), nullable=False),
    sa.Column('items', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('classification_codes', postgresql.ARRAY(sa.String(length=40)), server_default='{}', nullable=False),
    sa.Column('enquiry_period_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('enquiry_period_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tender_period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tender_period_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('disclose_bid_count', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'published', 'opened', 'evaluation', 'intent_to_award', 'awarded', 'cancelled', 'unsuccessful')", name=op.f('ck_solicitations_status')),
    sa.CheckConstraint('enquiry_period_start IS NULL OR (enquiry_period_end > enquiry_period_start AND enquiry_period_end <= tender_period_end)', name=op.f('ck_solicitations_enquiry_period')),
    sa.CheckConstraint('estimated_value_amount IS NULL OR estimated_value_amount >= 0', name=op.f('ck_solicitations_estimated_value')),
    sa.CheckConstraint('tender_period_end > tender_period_start', name=op.f('ck_solicitations_tender_period')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solicitations')),
    sa.UniqueConstraint('ocid', name=op.f('uq_solicitations_ocid')),
    sa.UniqueConstraint('reference', name=op.f('uq_solicitations_reference')),
    schema='vendors'
    )
    op.create_index('ix_solicitations_status_tender_period_end', 'solicitations', ['status', 'tender_period_end'], unique=False, schema='vendors')
    op.create_index('ix_solicitations_updated_at_id', 'solicitations', ['updated_at', 'id'], unique=False, schema='vendors')
    op.create_table('bids',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('solicitation_id', sa.Uuid(), nullable=False),
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('submitted_by', sa.String(length=200), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_addenda', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('sealed_payload', sa.Text(), nullable=True),
    sa.Column('receipt_hash', sa.String(length=64), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_total_amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('opened_total_currency', sa.String(length=3), nullable=True),
    sa.Column('opened_content', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('missing_addenda', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'withdrawn') = (sealed_payload IS NULL)", name=op.f('ck_bids_sealed_until_withdrawn')),
    sa.CheckConstraint("(status IN ('opened', 'nonresponsive')) = (opened_total_amount IS NOT NULL)", name=op.f('ck_bids_opened_prices')),
    sa.CheckConstraint("status IN ('submitted', 'withdrawn', 'opened', 'nonresponsive')", name=op.f('ck_bids_status')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['vendors.solicitations.id'], name=op.f('fk_bids_solicitation_id_solicitations')),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.vendors.id'], name=op.f('fk_bids_vendor_id_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bids')),
    schema='vendors'
    )
    op.create_index('ix_bids_solicitation_id_id', 'bids', ['solicitation_id', 'id'], unique=False, schema='vendors')
    op.create_index('uq_bids_solicitation_id_vendor_id_live', 'bids', ['solicitation_id', 'vendor_id'], unique=True, schema='vendors', postgresql_where=sa.text("status <> 'withdrawn'"))
    op.create_table('solicitation_addenda',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('solicitation_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.String(length=200), nullable=False),
    sa.Column('close_extended_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_extended_to', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['solicitation_id'], ['vendors.solicitations.id'], name=op.f('fk_solicitation_addenda_solicitation_id_solicitations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solicitation_addenda')),
    sa.UniqueConstraint('solicitation_id', 'number', name=op.f('uq_solicitation_addenda_solicitation_id_number')),
    schema='vendors'
    )
    op.create_table('solicitation_questions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('solicitation_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_by_vendor_id', sa.Uuid(), nullable=False),
    sa.Column('asked_by', sa.String(length=200), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.String(length=200), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['asked_by_vendor_id'], ['vendors.vendors.id'], name=op.f('fk_solicitation_questions_asked_by_vendor_id_vendors')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['vendors.solicitations.id'], name=op.f('fk_solicitation_questions_solicitation_id_solicitations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solicitation_questions')),
    sa.UniqueConstraint('solicitation_id', 'number', name=op.f('uq_solicitation_questions_solicitation_id_number')),
    schema='vendors'
    )
    op.create_table('solicitation_sealing_keys',
    sa.Column('solicitation_id', sa.Uuid(), nullable=False),
    sa.Column('master_key_id', sa.String(length=16), nullable=False),
    sa.Column('wrapped_key', sa.Text(), nullable=False),
    sa.Column('released_key', sa.String(length=64), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['solicitation_id'], ['vendors.solicitations.id'], name=op.f('fk_solicitation_sealing_keys_solicitation_id_solicitations')),
    sa.PrimaryKeyConstraint('solicitation_id', name=op.f('pk_solicitation_sealing_keys')),
    schema='vendors'
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('solicitation_sealing_keys', schema='vendors')
    op.drop_table('solicitation_questions', schema='vendors')
    op.drop_table('solicitation_addenda', schema='vendors')
    op.drop_index('uq_bids_solicitation_id_vendor_id_live', table_name='bids', schema='vendors', postgresql_where=sa.text("status <> 'withdrawn'"))
    op.drop_index('ix_bids_solicitation_id_id', table_name='bids', schema='vendors')
    op.drop_table('bids', schema='vendors')
    op.drop_index('ix_solicitations_updated_at_id', table_name='solicitations', schema='vendors')
    op.drop_index('ix_solicitations_status_tender_period_end', table_name='solicitations', schema='vendors')
    op.drop_table('solicitations', schema='vendors')
    op.execute(sa.schema.DropSequence(sa.Sequence('solicitation_number_seq', schema='vendors')))
