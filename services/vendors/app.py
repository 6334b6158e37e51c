"""The vendors service: the City's vendor registry and, on top of it, procurement."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.audit import audit_router
from services.vendors.agreements.router import router as agreements_router
from services.vendors.awards.router import router as awards_router
from services.vendors.bids.router import router as bids_router
from services.vendors.bids.sealing import Sealer
from services.vendors.certifications.router import agencies_router as certifying_agencies_router
from services.vendors.certifications.router import router as certifications_router
from services.vendors.db import audit, idempotency_keys, sandbox_clock
from services.vendors.directory.router import router as directory_router
from services.vendors.duplicates.router import router as duplicates_router
from services.vendors.evaluation.router import router as evaluation_router
from services.vendors.imports.keyed import KeyedImportLimit
from services.vendors.imports.router import router as imports_router
from services.vendors.metrics.router import router as metrics_router
from services.vendors.ocds.router import router as ocds_router
from services.vendors.payments.router import router as payments_router
from services.vendors.registry.router import router as registry_router
from services.vendors.reports.router import router as reports_router
from services.vendors.settings import VendorsSettings
from services.vendors.solicitations.router import departments_router
from services.vendors.solicitations.router import router as solicitations_router
from services.vendors.tax.duplicate_attempts import DuplicateTinAttempts
from services.vendors.tax.router import document_tax_profile_put
from services.vendors.tax.router import router as tax_router
from services.vendors.tax.vault import TinVault

PREFIX = "/v1/procurement"


def create_app(settings: VendorsSettings | None = None) -> FastAPI:
    settings = settings or VendorsSettings()
    app = create_service_app(
        settings,
        title="CityOps Procurement",
        description="The vendor registry: vendors, tax profiles, certifications, duplicates, the public "
        "directory of certified firms.",
        version="1.0.0",
        prefix=PREFIX,
        routers=[
            registry_router,
            certifications_router,
            certifying_agencies_router,
            directory_router,
            tax_router,
            duplicates_router,
            solicitations_router,
            departments_router,
            bids_router,
            evaluation_router,
            awards_router,
            agreements_router,
            ocds_router,
            payments_router,
            imports_router,
            reports_router,
            metrics_router,
            audit_router(audit, area="procurement"),
        ],
        idempotency_keys=idempotency_keys,
        sandbox_clock=sandbox_clock,
        openapi_tags=[
            {"name": "vendors", "description": "Firms registered to do business with the City."},
            {
                "name": "certifications",
                "description": "Vendors' certifications (MBE, WBE, DBE, SBE, LBE, DVBE…), time-versioned: "
                "verified ones count from their effective date to their expiration date.",
            },
            {"name": "certifying-agencies", "description": "Agencies whose certificates the City records."},
            {
                "name": "directory",
                "description": "The public directory of certified vendors: open data, no token needed.",
            },
            {
                "name": "tax",
                "description": "Vendors' tax profiles: the TIN encrypted, shown masked, revealed only with "
                "`procurement:tax_reveal` and a reason, every reveal audited.",
            },
            {
                "name": "departments",
                "description": "The City's departments: the codes procurement records and filters take.",
            },
            {"name": "duplicates", "description": "Vendors registered twice: candidates, and merging them."},
            {
                "name": "solicitations",
                "description": "What the City buys and when it takes bids: drafted, published, then open "
                "and closed by the server clock over the tender period, opened in public. Published "
                "solicitations are open data.",
            },
            {
                "name": "addenda",
                "description": "Changes to published solicitations that bids must acknowledge.",
            },
            {
                "name": "questions",
                "description": "Bidders' questions and the buyer's answers; askers stay anonymous.",
            },
            {
                "name": "bids",
                "description": "Sealed bids: encrypted on arrival, readable only by their vendor until the "
                "public opening, which releases the key and publishes the tabulation.",
            },
            {
                "name": "evaluation",
                "description": "Evaluators' responsiveness and responsibility determinations and best-value "
                "scores, and the ranking the server computes: evaluated price after local and "
                "small-business preferences; race- and sex-conscious certifications never count "
                "(Proposition 209), except DBE credit on federally funded solicitations with a DBE goal.",
            },
            {
                "name": "awards",
                "description": "Notices of intent to award, protest windows of business days, and awards "
                "in force. Public procurement information.",
            },
            {
                "name": "protests",
                "description": "Bidders' protests of awards: timely ones stay the award until decided.",
            },
            {
                "name": "contracts",
                "description": "Contracts made from awards in force. Public procurement information.",
            },
            {"name": "amendments", "description": "Changes of a contract's value or end date."},
            {
                "name": "subcontracts",
                "description": "Primes' commitments to subcontractors, with the certification each counts under.",
            },
            {
                "name": "ocds",
                "description": "The Open Contracting Data Standard (OCDS 1.1) publication of the City's "
                "contracting processes: release packages and record packages, open data, no token needed.",
            },
            {
                "name": "payments",
                "description": "The City's payments to vendors, prime and sub tier: the spend facts. Written "
                "once, never changed; a correction is a negative line.",
            },
            {
                "name": "imports",
                "description": "Bulk loading of payments and vendors from CSV files, with a per-row report.",
            },
            {
                "name": "reports",
                "description": "Spend cube, diversity utilisation, competition and the vendor pool: "
                "computed at request time from the payments, awards and registry, as JSON pages or CSV.",
            },
            {
                "name": "metrics",
                "description": "Procurement metrics as typed time series (`MetricSeries`) for other services: "
                "spend, certified and on-contract shares, bidders.",
            },
            {"name": "audit", "description": "Who changed what, when and why."},
        ],
    )
    app.add_middleware(KeyedImportLimit, path=f"{PREFIX}/imports", max_bytes=settings.import_keyed_max_bytes)
    # Built at start-up so that a malformed key stops the process instead of failing a request.
    app.state.tin_vault = TinVault.from_settings(settings)
    app.state.tin_duplicate_attempts = DuplicateTinAttempts.from_settings(settings)
    app.state.bid_sealer = Sealer.from_settings(settings)
    _document_service_rules(app)
    return app


def _document_service_rules(app: FastAPI) -> None:
    """What this service's document says beyond the kernel's rules: the tax profile's PUT (its optional
    preconditions, its body as one variant per TIN type)."""
    kernel_document = app.openapi

    def openapi() -> dict[str, Any]:
        document = kernel_document()
        document_tax_profile_put(document, PREFIX)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
