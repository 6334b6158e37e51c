"""`MetricSeries` and the City's periods: bucketing, clipping to a range, labels, the wire form."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.common.clock import fiscal_quarter, fiscal_year
from services.common.series import (
    MetricSeries,
    MetricUnit,
    SeriesPeriod,
    SeriesPoint,
    next_period_start,
    period_label,
    period_start,
    periods,
)


def test_months_are_clipped_to_the_range():
    assert periods(date(2025, 7, 15), date(2025, 10, 3), SeriesPeriod.month) == [
        (date(2025, 7, 15), date(2025, 7, 31), "2025-07"),
        (date(2025, 8, 1), date(2025, 8, 31), "2025-08"),
        (date(2025, 9, 1), date(2025, 9, 30), "2025-09"),
        (date(2025, 10, 1), date(2025, 10, 3), "2025-10"),
    ]


def test_fiscal_quarters_start_in_july():
    assert periods(date(2025, 6, 1), date(2026, 1, 1), SeriesPeriod.quarter) == [
        (date(2025, 6, 1), date(2025, 6, 30), "FY2025-Q4"),
        (date(2025, 7, 1), date(2025, 9, 30), "FY2026-Q1"),
        (date(2025, 10, 1), date(2025, 12, 31), "FY2026-Q2"),
        (date(2026, 1, 1), date(2026, 1, 1), "FY2026-Q3"),
    ]


def test_fiscal_years_run_july_to_june():
    assert periods(date(2024, 5, 1), date(2026, 7, 10), SeriesPeriod.fiscal_year) == [
        (date(2024, 5, 1), date(2024, 6, 30), "FY2024"),
        (date(2024, 7, 1), date(2025, 6, 30), "FY2025"),
        (date(2025, 7, 1), date(2026, 6, 30), "FY2026"),
        (date(2026, 7, 1), date(2026, 7, 10), "FY2027"),
    ]


def test_a_single_day_is_one_point():
    assert periods(date(2026, 2, 28), date(2026, 2, 28), SeriesPeriod.quarter) == [
        (date(2026, 2, 28), date(2026, 2, 28), "FY2026-Q3")
    ]


@pytest.mark.parametrize("period", list(SeriesPeriod))
def test_every_day_of_a_leap_year_falls_in_the_period_the_reference_names(period):
    day = date(2027, 7, 1)
    while day < date(2028, 7, 1):
        start = period_start(day, period)
        end = next_period_start(start, period) - timedelta(days=1)
        assert start <= day <= end
        expected = {
            SeriesPeriod.month: f"{day:%Y-%m}",
            SeriesPeriod.quarter: f"FY{fiscal_year(day)}-Q{fiscal_quarter(day)}",
            SeriesPeriod.fiscal_year: f"FY{fiscal_year(day)}",
        }[period]
        assert period_label(start, period) == expected
        day += timedelta(days=1)


def test_values_are_exact_decimal_strings_and_null_when_nothing_is_measured():
    series = MetricSeries(
        key="certified_share",
        unit=MetricUnit.ratio,
        period=SeriesPeriod.month,
        points=[
            SeriesPoint(period_start=date(2026, 1, 1), period_end=date(2026, 1, 31), label="2026-01", value=Decimal("0.100000")),
            SeriesPoint(period_start=date(2026, 2, 1), period_end=date(2026, 2, 28), label="2026-02", value=None),
        ],
        filters={"from": "2026-01-01", "to": "2026-02-28"},
    )  # fmt: skip
    wire = series.model_dump(mode="json")
    assert [point["value"] for point in wire["points"]] == ["0.100000", None]
    assert wire["unit"] == "ratio" and wire["currency"] is None
    assert MetricSeries.model_validate(wire) == series


def test_the_schema_documents_values_as_strings():
    schema = MetricSeries.model_json_schema()
    value = schema["$defs"]["SeriesPoint"]["properties"]["value"]
    assert {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}.items() <= value["anyOf"][0].items()
    assert set(schema["$defs"]["MetricUnit"]["enum"]) == {"usd", "ratio", "count"}
