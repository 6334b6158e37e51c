"""When a certification counts: the derived `expired` status, and the SQL test "valid on a date" (a day
in Los Angeles, `services.common.clock.city_today`) shared by the certification list, the vendor list
filter and the public directory."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Table, and_, exists, or_
from sqlalchemy.sql.elements import ColumnElement

from services.vendors.certifications.models import CertificationRow
from services.vendors.contracts import CertificationStatus, CertificationType

certifications: Table = CertificationRow.__table__  # type: ignore[attr-defined]

# Stored statuses of certifications that were verified at some point; revoked and superseded ones still
# count for the days before they ended (`ended_on`), which as-of reports rely on.
ONCE_VERIFIED = (
    CertificationStatus.verified.value,
    CertificationStatus.revoked.value,
    CertificationStatus.superseded.value,
)


def displayed_status(stored: str, expiration_date: date, today: date) -> CertificationStatus:
    """A verified certification past its last valid day reads as expired."""
    if stored == CertificationStatus.verified and expiration_date < today:
        return CertificationStatus.expired
    return CertificationStatus(stored)


def status_condition(status: CertificationStatus, today: date) -> ColumnElement[bool]:
    """The SQL for a displayed status, `expired` and `verified` included."""
    c = certifications.c
    if status is CertificationStatus.expired:
        return and_(c.status == CertificationStatus.verified.value, c.expiration_date < today)
    if status is CertificationStatus.verified:
        return and_(c.status == CertificationStatus.verified.value, c.expiration_date >= today)
    return c.status == status.value


def valid_on(day: date) -> ColumnElement[bool]:
    """Verified, within its dates on `day`, and not revoked or superseded by then."""
    c = certifications.c
    return and_(
        c.status.in_(ONCE_VERIFIED),
        c.effective_date <= day,
        c.expiration_date >= day,
        or_(c.ended_on.is_(None), c.ended_on > day),
    )


def holds_valid_certification(
    vendor_id: ColumnElement[uuid.UUID], day: date, certification_type: CertificationType | None = None
) -> ColumnElement[bool]:
    """EXISTS a certification of the vendor (of `certification_type`, if given) valid on `day`."""
    conditions = [certifications.c.vendor_id == vendor_id, valid_on(day)]
    if certification_type is not None:
        conditions.append(certifications.c.type == certification_type.value)
    return exists().where(*conditions)
