"""Tables of the vendor registry."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Sequence, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from services.common.db import Tracked, new_id
from services.vendors.db import VendorsBase, metadata

vendor_number_sequence = Sequence("vendor_number_seq", metadata=metadata)


class VendorRow(VendorsBase, Tracked, table=True):
    __tablename__ = "vendors"
    __table_args__ = (
        Index("ix_vendors_search", text("to_tsvector('simple', search_text)"), postgresql_using="gin"),
        Index("ix_vendors_updated_at_id", "updated_at", "id"),
        Index("ix_vendors_status_id", "status", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    vendor_number: str = Field(sa_column=Column(String(20), nullable=False, unique=True))
    status: str = Field(sa_column=Column(String(20), nullable=False))
    legal_name: str = Field(sa_column=Column(String(200), nullable=False))
    normalized_name: str = Field(sa_column=Column(String(200), nullable=False, index=True))
    # Normalised legal and DBA names, the text behind `q` (full-text index above: core PostgreSQL only).
    search_text: str = Field(sa_column=Column(Text, nullable=False))
    dba_names: list[str] = Field(sa_column=Column(JSONB, nullable=False, server_default="[]"))
    entity_type: str = Field(sa_column=Column(String(30), nullable=False))
    identifiers: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False, server_default="[]"))
    addresses: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False, server_default="[]"))
    contacts: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False, server_default="[]"))
    size_class: str | None = Field(default=None, sa_column=Column(String(10), nullable=True))
    merged_into_id: uuid.UUID | None = Field(default=None, foreign_key="vendors.vendors.id", nullable=True)


class VendorCommodityRow(VendorsBase, table=True):
    """One row per (vendor, code): what `commodity=nigp:620-80` seeks by prefix on an index."""

    __tablename__ = "vendor_commodity_codes"
    __table_args__ = (
        Index(
            "ix_vendor_commodity_codes_scheme_code",
            "scheme",
            "code",
            postgresql_ops={"code": "varchar_pattern_ops"},
        ),
    )

    vendor_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vendors.vendors.id", ondelete="CASCADE"), primary_key=True)
    )
    scheme: str = Field(sa_column=Column(String(10), primary_key=True))
    code: str = Field(sa_column=Column(String(20), primary_key=True))
