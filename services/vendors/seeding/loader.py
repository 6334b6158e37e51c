"""Writes a scaled dataset into an empty registry: one transaction, COPY into every table.

The registry's firms come from the demo generator (every registration through `VendorCreate`, every
certificate through `CertificationCreate`); solicitations and their sequels from `procurement`;
payments from `spend`, streamed in batches. Numbers (vendors, solicitations, contracts) are drawn from
the sequences the API uses, so later registrations continue after them. Nothing is written when the
registry already holds vendors, and a failure leaves nothing behind.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Sequence as SqlSequence
from sqlalchemy import Table, exists, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.common.clock import city_today
from services.common.db import create_engine
from services.vendors.agreements.models import ContractRow, SubcontractRow, contract_number_sequence
from services.vendors.awards.models import AwardRow
from services.vendors.bids.models import BidRow, SealingKeyRow
from services.vendors.bids.sealing import Sealer
from services.vendors.certifications.models import CertificationRow
from services.vendors.db import SCHEMA, audit
from services.vendors.demo import ADVISORY_LOCK, SEED, Generator
from services.vendors.payments.models import PaymentRow
from services.vendors.registry.models import VendorCommodityRow, VendorRow, vendor_number_sequence
from services.vendors.seeding.firms import active_firms
from services.vendors.seeding.plan import ScalePlan, plan_for
from services.vendors.seeding.procurement import ProcurementGenerator
from services.vendors.seeding.spend import PAYMENT_COLUMNS, payment_lines
from services.vendors.settings import VendorsSettings
from services.vendors.solicitations.models import SolicitationRow, solicitation_number_sequence
from services.vendors.tables import metadata

PAYMENT_BATCH = 50_000
LOADER_ACTOR = "scale-seeder"

# (stage, rows written so far in it, rows it will write): called as the load goes.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SeedResult:
    plan: ScalePlan | None
    vendors: int = 0
    active_vendors: int = 0
    certifications: int = 0
    solicitations: int = 0
    bids: int = 0
    contracts: int = 0
    subcontracts: int = 0
    payment_lines: int = 0
    spend: Decimal = Decimal(0)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return (
            self.vendors
            + self.certifications
            + self.solicitations
            + self.bids
            + self.contracts
            + self.payment_lines
        )


def _ignore(stage: str, done: int, total: int) -> None:
    """No progress display."""


async def load_scale_data(
    database_url: str,
    scale: float,
    *,
    progress: Progress = _ignore,
    settings: VendorsSettings | None = None,
    today: date | None = None,
) -> SeedResult:
    """Loads `scale` fiscal years' worth of data into an empty registry (nothing when it holds vendors)."""
    settings = settings or VendorsSettings()
    today = today or city_today()
    plan = plan_for(scale, today)
    began = time.perf_counter()
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with AsyncSession(engine) as session, session.begin():
            connection = await session.connection()
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
            if await connection.scalar(select(exists().select_from(VendorRow))):
                return SeedResult(plan=None)
            # Compiling the load's statements and the rollup triggers' costs more than it saves.
            await connection.execute(text("SET LOCAL jit = off"))
            result = await _load(connection, plan, settings, progress, today)
            await audit.record(
                session,
                actor=LOADER_ACTOR,
                action="load_scale_data",
                entity="dataset",
                entity_id=f"scale-{scale:g}",
                changes={
                    "fiscal_year": plan.fiscal_year,
                    "payment_lines": result.payment_lines,
                    "spend": str(result.spend),
                },
            )
        # Every table, the trigger-kept spend rollups included: a planner that believes them empty
        # sorts hundreds of thousands of rows where it should hash them.
        async with engine.connect() as connection:
            for table in metadata.sorted_tables:
                await connection.execute(text(f"ANALYZE {SCHEMA}.{table.name}"))
        return SeedResult(**{**result.__dict__, "seconds": round(time.perf_counter() - began, 1)})
    finally:
        await engine.dispose()


