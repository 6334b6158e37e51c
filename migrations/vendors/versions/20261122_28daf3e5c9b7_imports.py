"""imports

Revision ID: 28daf3e5c9b7
Revises: 17c9e2d4b8a6
Create Date: 2026-11-22

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '28daf3e5c9b7'
down_revision: Union[str, Sequence[str], None] = '17c9e2d4b8a6'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('imports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('file_bytes', sa.BigInteger(), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('rows_total', sa.BigInteger(), nullable=True),
    sa.Column('rows_loaded', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('rows_already_present', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('rows_failed', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('error_count', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('matched_by_identifier', sa.BigInteger(), nullable=True),
    sa.Column('matched_by_name', sa.BigInteger(), nullable=True),
    sa.Column('failure', sa.Text(), nullable=True),
    sa.Column('submitted_by', sa.String(length=200), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('payments', 'vendors')", name=op.f('ck_imports_kind')),
    sa.CheckConstraint("status IN ('processing', 'completed', 'failed')", name=op.f('ck_imports_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imports')),
    schema='vendors'
    )
    op.create_table('import_errors',
    sa.Column('import_id', sa.Uuid(), nullable=False),
    sa.Column('line', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('column_name', sa.String(length=60), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['vendors.imports.id'], name=op.f('fk_import_errors_import_id_imports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('import_id', 'line', 'position', name=op.f('pk_import_errors')),
    schema='vendors'
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('import_errors', schema='vendors')
    op.drop_table('imports', schema='vendors')
