"""What a process reports about itself: request ids, JSON logs, Prometheus metrics, health and readiness."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator

import pytest

from services.common.observability import configure_logging

from .conftest import bearer, client_for
from .kernel_app import PREFIX
from .local_server import free_port


async def test_sane_request_id_is_kept_and_echoed(kernel):
    response = await kernel.get("/healthz", headers={"X-Request-ID": "lb-7f3a.9:01_x"})
    assert response.headers["x-request-id"] == "lb-7f3a.9:01_x"


@pytest.mark.parametrize(
    "unsafe", ["has space", "a" * 129, "line\\nbreak", '{"json":1}', "", "émoji"], ids=lambda v: v[:12]
)
async def test_unsafe_request_id_is_replaced_by_a_fresh_one(kernel, unsafe):
    response = await kernel.get("/healthz", headers={"X-Request-ID": unsafe.encode()})
    echoed = response.headers["x-request-id"]
    assert echoed != unsafe
    assert re.fullmatch(r"[0-9a-f]{32}", echoed)


async def test_every_response_gets_a_distinct_request_id(kernel):
    first = await kernel.get("/healthz")
    second = await kernel.get("/v1/kernel/nowhere")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert second.json()["instance"] == second.headers["x-request-id"]


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Logging configured as a service configures it, JSON lines written into a buffer."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    stderr, sys.stderr = sys.stderr, buffer
    try:
        configure_logging("kernel", "INFO", json_logs=True)
    finally:
        sys.stderr = stderr
    try:
        yield buffer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def lines_of(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


async def test_logs_are_json_lines_carrying_service_and_request_id(kernel, json_log):
    await kernel.get(f"{PREFIX}/items", params={"tag": "logs"}, headers={**bearer(), "X-Request-ID": "log-1"})
    await kernel.get(f"{PREFIX}/failures/exception", headers={"X-Request-ID": "log-2"})

    lines = lines_of(json_log)
    access = [line for line in lines if line["logger"] == "cityops.access" and line["request_id"] == "log-1"]
    assert len(access) == 1
    assert (
        access[0]
        | {
            "service": "kernel",
            "level": "INFO",
            "method": "GET",
            "path": f"{PREFIX}/items",
            "route": f"{PREFIX}/items",
            "status": 200,
        }
        == access[0]
    )
    assert isinstance(access[0]["duration_ms"], float)
    assert "time" in access[0]
    [error] = [line for line in lines if line["logger"] == "cityops.problems"]
    assert error["level"] == "ERROR"
    assert error["request_id"] == "log-2"
    assert "RuntimeError" in error["exc_info"]


def sample(metrics_text: str, name: str, **labels: str) -> float:
    for line in metrics_text.splitlines():
        if line.startswith(name + "{") and all(f'{key}="{value}"' in line for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_by_route_template_not_raw_path(kernel):
    ids = [uuid.uuid4() for _ in range(3)]
    before = (await kernel.get("/metrics")).text
    for item_id in ids:
        await kernel.get(f"{PREFIX}/items/{item_id}", headers=bearer())
    await kernel.get("/v1/kernel/unknown/" + uuid.uuid4().hex)

    response = await kernel.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    template = {"service": "kernel", "method": "GET", "route": f"{PREFIX}/items/{{item_id}}", "status": "404"}
    assert (
        sample(after, "http_requests_total", **template) - sample(before, "http_requests_total", **template)
        == 3
    )
    for item_id in ids:
        assert str(item_id) not in after
    assert sample(after, "http_requests_total", route="unmatched", status="404") >= 1
    assert sample(after, "http_request_duration_seconds_count", route=f"{PREFIX}/items/{{item_id}}") >= 3
    # Operational routes are labelled by their own path too.
    assert sample(after, "http_requests_total", route="/metrics", status="200") >= 1


async def test_healthz_answers_while_the_process_runs(kernel):
    response = await kernel.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_the_database_answers(kernel):
    response = await kernel.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_readyz_is_503_when_the_database_does_not_answer(make_kernel_app):
    app = await make_kernel_app(database_url=f"postgresql://cityops@127.0.0.1:{free_port()}/cityops")

    async with client_for(app) as client:
        ready = await client.get("/readyz")
        alive = await client.get("/healthz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "checks": {"database": "down"}}
    # Alive but not ready: an orchestrator keeps the process and routes no traffic to it.
    assert alive.status_code == 200
