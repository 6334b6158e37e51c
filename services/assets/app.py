"""The assets service: the City's real-estate asset registry (land, buildings, structures, parcels)."""

from __future__ import annotations

from fastapi import FastAPI

from services.assets.db import audit, idempotency_keys, sandbox_clock
from services.assets.geo.router import router as geo_router
from services.assets.inventory.router import router as inventory_router
from services.assets.leases.router import cpi_router
from services.assets.leases.router import router as leases_router
from services.assets.parcels.router import links_router as asset_parcels_router
from services.assets.parcels.router import router as parcels_router
from services.assets.registry.router import router as registry_router
from services.assets.settings import AssetsSettings
from services.assets.spaces.router import asset_occupancy_router, occupancies_router
from services.assets.spaces.router import router as spaces_router
from services.common.app import create_service_app
from services.common.audit import audit_router

PREFIX = "/v1/real-estate"


def create_app(settings: AssetsSettings | None = None) -> FastAPI:
    settings = settings or AssetsSettings()
    return create_service_app(
        settings,
        title="CityOps Real Estate",
        description="The City's real-estate asset registry: land, buildings and structures with FRPP-grade "
        "fields, their status through disposal, and the Assessor's parcels they stand on; spaces and their "
        "occupancy; leases and their rent; the public inventory of non-sensitive assets, and its GeoJSON as "
        "OGC API - Features.",
        version="1.0.0",
        prefix=PREFIX,
        routers=[
            registry_router,
            asset_parcels_router,
            parcels_router,
            spaces_router,
            occupancies_router,
            asset_occupancy_router,
            leases_router,
            cpi_router,
            inventory_router,
            geo_router,
            audit_router(audit, area="real_estate"),
        ],
        idempotency_keys=idempotency_keys,
        sandbox_clock=sandbox_clock,
        openapi_tags=[
            {
                "name": "assets",
                "description": "Land, buildings and structures the City owns, leases or manages, with an "
                "immutable `asset_number`, sizes by type, a WGS84 location, an optional footprint, and a "
                "status moved through transitions (excess, surplus, disposal…).",
            },
            {
                "name": "parcels",
                "description": "Los Angeles County Assessor's parcels by APN (`####-###-###`), linked to "
                "assets many to many.",
            },
            {
                "name": "spaces",
                "description": "Floors, rooms and suites of a building, lots of a land asset: each with a "
                "code unique in its asset, a use and rentable square feet, which add up to at most the "
                "asset's.",
            },
            {
                "name": "occupancies",
                "description": "Who occupied which space, from when to when: records never changed, an "
                "end or a correction being a new record that supersedes the old; no overlap in a space.",
            },
            {
                "name": "leases",
                "description": "Leases of the City's assets, the City as landlord or as tenant: term, rent "
                "in USD with fixed and CPI escalations, options with notice deadlines, the rent schedule "
                "month by month (JSON and CSV), and the critical dates coming up.",
            },
            {
                "name": "cpi",
                "description": "Consumer Price Index values by BLS series and month: the data CPI rent "
                "escalations read.",
            },
            {
                "name": "inventory",
                "description": "The public property inventory: non-sensitive assets, public fields only, "
                "open data, no token needed.",
            },
            {
                "name": "geo",
                "description": "The assets as GeoJSON features, by OGC API - Features (Part 1: Core): "
                "bounding box, time and property filters, `next` links. Public like the inventory; with "
                "`real_estate:read`, sensitive assets too. A bad parameter is a 400, as the standard says.",
            },
            {"name": "audit", "description": "Who changed what, when and why."},
        ],
    )
