"""Demo data: the programme's sites (`seeding.sites`) in the registry, as the City's staff would enter
them through the API: each asset created, moved through its status history, and linked to its parcels,
every step through the registry's own services, so the data obeys the rules the API enforces and each
step is in the audit trail.

It is a loader: it writes in one transaction of its own, and does nothing (returning 0) when the
registry already holds assets.
"""

from __future__ import annotations

from sqlalchemy import exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.contracts import AssetCreate, AssetTransition, ParcelCreate, canonical_apn
from services.assets.parcels import service as parcels
from services.assets.registry import service as registry
from services.assets.registry.models import AssetRow
from services.assets.seeding.sites import SITES
from services.common.db import create_engine

ACTOR = "demo-loader"
# Serialises concurrent loaders (two processes starting at once) on the empty-registry check.
ADVISORY_LOCK = 7_302_017_302  # shared with seeding.loader: one loader fills a registry


async def load_demo_data(database_url: str) -> int:
    """Loads the sites into an empty registry; returns how many assets it wrote (0 if any existed)."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
            if await session.scalar(select(exists().select_from(AssetRow))):
                return 0
            return await write_sites(session)
    finally:
        await engine.dispose()


async def write_sites(session: AsyncSession) -> int:
    """Writes every site in the caller's transaction; returns how many assets."""
    registered: set[str] = set()
    for site in SITES:
        asset = await registry.create(session, AssetCreate.model_validate(site.asset), ACTOR)
        for apn in site.apns:  # before the moves: a demolished asset takes no new link
            digits = canonical_apn(apn)
            if digits not in registered:
                body = ParcelCreate.model_validate({"apn": apn, **site.parcel_fields.get(apn, {})})
                await parcels.create(session, body, ACTOR)
                registered.add(digits)
            await parcels.link(session, asset.id, digits, None, ACTOR)
        for move in site.moves:
            await registry.transition(session, asset.id, AssetTransition.model_validate(move), ACTOR)
    return len(SITES)
