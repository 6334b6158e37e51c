"""Imports every table module of the service, so that `metadata` is complete (alembic, tests)."""

from services.assets.db import metadata
from services.assets.leases import models as lease_models
from services.assets.parcels import models as parcel_models
from services.assets.registry import models as registry_models
from services.assets.spaces import models as space_models

__all__ = ["lease_models", "metadata", "parcel_models", "registry_models", "space_models"]
