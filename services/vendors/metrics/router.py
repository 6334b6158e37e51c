"""`GET /metrics` and `GET /metrics/{key}`: the catalogue and one metric's series."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from services.common.db import Session
from services.common.problems import (
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from services.common.series import MetricSeries, SeriesPeriod
from services.common.unit_of_work import service_router
from services.vendors.access import Reader
from services.vendors.contracts import Department, MetricCatalogue, ReportDay
from services.vendors.metrics import service
from services.vendors.metrics.catalogue import METRICS

router = service_router(tags=["metrics"])


@router.get(
    "/metrics",
    response_model=MetricCatalogue,
    summary="List the metrics",
    description="Every metric this service publishes as a series: its key, unit and meaning. The "
    "catalogue fits on one page.",
    responses=problem_responses(Unauthorized, Forbidden),
)
async def procurement_metrics_list(_: Reader) -> MetricCatalogue:
    return MetricCatalogue(items=list(METRICS.values()), next_page_token=None)


@router.get(
    "/metrics/{key}",
    response_model=MetricSeries,
    summary="Get a metric's series",
    description="One point per `period` (calendar month, fiscal quarter, fiscal year) from `from` to `to`, "
    "both inclusive; the first and last points cover only the days inside the range, as their "
    "`period_start` and `period_end` say. Defaults: `to` is today (Los Angeles), `from` the first day of "
    "its fiscal year. `department` narrows to one department. A point with nothing to measure (a share "
    "of no spend) has a null value; spend with no payments is `0.00`.",
    responses=problem_responses(Unauthorized, Forbidden, NotFound, ValidationFailed, ServiceUnavailable),
)
async def procurement_metrics_get(
    session: Session,
    _: Reader,
    key: Annotated[str, Path(max_length=60, description="A key from `GET /metrics`, e.g. `total_spend`.")],
    from_: Annotated[
        ReportDay | None, Query(alias="from", description="First day, inclusive (1900–2199).")
    ] = None,
    to: Annotated[ReportDay | None, Query(description="Last day, inclusive (1900–2199).")] = None,
    period: SeriesPeriod = SeriesPeriod.month,
    department: Annotated[Department | None, Query(description="A City department code.")] = None,
) -> MetricSeries:
    service.definition(key)
    first, last = service.date_range(from_, to)
    return await service.series(session, key, first, last, period, department)
