"""The vendor a supplier's token acts for, and whether it may take part in a solicitation."""

from __future__ import annotations

import uuid
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.problems import Conflict, Forbidden
from services.vendors.registry import repository as registry


class VendorNotEligible(Conflict):
    """A vendor not `active` in the registry where the server requires it: determined responsible at the
    evaluation, or holding an award on the day it takes effect."""

    slug: ClassVar[str] = "vendor-not-eligible"
    title: ClassVar[str] = "The vendor is not active in the registry"


def claimed_vendor(principal: Principal) -> uuid.UUID:
    """The token's `vendor` claim as an id; a supplier's token must carry one."""
    if not principal.vendor:
        raise Forbidden("This operation is for suppliers: the token must carry a `vendor` claim.")
    try:
        return uuid.UUID(principal.vendor)
    except ValueError:
        raise Forbidden("The token's `vendor` claim is not a vendor id.") from None


async def active_vendor(session: AsyncSession, principal: Principal) -> uuid.UUID:
    """The acting vendor, which must be registered and `active` in the registry."""
    vendor_id = claimed_vendor(principal)
    status = await registry.vendor_status(session, vendor_id, share_lock=True)
    if status is None:
        raise Forbidden(f"The token's vendor {vendor_id} is not registered with the City.")
    if status != "active":
        raise Conflict(
            f"Vendor {vendor_id} is `{status}` in the registry; only `active` vendors take part in "
            "solicitations.",
            vendor_id=str(vendor_id),
            vendor_status=status,
        )
    return vendor_id
