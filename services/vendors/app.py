"""The vendors service: the City's vendor registry and, on top of it, procurement."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.audit import audit_router
from services.vendors.db import audit, idempotency_keys
from services.vendors.registry.router import router as registry_router
from services.vendors.settings import VendorsSettings

PREFIX = "/v1/procurement"


def create_app(settings: VendorsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or VendorsSettings(),
        title="CityOps Procurement",
        description="The vendor registry: vendors, tax profiles, certifications, duplicates, the public "
        "directory of certified firms.",
        version="1.0.0",
        prefix=PREFIX,
        routers=[registry_router, audit_router(audit, area="procurement")],
        idempotency_keys=idempotency_keys,
        openapi_tags=[
            {"name": "vendors", "description": "Firms registered to do business with the City."},
            {"name": "audit", "description": "Who changed what, when and why."},
        ],
    )
