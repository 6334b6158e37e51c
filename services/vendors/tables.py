"""Imports every table module of the service, so that `metadata` is complete (alembic, tests)."""

from services.vendors.db import metadata
from services.vendors.registry import models as registry_models

__all__ = ["metadata", "registry_models"]
