"""Validating rows read back from the service's own database into its wire contracts.

Those rows passed the contract's checks on the way in. Validators that canonicalise or re-check input
(a code's format, an identifier's check pattern) may skip that work for them, which is most of a
page's validation cost: `Vendor.model_validate(row, context=FROM_DATABASE)`, and in the validator
`if not from_database(info): ...`. Types and shapes are still validated.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationInfo

FROM_DATABASE: dict[str, Any] = {"from_database": True}


def from_database(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("from_database"))
