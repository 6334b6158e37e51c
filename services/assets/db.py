"""The assets service's tables live in schema `assets`, under this base's own metadata."""

from sqlmodel import SQLModel

from services.common.audit import AuditLog, audit_table
from services.common.db import schema_registry
from services.common.idempotency import idempotency_table
from services.common.sandbox import sandbox_clock_table

SCHEMA = "assets"


class AssetsBase(SQLModel, registry=schema_registry(SCHEMA)):
    pass


metadata = AssetsBase.metadata

audit = AuditLog(audit_table(metadata))
idempotency_keys = idempotency_table(metadata)
sandbox_clock = sandbox_clock_table(metadata)
