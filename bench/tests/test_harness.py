"""The harness around the measurements: real servers, real wrk runs, and the arithmetic of the report.
No timing is asserted here; only that the numbers are gathered and judged as the report says."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench import profiling
from bench.loadgen import Load, Measurement, run_wrk
from bench.processes import Server, ServerFailed
from bench.run import Result, Scenario, deep_page_token, judge, ratios
from bench.tests.conftest import JWT_SECRET, SIGNING_KEY
from bench.tests.helpers import VENDORS


@pytest.fixture(scope="module")
def raw_server(database_url: str, loaded_ids: list[uuid.UUID], tmp_path_factory) -> Iterator[Server]:
    env = {
        "CITYOPS_VENDORS_DATABASE_URL": database_url,
        "CITYOPS_JWT_SECRET": JWT_SECRET,
        "CITYOPS_SECRET_KEY": SIGNING_KEY,
    }
    server = Server("raw", "bench.raw_app:create_app", env, tmp_path_factory.mktemp("logs"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def wrk() -> None:
    """The load generator the bench drives; its absence is a failure to fix, not a test to skip."""
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: `apt-get install -y wrk` (.ci/run installs it).")


@pytest.mark.usefixtures("wrk")
def test_wrk_counts_requests_and_latency_of_a_real_server(raw_server, loaded_ids, auth):
    url = f"{raw_server.url}{VENDORS}/{loaded_ids[0]}"

    cpu_before = raw_server.cpu_seconds()
    measured = run_wrk(url, Load(connections=2, threads=1, seconds=1), auth())
    cpu_after = raw_server.cpu_seconds()

    assert measured.requests > 0 and measured.failures == 0
    assert cpu_before is not None and cpu_after is not None and cpu_after > cpu_before
    assert 0 < measured.p50_ms <= measured.p99_ms <= measured.max_ms
    assert measured.requests_per_second > 0


@pytest.mark.usefixtures("wrk")
def test_refused_requests_count_as_failures_so_the_run_is_discarded(raw_server, loaded_ids):
    url = f"{raw_server.url}{VENDORS}/{loaded_ids[0]}"

    measured = run_wrk(url, Load(connections=1, threads=1, seconds=1), {"Authorization": "Bearer nope"})

    assert measured.requests > 0
    assert measured.failures == measured.requests


def test_the_deep_page_token_opens_the_requested_page(raw_server, loaded_ids, auth):
    with httpx.Client(headers=auth()) as client:
        token = deep_page_token(client, raw_server.url, page=3)
        page = client.get(f"{raw_server.url}{VENDORS}", params={"page_token": token}).json()

    assert page["items"][0]["id"] == str(sorted(loaded_ids)[100])


def test_a_server_that_cannot_start_says_why(tmp_path: Path):
    server = Server("broken", "bench.no_such_module:create_app", {}, tmp_path)

    with pytest.raises(ServerFailed, match="no_such_module"):
        server.start()


def _measured(rps: float, p50: float, unloaded_p50: float | None = None) -> tuple[Measurement, Measurement]:
    def one(requests_per_second: float, p50_ms: float) -> Measurement:
        return Measurement(
            int(requests_per_second * 10), 10.0, p50_ms, p50_ms, p50_ms * 2, p50_ms, p50_ms * 3, 0
        )

    return one(rps, p50), one(rps / 10, unloaded_p50 if unloaded_p50 is not None else p50 / 10)


def _result(leg: str, operation: str, rps: float, p50: float, unloaded_p50: float | None = None) -> Result:
    loaded, unloaded = _measured(rps, p50, unloaded_p50)
    return Result(
        Scenario(operation, leg, "http://127.0.0.1/"), loaded, unloaded, cpu_us_per_request=1e6 / rps
    )


def test_ratios_compare_service_to_raw_gateway_to_service_and_deep_to_first():
    results = [
        _result("raw", "one", 2000, 10),
        _result("service", "one", 800, 40, unloaded_p50=2.0),
        _result("gateway", "one", 500, 60, unloaded_p50=3.5),
        _result("raw", "page", 400, 80),
        _result("service", "page", 240, 130, unloaded_p50=5.0),
        _result("gateway", "page", 200, 150, unloaded_p50=6.0),
        _result("service", "deep", 200, 156, unloaded_p50=5.5),
    ]

    values = ratios(results)

    assert values["service_vs_raw_rps_one"] == pytest.approx(0.4)
    assert values["service_vs_raw_rps_page"] == pytest.approx(0.6)
    assert values["service_vs_raw_cpu_one"] == pytest.approx(2.5)
    assert values["gateway_added_p50_ms_one"] == pytest.approx(1.5)
    assert values["gateway_vs_service_rps_one"] == pytest.approx(0.625)
    assert values["deep_vs_first_p50_loaded"] == pytest.approx(1.2)
    assert values["deep_vs_first_p50"] == pytest.approx(1.1)
    verdicts = {v["ratio"]: v["met"] for v in judge(values)}
    assert verdicts["service_vs_raw_rps_one"] is False
    assert verdicts["service_vs_raw_rps_page"] is True
    assert verdicts["gateway_added_p50_ms_one"] is True
    assert verdicts["deep_vs_first_p50_loaded"] is True


def test_targets_without_a_measurement_are_reported_as_such():
    verdicts = judge(ratios([_result("service", "one", 800, 40)]))

    assert {v["met"] for v in verdicts} == {None}


def test_profile_attributes_self_time_to_the_package_that_spends_it():
    stacks = "\n".join(
        [
            "run (uvicorn/main.py:1);vendors_get (services/vendors/registry/router.py:9);"
            "execute (sqlalchemy/orm/session.py:3) 6",
            "run (uvicorn/main.py:1);ObservabilityMiddleware.__call__ (services/common/observability.py:5) 3",
            "run (uvicorn/main.py:1);loads (json/decoder.py:2) 1",
        ]
    )

    profile = profiling.summarise(stacks)

    assert profile.samples == 10
    assert profile.self_by_area == {"SQLAlchemy": 6, "kernel (services/common)": 3, "json (stdlib)": 1}
    assert profile.inclusive_by_function["vendors_get (services/vendors/registry/router.py)"] == 6
    report = profiling.report(profile, cpu_us_per_request=1000)
    assert "SQLAlchemy" in report and "600 µs/request" in report
