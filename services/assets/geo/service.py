"""The asset registry as OGC API - Features: one collection, `assets`, of GeoJSON features.

What a caller sees follows the public inventory: without `real_estate:read`, sensitive assets do not
exist (never listed, 404 on their own) and features carry the inventory's public fields only; with it,
sensitive assets appear too and each feature says whether it is (`is_sensitive`). An asset without a
point or footprint is no feature: it is in the inventory, but has no place on a map.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.geo import repository
from services.assets.geo.parameters import FeatureQuery
from services.assets.geo.repository import Extents
from services.assets.registry import repository as registry
from services.assets.registry import service as assets
from services.assets.registry.repository import AssetRecord
from services.common.pagination import Pager
from services.common.problems import NotFound

COLLECTION_ID = "assets"
COLLECTION_TITLE = "City of Los Angeles real-estate assets"
COLLECTION_DESCRIPTION = (
    "Land, buildings and structures the City owns, leases or manages: each footprint polygon where the "
    "registry has one, else its point. Without a token, assets marked sensitive are left out."
)
# The wire model's fields that the feature carries elsewhere (its `id` and `geometry`).
_NOT_PROPERTIES = {"id", "location", "footprint"}


@dataclass(frozen=True, slots=True)
class FeaturePage:
    features: list[dict[str, Any]]
    next_page_token: str | None
    number_matched: int


def check_collection(collection_id: str) -> None:
    if collection_id != COLLECTION_ID:
        raise NotFound(f"No collection is called `{collection_id}`; there is `{COLLECTION_ID}`.")


async def features_page(
    session: AsyncSession, query: FeatureQuery, pager: Pager, *, staff: bool
) -> FeaturePage:
    conditions = repository.located(public=not staff) + repository.matching(query.columns)
    if query.bbox is not None:
        conditions.append(repository.within(query.bbox))
    if query.interval is not None:
        conditions += repository.during(query.interval)
    # The token is only good for the query it was issued for, filters and audience alike.
    fingerprint = {**query.columns, "bbox": query.bbox, "datetime": query.interval, "staff": staff}
    statement = registry.select_assets().where(*conditions)
    rows, token = await registry.page(session, statement, pager, fingerprint)
    matched = await repository.count(session, conditions)
    return FeaturePage([feature(row, staff=staff) for row in rows], token, matched)


async def get_feature(session: AsyncSession, feature_id: str, *, staff: bool) -> dict[str, Any]:
    missing = NotFound(f"No feature has id `{feature_id}` in `{COLLECTION_ID}`.")
    try:
        asset_id = uuid.UUID(feature_id)
    except ValueError:
        raise missing from None
    row = await registry.get(session, asset_id)
    if row is None or (row.is_sensitive and not staff) or not _has_place(row):
        raise missing
    return feature(row, staff=staff)


async def extents(session: AsyncSession, *, staff: bool) -> Extents:
    return await repository.extents(session, repository.located(public=not staff))


def feature(row: AssetRecord, *, staff: bool) -> dict[str, Any]:
    """The asset as an RFC 7946 Feature: its footprint when it has one, else its point."""
    public = assets.to_public(row)
    geometry = public.footprint or public.location
    assert geometry is not None, "only located assets are features"
    properties = public.model_dump(mode="json", exclude=_NOT_PROPERTIES)
    if staff:
        properties["is_sensitive"] = row.is_sensitive
    return {
        "type": "Feature",
        "id": str(row.id),
        "geometry": geometry.model_dump(mode="json"),
        "properties": properties,
    }


def _has_place(row: AssetRecord) -> bool:
    return row.footprint is not None or row.longitude is not None
