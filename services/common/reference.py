"""Reference data every service shares: the City's departments. Its calendar (fiscal years, business
days) is in `services.common.clock`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator

# Department codes of the City of Los Angeles (a representative subset used across services).
DEPARTMENTS: dict[str, str] = {
    "AIR": "Los Angeles World Airports",
    "ATD": "Department of Aging",
    "BCA": "Bureau of Contract Administration",
    "BOE": "Bureau of Engineering",
    "BSS": "Bureau of Street Services",
    "CAO": "City Administrative Officer",
    "CTY": "City Attorney",
    "DOT": "Department of Transportation",
    "DWP": "Department of Water and Power",
    "FIN": "Office of Finance",
    "GSD": "General Services Department",
    "HCI": "Housing Department",
    "ITA": "Information Technology Agency",
    "LAFD": "Fire Department",
    "LAPD": "Police Department",
    "LIB": "Public Library",
    "MYR": "Office of the Mayor",
    "PER": "Personnel Department",
    "POL": "Port of Los Angeles",
    "RAP": "Recreation and Parks",
    "SAN": "LA Sanitation and Environment",
    "ZOO": "Los Angeles Zoo",
}


# The codes as an enumeration, so that clients build a choice from the document, in requests and in
# filters alike. Codes were read case-insensitively and trimmed before they were an enumeration: still so.
DepartmentCode = StrEnum(  # type: ignore[misc]
    "DepartmentCode", [(code, code) for code in sorted(DEPARTMENTS)], module=__name__
)
DepartmentCode.__doc__ = "A City department code, e.g. `GSD` (General Services Department)."


def _department_spelling(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


Department = Annotated[DepartmentCode, BeforeValidator(_department_spelling)]
