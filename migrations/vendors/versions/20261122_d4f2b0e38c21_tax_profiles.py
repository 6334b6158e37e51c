"""tax profiles (encrypted TINs) and the indexes of duplicate detection

Revision ID: d4f2b0e38c21
Revises: c3e1a9d27b10
Create Date: 2026-11-22

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'd4f2b0e38c21'
down_revision: Union[str, Sequence[str], None] = 'c3e1a9d27b10'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('tax_profiles',
    sa.Column('vendor_id', sa.Uuid(), nullable=False),
    sa.Column('tin_type', sa.String(length=10), nullable=False),
    sa.Column('tin_ciphertext', sa.Text(), nullable=False),
    sa.Column('tin_last4', sa.String(length=4), nullable=False),
    sa.Column('tin_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.vendors.id'], name=op.f('fk_tax_profiles_vendor_id_vendors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vendor_id', name=op.f('pk_tax_profiles')),
    sa.UniqueConstraint('tin_fingerprint', name=op.f('uq_tax_profiles_tin_fingerprint')),
    schema='vendors'
    )
    # Duplicate detection narrows by JSON containment on addresses and contacts (core PostgreSQL only).
    op.create_index('ix_vendors_addresses', 'vendors', ['addresses'], unique=False, schema='vendors', postgresql_using='gin', postgresql_ops={'addresses': 'jsonb_path_ops'})
    op.create_index('ix_vendors_contacts', 'vendors', ['contacts'], unique=False, schema='vendors', postgresql_using='gin', postgresql_ops={'contacts': 'jsonb_path_ops'})


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_vendors_contacts', table_name='vendors', schema='vendors', postgresql_using='gin', postgresql_ops={'contacts': 'jsonb_path_ops'})
    op.drop_index('ix_vendors_addresses', table_name='vendors', schema='vendors', postgresql_using='gin', postgresql_ops={'addresses': 'jsonb_path_ops'})
    op.drop_table('tax_profiles', schema='vendors')
