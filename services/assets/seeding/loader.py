"""Writes the generated inventory into an empty registry: one transaction, COPY into each table.

Asset numbers are drawn from the sequence the API uses, so later registrations continue after them.
Nothing is written when the registry already holds assets, and a failure leaves nothing behind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, exists, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.db import SCHEMA, audit
from services.assets.parcels.models import ParcelRow
from services.assets.registry.models import AssetParcelRow, AssetRow, asset_number_sequence
from services.assets.seeding.inventory import Generator, counts
from services.common.clock import utcnow
from services.common.db import create_engine

LOADER_ACTOR = "scale-seeder"
# The demo loader's lock: the two loaders never fill one registry at once.
ADVISORY_LOCK = 7_302_017_302

# (stage, rows written so far in it, rows it will write): called as the load goes.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SeedResult:
    loaded: bool
    parcels: int = 0
    assets: int = 0
    links: int = 0
    seconds: float = 0.0


def _ignore(stage: str, done: int, total: int) -> None:
    """No progress display."""


async def load_scale_data(database_url: str, scale: float, *, progress: Progress = _ignore) -> SeedResult:
    """Loads the inventory at `scale` into an empty registry (nothing, `loaded=False`, when it holds assets)."""
    parcel_count, asset_count = counts(scale)
    began = time.perf_counter()
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with AsyncSession(engine) as session, session.begin():
            connection = await session.connection()
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
            if await connection.scalar(select(exists().select_from(AssetRow))):
                return SeedResult(loaded=False)
            statement = select(asset_number_sequence.next_value()).select_from(
                func.generate_series(1, asset_count)
            )
            numbers = [f"LA-RP-{n:06d}" for n in sorted((await connection.scalars(statement)).all())]
            progress("generating", 0, asset_count)
            data = Generator(utcnow(), numbers, parcel_count).generate()
            progress("generating", asset_count, asset_count)
            driver: Any = (await connection.get_raw_connection()).driver_connection
            for stage, table, rows in (
                ("parcels", ParcelRow.__table__, data.parcels),  # type: ignore[attr-defined]
                ("assets", AssetRow.__table__, data.assets),  # type: ignore[attr-defined]
                ("parcel links", AssetParcelRow.__table__, data.links),  # type: ignore[attr-defined]
            ):
                progress(stage, 0, len(rows))
                await _copy(driver, table, rows)
                progress(stage, len(rows), len(rows))
            await audit.record(
                session,
                actor=LOADER_ACTOR,
                action="load_scale_data",
                entity="dataset",
                entity_id=f"scale-{scale:g}",
                changes={"parcels": len(data.parcels), "assets": len(data.assets), "links": len(data.links)},
            )
        async with engine.connect() as connection:
            for name in ("parcels", "assets", "asset_parcels"):
                await connection.execute(text(f"ANALYZE {SCHEMA}.{name}"))
        return SeedResult(
            loaded=True,
            parcels=len(data.parcels),
            assets=len(data.assets),
            links=len(data.links),
            seconds=round(time.perf_counter() - began, 1),
        )
    finally:
        await engine.dispose()


async def _copy(driver: Any, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """COPY of dicts keyed by column name; JSONB values as JSON text."""
    if not rows:
        return
    # Generated columns (the assets' extent) are the database's to fill: COPY refuses them.
    columns = [column.name for column in table.columns if column.computed is None]
    json_columns = {column.name for column in table.columns if isinstance(column.type, JSONB)}
    records = [
        tuple(
            json.dumps(row[name]) if name in json_columns and row.get(name) is not None else row.get(name)
            for name in columns
        )
        for row in rows
    ]
    await driver.copy_records_to_table(table.name, records=records, columns=columns, schema_name=SCHEMA)
