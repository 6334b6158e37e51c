"""spaces and occupancy: spaces inside assets, and occupancy records that are never changed

Two triggers, on core PostgreSQL (the embedded server ships no btree_gist, so no exclusion constraint):
occupancy rows refuse UPDATE and DELETE (a correction is a new row), and a new row may not share a day
with a current row of its space (one no row supersedes), the row it supersedes aside. The check runs
under a lock on the space's row, so two writers of one space take turns and the second, at READ
COMMITTED, sees the first's row. It raises `exclusion_violation` naming the row in the way.

Revision ID: 3c5e9b1f7a24
Revises: 7a1e5c0d2b93
Create Date: 2026-12-06

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '3c5e9b1f7a24'
down_revision: Union[str, Sequence[str], None] = '7a1e5c0d2b93'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


NEVER_CHANGED = """
CREATE FUNCTION assets.occupancies_never_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'occupancy records are never changed: record a new one that supersedes %', OLD.id
        USING ERRCODE = 'restrict_violation';
END
$$
"""

NO_OVERLAP = """
CREATE FUNCTION assets.occupancies_no_overlap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    clash uuid;
BEGIN
    PERFORM 1 FROM assets.spaces WHERE id = NEW.space_id FOR UPDATE;
    SELECT o.id INTO clash
      FROM assets.occupancies o
     WHERE o.space_id = NEW.space_id
       AND o.id IS DISTINCT FROM NEW.supersedes_id
       AND NOT EXISTS (SELECT 1 FROM assets.occupancies n WHERE n.supersedes_id = o.id)
       AND daterange(o.start_date, o.end_date, '[]') && daterange(NEW.start_date, NEW.end_date, '[]')
     LIMIT 1;
    IF clash IS NOT NULL THEN
        RAISE EXCEPTION 'occupancy of space % overlaps current occupancy %', NEW.space_id, clash
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'occupancies_no_overlap';
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('spaces',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('asset_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('floor', sa.SmallInteger(), nullable=True),
    sa.Column('use', sa.String(length=30), nullable=False),
    sa.Column('rentable_sqft', sa.Integer(), nullable=False),
    sa.CheckConstraint('rentable_sqft >= 0', name=op.f('ck_spaces_rentable_sqft_not_negative')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.assets.id'], name=op.f('fk_spaces_asset_id_assets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spaces')),
    sa.UniqueConstraint('asset_id', 'code', name=op.f('uq_spaces_asset_id_code')),
    schema='assets'
    )
    op.create_index('ix_spaces_asset_id_id', 'spaces', ['asset_id', 'id'], unique=False, schema='assets')
    op.create_index('ix_spaces_updated_at_id', 'spaces', ['updated_at', 'id'], unique=False, schema='assets')
    op.create_table('occupancies',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('space_id', sa.Uuid(), nullable=False),
    sa.Column('department', sa.String(length=10), nullable=True),
    sa.Column('organization', sa.String(length=200), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('supersedes_id', sa.Uuid(), nullable=True),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(department IS NULL) <> (organization IS NULL)', name=op.f('ck_occupancies_one_occupant')),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_occupancies_ends_after_start')),
    sa.ForeignKeyConstraint(['space_id'], ['assets.spaces.id'], name=op.f('fk_occupancies_space_id_spaces')),
    sa.ForeignKeyConstraint(['supersedes_id', 'space_id'], ['assets.occupancies.id', 'assets.occupancies.space_id'], name='fk_occupancies_supersedes_id_occupancies'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_occupancies')),
    sa.UniqueConstraint('id', 'space_id', name=op.f('uq_occupancies_id_space_id')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_occupancies_supersedes_id')),
    schema='assets'
    )
    op.create_index('ix_occupancies_space_id_id', 'occupancies', ['space_id', 'id'], unique=False, schema='assets')
    op.create_index('ix_occupancies_space_id_start_date', 'occupancies', ['space_id', 'start_date'], unique=False, schema='assets')
    op.execute(NEVER_CHANGED)
    op.execute("CREATE TRIGGER occupancies_never_changed BEFORE UPDATE OR DELETE ON assets.occupancies "
               "FOR EACH ROW EXECUTE FUNCTION assets.occupancies_never_changed()")
    op.execute(NO_OVERLAP)
    op.execute("CREATE TRIGGER occupancies_no_overlap BEFORE INSERT ON assets.occupancies "
               "FOR EACH ROW EXECUTE FUNCTION assets.occupancies_no_overlap()")


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DROP TRIGGER occupancies_no_overlap ON assets.occupancies")
    op.execute("DROP TRIGGER occupancies_never_changed ON assets.occupancies")
    op.execute("DROP FUNCTION assets.occupancies_no_overlap()")
    op.execute("DROP FUNCTION assets.occupancies_never_changed()")
    op.drop_index('ix_occupancies_space_id_start_date', table_name='occupancies', schema='assets')
    op.drop_index('ix_occupancies_space_id_id', table_name='occupancies', schema='assets')
    op.drop_table('occupancies', schema='assets')
    op.drop_index('ix_spaces_updated_at_id', table_name='spaces', schema='assets')
    op.drop_index('ix_spaces_asset_id_id', table_name='spaces', schema='assets')
    op.drop_table('spaces', schema='assets')
