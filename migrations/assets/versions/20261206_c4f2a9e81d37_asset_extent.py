"""asset extent: a generated box of each asset's footprint or point, with a GiST index for bbox queries

Revision ID: c4f2a9e81d37
Revises: 3c5e9b1f7a24
Create Date: 2026-12-06

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'c4f2a9e81d37'
down_revision: Union[str, Sequence[str], None] = '3c5e9b1f7a24'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Core PostgreSQL's box and its built-in GiST operator class: no PostGIS, no contrib extension. The
    # expression is the model's EXTENT_EXPRESSION as of this revision (kept here, so history stays fixed).
    op.execute(
        "ALTER TABLE assets.assets ADD COLUMN extent box GENERATED ALWAYS AS ("
        "CASE WHEN footprint_west IS NOT NULL THEN box("
        "point(footprint_west::float8, footprint_south::float8), "
        "point(footprint_east::float8, footprint_north::float8)) "
        "WHEN longitude IS NOT NULL THEN box("
        "point(longitude::float8, latitude::float8), point(longitude::float8, latitude::float8)) END"
        ") STORED"
    )
    op.create_index('ix_assets_extent', 'assets', ['extent'], unique=False, schema='assets', postgresql_using='gist')


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_assets_extent', table_name='assets', schema='assets', postgresql_using='gist')
    op.drop_column('assets', 'extent', schema='assets')
