"""Tables of imports and of the rows they could not load.

An import's counts are written when it completes, in the transaction that loads its rows, so a
`completed` import and its rows appear together. `processing` is stored only for asynchronous imports,
whose worker holds an advisory lock for as long as it runs (see repository.WORKER_LOCK).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, ForeignKey, SmallInteger, String, Text
from sqlmodel import Field

from services.common.db import new_id
from services.vendors.db import VendorsBase

IMPORT_KINDS = ("payments", "vendors")
IMPORT_STATUSES = ("processing", "completed", "failed")


def _count() -> int:
    return Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


class ImportRow(VendorsBase, table=True):
    __tablename__ = "imports"
    __table_args__ = (
        CheckConstraint(f"kind IN {IMPORT_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {IMPORT_STATUSES!r}", name="status"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    file_name: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    file_bytes: int = Field(sa_column=Column(BigInteger, nullable=False))
    file_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    rows_total: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    rows_loaded: int = _count()
    rows_already_present: int = _count()
    rows_failed: int = _count()
    error_count: int = _count()
    # Payments only: how the valid rows' vendors were found.
    matched_by_identifier: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    matched_by_name: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    failure: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    submitted_by: str = Field(sa_column=Column(String(200), nullable=False))
    submitted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    completed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class ImportErrorRow(VendorsBase, table=True):
    """One reason one row was not loaded; `position` orders a row's reasons (the order of the checks)."""

    __tablename__ = "import_errors"

    import_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vendors.imports.id", ondelete="CASCADE"), primary_key=True)
    )
    line: int = Field(sa_column=Column(BigInteger, primary_key=True))
    position: int = Field(sa_column=Column(SmallInteger, primary_key=True))
    column_name: str | None = Field(default=None, sa_column=Column(String(60), nullable=True))
    code: str = Field(sa_column=Column(String(40), nullable=False))
    message: str = Field(sa_column=Column(Text, nullable=False))
