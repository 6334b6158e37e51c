"""Attempts to give a vendor a TIN that another vendor holds.

The refusal (409 `duplicate-tin`) is needed: a TIN identifies one legal entity. But it also confirms
a guess: with a vendor's last four digits on show, a writer could try TINs until one is refused, and
learn the number, and which vendor holds it. So:

- only a caller who may read TINs (`procurement:tax_reveal`) is told which vendor holds it;
- every refused attempt is an audit event (`tax_profile.duplicate_tin`), committed apart, since the
  request itself rolls back;
- each caller has a budget of refused attempts (`CITYOPS_VENDORS_TIN_DUPLICATE_LIMIT`); once it is
  spent, every tax-profile write of that caller is 429 until the window slides on, so the 429 tells
  nothing either.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.attempts import AttemptLimit
from services.common.auth import Principal
from services.vendors.db import audit
from services.vendors.settings import VendorsSettings
from services.vendors.tax.service import DuplicateTin

REVEAL_SCOPE = "procurement:tax_reveal"


class DuplicateTinAttempts:
    def __init__(self, limit: AttemptLimit) -> None:
        self.limit = limit

    @classmethod
    def from_settings(cls, settings: VendorsSettings) -> DuplicateTinAttempts:
        return cls(
            AttemptLimit(settings.tin_duplicate_limit, what="attempts to set a TIN another vendor holds")
        )

    async def admit(self, actor: Principal) -> None:
        """429 for a caller whose budget of refused attempts is spent."""
        await self.limit.check(actor.sub)

    async def refused(
        self, engine: AsyncEngine, vendor_id: uuid.UUID, actor: Principal, refusal: DuplicateTin
    ) -> DuplicateTin:
        """Counts and audits the attempt; returns the refusal as this caller may hear it."""
        await self.limit.count(actor.sub)
        await audit.record_apart(
            engine,
            actor=actor,
            action="tax_profile.duplicate_tin",
            entity="vendor",
            entity_id=vendor_id,
            changes={"existing_vendor_id": refusal.extra.get("existing_vendor_id")},
            reason="refused: another vendor holds this TIN",
        )
        if actor.has(REVEAL_SCOPE):
            return refusal
        return DuplicateTin(
            "Another vendor already has this TIN. A TIN identifies one legal entity: someone with "
            f"`{REVEAL_SCOPE}` can see which vendor, so that the two can be merged."
        )
