"""The tax profile table: one row per vendor, the TIN encrypted, never stored in clear."""

from __future__ import annotations

import uuid

from sqlalchemy import Column, ForeignKey, String, Text, UniqueConstraint
from sqlmodel import Field

from services.common.db import Tracked
from services.vendors.db import VendorsBase


class TaxProfileRow(VendorsBase, Tracked, table=True):
    """Merging a vendor moves or deletes its profile, so merged vendors hold none: the unique
    fingerprint over all rows is one TIN per live vendor, and the database enforces it under races."""

    __tablename__ = "tax_profiles"
    __table_args__ = (UniqueConstraint("tin_fingerprint"),)

    vendor_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("vendors.vendors.id", ondelete="CASCADE"), primary_key=True)
    )
    tin_type: str = Field(sa_column=Column(String(10), nullable=False))
    # A Fernet token (base64 text): see services/vendors/tax/vault.py.
    tin_ciphertext: str = Field(sa_column=Column(Text, nullable=False))
    tin_last4: str = Field(sa_column=Column(String(4), nullable=False))
    tin_fingerprint: str = Field(sa_column=Column(String(64), nullable=False))


FINGERPRINT_CONSTRAINT = "uq_tax_profiles_tin_fingerprint"
