"""Small kernel rules: state machines, the City's fiscal calendar, ids, database URLs, operationIds."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from fastapi import APIRouter

from services.common.clock import fiscal_quarter, fiscal_year
from services.common.db import async_url, new_id
from services.common.openapi import duplicate_operation_ids
from services.common.problems import InvalidTransition
from services.common.reference import DEPARTMENTS
from services.common.transitions import StateMachine

from .kernel_app import create_kernel_app, kernel_settings

PERMIT = StateMachine(
    "permit", {"draft": {"submitted"}, "submitted": {"approved", "draft"}, "approved": set()}
)


def test_allowed_transition_passes():
    PERMIT.check("draft", "submitted")


def test_illegal_transition_is_409_listing_the_allowed_moves():
    with pytest.raises(InvalidTransition) as raised:
        PERMIT.check("submitted", "closed")
    problem = raised.value.to_problem().model_dump(mode="json", exclude_none=True)
    assert problem["status"] == 409
    assert problem["type"] == "urn:cityops:problem:invalid-transition"
    assert problem["current_status"] == "submitted"
    assert problem["allowed_transitions"] == ["approved", "draft"]
    assert "`submitted` to `closed`" in problem["detail"]


def test_final_and_unknown_states_allow_nothing():
    for current in ("approved", "no-such-state"):
        with pytest.raises(InvalidTransition) as raised:
            PERMIT.check(current, "draft")
        assert raised.value.extra["allowed_transitions"] == []


@pytest.mark.parametrize(
    ("day", "year", "quarter"),
    [
        (date(2025, 7, 1), 2026, 1),
        (date(2025, 9, 30), 2026, 1),
        (date(2025, 10, 1), 2026, 2),
        (date(2026, 1, 15), 2026, 3),
        (date(2026, 4, 1), 2026, 4),
        (date(2026, 6, 30), 2026, 4),
    ],
)
def test_los_angeles_fiscal_year_ends_june_30(day, year, quarter):
    assert (fiscal_year(day), fiscal_quarter(day)) == (year, quarter)


def test_department_codes_are_short_upper_case_keys():
    assert DEPARTMENTS["GSD"] == "General Services Department"
    assert all(code.isupper() and 2 <= len(code) <= 4 for code in DEPARTMENTS)


def test_new_ids_are_time_ordered_uuid7():
    ids = [new_id() for _ in range(200)]
    assert all(uuid.UUID(str(value)).version == 7 for value in ids)
    assert [str(value) for value in ids] == sorted(str(value) for value in ids)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@h:5432/d", "postgresql+asyncpg://u:p@h:5432/d"),
        ("postgres://u@h/d?host=/tmp", "postgresql+asyncpg://u@h/d?host=/tmp"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
        # libpq's sslmode, as managed databases write it, is asyncpg's ssl.
        (
            "postgresql://u:p@db.example:5432/d?sslmode=require&application_name=vendors",
            "postgresql+asyncpg://u:p@db.example:5432/d?ssl=require&application_name=vendors",
        ),
        (
            "postgresql://u@h/d?options=-c%20search_path%3Dx",
            "postgresql+asyncpg://u@h/d?options=-c%20search_path%3Dx",
        ),
    ],
)
def test_database_urls_are_given_the_async_driver(given, expected):
    assert async_url(given) == expected


def test_duplicate_operation_ids_across_documents_are_found():
    first = {"paths": {"/a": {"get": {"operationId": "vendors_list"}, "parameters": []}}}
    second = {"paths": {"/b": {"get": {"operationId": "vendors_list"}, "post": {"operationId": "b_create"}}}}
    assert duplicate_operation_ids(first, second) == ["vendors_list"]
    assert duplicate_operation_ids(first) == []


@pytest.mark.filterwarnings("ignore:Duplicate Operation ID")
def test_a_service_with_a_duplicate_operation_id_refuses_to_start():
    clash = APIRouter()

    @clash.get("/other-items")
    async def items_list() -> dict[str, str]:
        return {}

    settings = kernel_settings("postgresql://unused@127.0.0.1:9/unused", "secret")
    with pytest.raises(RuntimeError, match="items_list"):
        create_kernel_app(settings, clash)
