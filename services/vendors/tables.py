"""Imports every table module of the service, so that `metadata` is complete (alembic, tests)."""

from services.vendors.agreements import models as agreement_models
from services.vendors.awards import models as award_models
from services.vendors.bids import models as bid_models
from services.vendors.certifications import models as certification_models
from services.vendors.db import metadata
from services.vendors.duplicates import models as duplicate_models
from services.vendors.evaluation import models as evaluation_models
from services.vendors.imports import models as import_models
from services.vendors.payments import models as payment_models
from services.vendors.registry import models as registry_models
from services.vendors.reports import models as report_models
from services.vendors.solicitations import models as solicitation_models
from services.vendors.tax import models as tax_models

__all__ = [
    "agreement_models",
    "award_models",
    "bid_models",
    "certification_models",
    "duplicate_models",
    "evaluation_models",
    "import_models",
    "metadata",
    "payment_models",
    "registry_models",
    "report_models",
    "solicitation_models",
    "tax_models",
]
