"""Reference data every service shares: the City's departments and its fiscal calendar."""

from __future__ import annotations

from datetime import date

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

FISCAL_YEAR_END_MONTH = 6  # Los Angeles's fiscal year runs July 1 to June 30.


def fiscal_year(day: date) -> int:
    """The fiscal year a date falls in, named by the calendar year it ends in (FY2026 = Jul 2025–Jun 2026)."""
    return day.year + 1 if day.month > FISCAL_YEAR_END_MONTH else day.year


def fiscal_quarter(day: date) -> int:
    """1 for July–September through 4 for April–June."""
    return ((day.month - FISCAL_YEAR_END_MONTH - 1) % 12) // 3 + 1
