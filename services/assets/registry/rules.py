"""The rules of an asset that span fields, checked on the whole asset as it would be after a write:
sizes by asset type (FRPP: acres for land, square feet for buildings, a unit of measure for structures),
uses by type, years against today, the monument number of a Historic-Cultural Monument.

Every breach is reported at once, each naming its field and its rule (`code`), in one 422.
Warnings are for what is accepted but should be looked at: a point outside the City's extent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.assets.contracts import (
    USES_BY_TYPE,
    AssetType,
    AssetWarning,
    HistoricalStatus,
    PredominantUse,
    in_city_extent,
)
from services.common.problems import FieldError, ValidationFailed

# For each type: the size fields it needs, and those it may not have.
REQUIRED_SIZES: dict[AssetType, tuple[str, ...]] = {
    AssetType.land: ("land_area_acres",),
    AssetType.building: ("gross_sqft",),
    AssetType.structure: ("structure_quantity", "structure_unit"),
}
FORBIDDEN_SIZES: dict[AssetType, tuple[str, ...]] = {
    AssetType.land: (
        "gross_sqft",
        "rentable_sqft",
        "floors",
        "structure_quantity",
        "structure_unit",
        "year_built",
    ),
    AssetType.building: ("land_area_acres", "structure_quantity", "structure_unit"),
    AssetType.structure: ("land_area_acres", "gross_sqft", "rentable_sqft", "floors"),
}


def _error(field: str, code: str, message: str) -> FieldError:
    return FieldError(location=["body", field], message=message, code=code)


def breaches(asset: Mapping[str, Any], this_year: int) -> list[FieldError]:
    """What is wrong with `asset` (its fields as the wire models name them), or nothing."""
    kind = AssetType(asset["asset_type"])
    found = [
        _error(field, "required_for_asset_type", f"a {kind.value} asset needs `{field}`")
        for field in REQUIRED_SIZES[kind]
        if asset.get(field) is None
    ]
    found += [
        _error(field, "not_allowed_for_asset_type", f"a {kind.value} asset has no `{field}`")
        for field in FORBIDDEN_SIZES[kind]
        if asset.get(field) is not None
    ]
    if kind is AssetType.building and asset.get("gross_sqft") == 0:
        found.append(
            _error("gross_sqft", "must_be_positive", "a building's gross square feet must be above 0")
        )
    gross, rentable = asset.get("gross_sqft"), asset.get("rentable_sqft")
    if gross is not None and rentable is not None and rentable > gross:
        found.append(
            _error(
                "rentable_sqft",
                "rentable_exceeds_gross",
                f"rentable square feet ({rentable}) cannot exceed gross square feet ({gross})",
            )
        )
    use = PredominantUse(asset["predominant_use"])
    if use not in USES_BY_TYPE[kind]:
        allowed = ", ".join(sorted(u.value for u in USES_BY_TYPE[kind]))
        found.append(
            _error(
                "predominant_use",
                "use_not_for_asset_type",
                f"`{use.value}` is not a use of {kind.value} assets: {allowed}",
            )
        )
    for field in ("year_built", "year_acquired"):
        year = asset.get(field)
        if year is not None and year > this_year:
            found.append(_error(field, "year_in_future", f"`{field}` {year} is after this year, {this_year}"))
    if (
        HistoricalStatus(asset["historical_status"]) is HistoricalStatus.local_hcm
        and asset.get("hcm_number") is None
    ):
        found.append(
            _error(
                "hcm_number",
                "required_for_historical_status",
                "a Historic-Cultural Monument (`local_hcm`) needs its `hcm_number`",
            )
        )
    return found


def check(asset: Mapping[str, Any], this_year: int) -> None:
    found = breaches(asset, this_year)
    if found:
        fields = ", ".join(f"`{error.location[-1]}` ({error.code})" for error in found)
        raise ValidationFailed(
            f"The asset breaks the registry's rules: {fields}; see `errors`.", errors=found
        )


def warnings(asset: Mapping[str, Any]) -> list[AssetWarning]:
    """Accepted, but flagged: the City owns land outside its limits (Palmdale), and typos put points there."""
    found = []
    location = asset.get("location")
    if location is not None and not in_city_extent(*location["coordinates"]):
        found.append(
            AssetWarning(
                code="location_outside_city",
                field="location",
                message="The point lies outside the City of Los Angeles; kept as given.",
            )
        )
    footprint = asset.get("footprint")
    if footprint is not None and not all(in_city_extent(*p) for p in footprint["coordinates"][0]):
        found.append(
            AssetWarning(
                code="footprint_outside_city",
                field="footprint",
                message="Part of the footprint lies outside the City of Los Angeles; kept as given.",
            )
        )
    return found
