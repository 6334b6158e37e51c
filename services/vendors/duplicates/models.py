"""Indexes that let duplicate detection narrow candidates in SQL on core PostgreSQL (no pg_trgm).

Names are narrowed on the registry's full-text index over `search_text`; addresses and contacts by JSON
containment (`addresses @> '[{"postal_code": "90012"}]'`), which these GIN `jsonb_path_ops` indexes serve.
"""

from __future__ import annotations

from sqlalchemy import Index, Table

from services.vendors.registry.models import VendorRow

_vendors: Table = VendorRow.__table__  # type: ignore[attr-defined]

addresses_index = Index(
    "ix_vendors_addresses",
    _vendors.c.addresses,
    postgresql_using="gin",
    postgresql_ops={"addresses": "jsonb_path_ops"},
)
contacts_index = Index(
    "ix_vendors_contacts",
    _vendors.c.contacts,
    postgresql_using="gin",
    postgresql_ops={"contacts": "jsonb_path_ops"},
)
