"""sandbox clock

Revision ID: 4a7c2e9b1d05
Revises: 39ebf4f6dac8
Create Date: 2026-11-23

The service's one-row `sandbox_clock`: how far the platform's time runs ahead of the real time outside
production (services.common.sandbox). No row means not ahead; the first move inserts it.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '4a7c2e9b1d05'
down_revision: Union[str, Sequence[str], None] = '39ebf4f6dac8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('sandbox_clock',
    sa.Column('id', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('ahead_by', sa.Interval(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_sandbox_clock_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_clock')),
    schema='vendors'
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('sandbox_clock', schema='vendors')
