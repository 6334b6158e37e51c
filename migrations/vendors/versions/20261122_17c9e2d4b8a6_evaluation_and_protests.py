"""evaluation and protests

Revision ID: 17c9e2d4b8a6
Revises: f6b4d2a50e43
Create Date: 2026-11-22

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision: str = '17c9e2d4b8a6'
down_revision: Union[str, Sequence[str], None] = 'f6b4d2a50e43'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('solicitations', sa.Column('evaluation_method', sa.String(length=20), server_default='lowest_price', nullable=False), schema='vendors')
    op.add_column('solicitations', sa.Column('evaluation_criteria', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False), schema='vendors')
    op.add_column('solicitations', sa.Column('dbe_goal_percent', sa.Numeric(precision=5, scale=2), nullable=True), schema='vendors')
    op.create_check_constraint(op.f('ck_solicitations_evaluation_method'), 'solicitations', "evaluation_method IN ('lowest_price', 'best_value')", schema='vendors')
    # Proposition 209: a race- and sex-conscious (DBE) goal exists only on federally funded work.
    op.create_check_constraint(op.f('ck_solicitations_dbe_goal_federal_only'), 'solicitations', "dbe_goal_percent IS NULL OR (funding_source = 'federal' AND dbe_goal_percent > 0 AND dbe_goal_percent <= 100)", schema='vendors')
    op.create_table('bid_determinations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('solicitation_id', sa.Uuid(), nullable=False),
    sa.Column('bid_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('vendor_status', sa.String(length=20), nullable=True),
    sa.Column('determined_by', sa.String(length=200), nullable=False),
    sa.Column('determined_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'responsiveness' AND outcome IN ('responsive', 'nonresponsive')) OR (kind = 'responsibility' AND outcome IN ('responsible', 'not_responsible'))", name=op.f('ck_bid_determinations_outcome_of_kind')),
    sa.ForeignKeyConstraint(['bid_id'], ['vendors.bids.id'], name=op.f('fk_bid_determinations_bid_id_bids')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['vendors.solicitations.id'], name=op.f('fk_bid_determinations_solicitation_id_solicitations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_determinations')),
    schema='vendors'
    )
    op.create_index('ix_bid_determinations_bid_id_kind_id', 'bid_determinations', ['bid_id', 'kind', 'id'], unique=False, schema='vendors')
    op.create_index('ix_bid_determinations_solicitation_id_id', 'bid_determinations', ['solicitation_id', 'id'], unique=False, schema='vendors')
    op.create_table('bid_scores',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('solicitation_id', sa.Uuid(), nullable=False),
    sa.Column('bid_id', sa.Uuid(), nullable=False),
    sa.Column('criterion', sa.String(length=40), nullable=False),
    sa.Column('points', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('scored_by', sa.String(length=200), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('points >= 0 AND points <= 100', name=op.f('ck_bid_scores_points')),
    sa.ForeignKeyConstraint(['bid_id'], ['vendors.bids.id'], name=op.f('fk_bid_scores_bid_id_bids')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['vendors.solicitations.id'], name=op.f('fk_bid_scores_solicitation_id_solicitations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_scores')),
    schema='vendors'
    )
    op.create_index('ix_bid_scores_bid_id_criterion_id', 'bid_scores', ['bid_id', 'criterion', 'id'], unique=False, schema='vendors')
    op.create_index('ix_bid_scores_solicitation_id_id', 'bid_scores', ['solicitation_id', 'id'], unique=False, schema='vendors')
    op.create_index('ix_awards_updated_at_id', 'awards', ['updated_at', 'id'], unique=False, schema='vendors')
    op.create_table('protests',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('award_id', sa.Uuid(), nullable=False),
    sa.Column('solicitation_id', sa.Uuid(), nullable=False),
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('grounds', sa.Text(), nullable=False),
    sa.Column('filed_by', sa.String(length=200), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timely', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decision_reason', sa.String(length=2000), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'dismissed', 'upheld', 'denied', 'withdrawn')", name=op.f('ck_protests_status')),
    sa.CheckConstraint("timely OR status = 'dismissed'", name=op.f('ck_protests_untimely_dismissed')),
    sa.ForeignKeyConstraint(['award_id'], ['vendors.awards.id'], name=op.f('fk_protests_award_id_awards')),
    sa.ForeignKeyConstraint(['solicitation_id'], ['vendors.solicitations.id'], name=op.f('fk_protests_solicitation_id_solicitations')),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.vendors.id'], name=op.f('fk_protests_vendor_id_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protests')),
    schema='vendors'
    )
    op.create_index('ix_protests_award_id_status', 'protests', ['award_id', 'status'], unique=False, schema='vendors')
    op.create_index('ix_protests_vendor_id_id', 'protests', ['vendor_id', 'id'], unique=False, schema='vendors')
    op.create_index('uq_protests_award_id_vendor_id_pending', 'protests', ['award_id', 'vendor_id'], unique=True, schema='vendors', postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('uq_protests_award_id_vendor_id_pending', table_name='protests', schema='vendors', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_protests_vendor_id_id', table_name='protests', schema='vendors')
    op.drop_index('ix_protests_award_id_status', table_name='protests', schema='vendors')
    op.drop_table('protests', schema='vendors')
    op.drop_index('ix_awards_updated_at_id', table_name='awards', schema='vendors')
    op.drop_index('ix_bid_scores_solicitation_id_id', table_name='bid_scores', schema='vendors')
    op.drop_index('ix_bid_scores_bid_id_criterion_id', table_name='bid_scores', schema='vendors')
    op.drop_table('bid_scores', schema='vendors')
    op.drop_index('ix_bid_determinations_solicitation_id_id', table_name='bid_determinations', schema='vendors')
    op.drop_index('ix_bid_determinations_bid_id_kind_id', table_name='bid_determinations', schema='vendors')
    op.drop_table('bid_determinations', schema='vendors')
    op.drop_constraint(op.f('ck_solicitations_dbe_goal_federal_only'), 'solicitations', type_='check', schema='vendors')
    op.drop_constraint(op.f('ck_solicitations_evaluation_method'), 'solicitations', type_='check', schema='vendors')
    op.drop_column('solicitations', 'dbe_goal_percent', schema='vendors')
    op.drop_column('solicitations', 'evaluation_criteria', schema='vendors')
    op.drop_column('solicitations', 'evaluation_method', schema='vendors')