async def _load(
    connection: AsyncConnection, plan: ScalePlan, settings: VendorsSettings, progress: Progress, today: date
) -> SeedResult:
    """Everything, in the caller's transaction; dates (certificates, contract statuses) are as of `today`."""
    driver: Any = (await connection.get_raw_connection()).driver_connection
    progress("registry", 0, plan.vendors)
    numbers = await _next_values(connection, vendor_number_sequence, plan.vendors)
    registry = Generator(today).generate([f"VND-{number:06d}" for number in numbers])
    for table, rows in (
        (VendorRow.__table__, registry.vendors),  # type: ignore[attr-defined]
        (VendorCommodityRow.__table__, registry.commodity_codes),  # type: ignore[attr-defined]
        (CertificationRow.__table__, registry.certifications),  # type: ignore[attr-defined]
    ):
        await copy_rows(driver, table, rows)
    progress("registry", plan.vendors, plan.vendors)

    rng = random.Random(SEED + 1)
    firms = active_firms(registry, rng)
    progress("solicitations", 0, plan.solicitations)
    generator = ProcurementGenerator(
        plan, firms, rng, Sealer.from_settings(settings), settings.ocid_prefix, today
    )
    solicitation_numbers = await _next_values(connection, solicitation_number_sequence, plan.solicitations)
    contract_numbers = await _next_values(connection, contract_number_sequence, plan.solicitations)
    procurement = generator.generate(solicitation_numbers, contract_numbers)
    for table, rows in (
        (SolicitationRow.__table__, procurement.solicitations),  # type: ignore[attr-defined]
        (SealingKeyRow.__table__, procurement.sealing_keys),  # type: ignore[attr-defined]
        (BidRow.__table__, procurement.bids),  # type: ignore[attr-defined]
        (AwardRow.__table__, procurement.awards),  # type: ignore[attr-defined]
        (ContractRow.__table__, procurement.contracts),  # type: ignore[attr-defined]
        (SubcontractRow.__table__, procurement.subcontracts),  # type: ignore[attr-defined]
    ):
        await copy_rows(driver, table, rows)
    progress("solicitations", plan.solicitations, plan.solicitations)

    written, spend = 0, Decimal(0)
    progress("payments", 0, plan.payment_lines)
    for batch in payment_lines(plan, firms, procurement.agreements, rng, PAYMENT_BATCH):
        await driver.copy_records_to_table(
            PaymentRow.__tablename__, records=batch, columns=PAYMENT_COLUMNS, schema_name=SCHEMA
        )
        written += len(batch)
        spend += sum(row[7] for row in batch)
        progress("payments", written, plan.payment_lines)
    return SeedResult(
        plan=plan,
        vendors=len(registry.vendors),
        active_vendors=len(firms),
        certifications=len(registry.certifications),
        solicitations=len(procurement.solicitations),
        bids=len(procurement.bids),
        contracts=len(procurement.contracts),
        subcontracts=len(procurement.subcontracts),
        payment_lines=written,
        spend=spend,
    )


async def _next_values(connection: AsyncConnection, sequence: SqlSequence, count: int) -> list[int]:
    """`count` numbers of the sequence, in order."""
    statement = select(sequence.next_value()).select_from(func.generate_series(1, count))
    return sorted((await connection.scalars(statement)).all())


async def copy_rows(driver: Any, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """COPY of dicts keyed by column name (others ignored); JSONB values as JSON text."""
    if not rows:
        return
    columns = [column.name for column in table.columns if column.name in rows[0]]
    json_columns = {column.name for column in table.columns if isinstance(column.type, JSONB)}

    def value(row: dict[str, Any], name: str) -> Any:
        cell = row[name]
        if name in json_columns and not isinstance(cell, str):
            return json.dumps(cell)
        return cell

    records = [tuple(value(row, name) for name in columns) for row in rows]
    await driver.copy_records_to_table(table.name, records=records, columns=columns, schema_name=SCHEMA)
