"""Imports every table module of the service, so that `metadata` is complete (alembic, tests)."""

from services.vendors.bids import models as bid_models
from services.vendors.certifications import models as certification_models
from services.vendors.db import metadata
from services.vendors.duplicates import models as duplicate_models
from services.vendors.registry import models as registry_models
from services.vendors.solicitations import models as solicitation_models
from services.vendors.tax import models as tax_models

__all__ = [
    "bid_models",
    "certification_models",
    "duplicate_models",
    "metadata",
    "registry_models",
    "solicitation_models",
    "tax_models",
]
