"""A service whose database fails: stopped, killed or frozen, it answers 503 problems with Retry-After in
bounded time, logs the outage once, leaves no late commit behind, and serves again once the database is
back, without a restart.

These tests own an embedded PostgreSQL of their own (never the server other tests share) so they can stop,
kill and freeze it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from cli.database import EmbeddedPostgres, ensure_database

from .conftest import SECRET, bearer
from .kernel_app import PREFIX, create_kernel_app, create_schema, kernel_settings
from .local_server import serve

PROBLEM_JSON = "application/problem+json"
UNAVAILABLE = "urn:cityops:problem:service-unavailable"
# Short bounds, so that each test takes seconds; the defaults are the same shape (settings.py).
BOUNDS = {
    "db_connect_timeout": 1.0,
    "db_pool_timeout": 1.0,
    "db_statement_timeout": 1.0,
    "readiness_timeout": 1.0,
    "request_deadline": 2.0,
}
# An answer may come a little after its bound on a busy machine, never after the gateway's 10 s.
SLACK = 1.5


@pytest.fixture(scope="module")
def own_server() -> Iterator[EmbeddedPostgres]:
    # Not under pytest's tmp_path: the embedded PostgreSQL runs as another user when tests run as root.
    with tempfile.TemporaryDirectory(prefix="cityops-faults-") as folder:
        embedded = EmbeddedPostgres(Path(folder) / "postgres")
        try:
            yield embedded
        finally:
            _resume(embedded)
            embedded.stop()


@pytest.fixture(scope="module")
def own_database(own_server: EmbeddedPostgres) -> str:
    url = ensure_database(own_server.url, "faults")
    asyncio.run(_create_kernel_schema(url))
    return url


async def _create_kernel_schema(url: str) -> None:
    from services.common.db import create_engine

    engine = create_engine(url, pool_size=1, max_overflow=0)
    async with engine.begin() as connection:
        await create_schema(connection)
    await engine.dispose()


@pytest.fixture
def service(own_server: EmbeddedPostgres, own_database: str) -> Iterator[str]:
    """The kernel service under a real HTTP server (an answer is on the wire when it is sent, as in
    production, not when the app's call returns); yields its base URL."""
    _ensure_running(own_server)
    with serve(create_kernel_app(kernel_settings(own_database, SECRET, **BOUNDS)), lifespan="on") as url:
        yield url


def _ensure_running(server: EmbeddedPostgres) -> None:
    """Restarts the server a test left stopped; a crashed one's last processes may need a moment."""
    deadline = time.monotonic() + 30
    while server.pid is None:
        try:
            server.restart()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _server_processes(server: EmbeddedPostgres) -> list[psutil.Process]:
    assert server.pid is not None
    postmaster = psutil.Process(server.pid)
    return [postmaster, *postmaster.children(recursive=True)]


def _resume(server: EmbeddedPostgres) -> None:
    if server.pid is not None:
        for process in _server_processes(server):
            with suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGCONT)


@contextmanager
def frozen(server: EmbeddedPostgres) -> Iterator[None]:
    """Every process of the server stopped (SIGSTOP): connections open but nothing ever answers."""
    processes = _server_processes(server)
    for process in processes:
        process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for process in processes:
            process.send_signal(signal.SIGCONT)


def _stop(server: EmbeddedPostgres, how: signal.Signals) -> None:
    """SIGINT is PostgreSQL's fast shutdown (an operator stopping it); SIGKILL a crash."""
    pid = server.pid
    assert pid is not None
    os.kill(pid, how)
    deadline = time.monotonic() + 15
    while server.pid is not None:
        assert time.monotonic() < deadline, "the database did not stop"
        time.sleep(0.05)


def _create(client: httpx.AsyncClient, tag: str, name: str) -> asyncio.Future[httpx.Response]:
    return asyncio.ensure_future(
        client.post(f"{PREFIX}/items", json={"tag": tag, "name": name}, headers=bearer())
    )


async def _timed(request: asyncio.Future[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == UNAVAILABLE
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["instance"] == response.headers["x-request-id"]


async def _names_stored(database_url: str, tag: str) -> list[str]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT name FROM kernel_test.items WHERE tag = $1", tag)
    finally:
        await connection.close()
    return sorted(row["name"] for row in rows)


async def _until_served(client: httpx.AsyncClient, path: str, seconds: float) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = await client.get(path, headers=bearer())
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["stopped", "killed"])
async def test_a_database_down_answers_503_with_retry_after_logs_once_and_recovers_without_restart(
    service: str,
    own_server: EmbeddedPostgres,
    own_database: str,
    caplog: pytest.LogCaptureFixture,
    how: signal.Signals,
) -> None:
    tag = uuid.uuid4().hex[:12]
    async with httpx.AsyncClient(base_url=service, timeout=10) as client:
        created = await _create(client, tag, "before")
        assert created.status_code == 201, created.text
        item = f"{PREFIX}/items/{created.json()['id']}"

        _stop(own_server, how)
        caplog.clear()
        caplog.set_level(logging.INFO, logger="cityops")
        answers = [
            await _timed(asyncio.ensure_future(client.get(item, headers=bearer()))),
            await _timed(_create(client, tag, "during")),
            await _timed(asyncio.ensure_future(client.get(f"{PREFIX}/items?tag={tag}", headers=bearer()))),
            await _timed(asyncio.ensure_future(client.get(item, headers=bearer()))),
        ]
        for response, seconds in answers:
            assert_unavailable(response)
            assert seconds < BOUNDS["request_deadline"] + SLACK
        readiness = await client.get("/readyz")
        assert readiness.status_code == 503

        outage_lines = [r for r in caplog.records if r.name == "cityops.problems"]
        assert [r.levelname for r in outage_lines] == ["ERROR"], [r.getMessage() for r in outage_lines]
        assert "database unavailable" in outage_lines[0].getMessage()
        assert not any(r.exc_info for r in caplog.records), "an outage must not log a traceback per request"

        _ensure_running(own_server)
        served = await _until_served(client, item, seconds=10)
        assert served.status_code == 200, served.text
        again = await _create(client, tag, "after")
        assert again.status_code == 201, again.text

    recovered = [r for r in caplog.records if r.name == "cityops.problems" and r.levelname == "WARNING"]
    assert len(recovered) == 1 and "available again" in recovered[0].getMessage()
    assert await _names_stored(own_database, tag) == ["after", "before"]


async def test_a_frozen_database_gets_bounded_answers_and_no_write_commits_after_its_503(
    service: str, own_server: EmbeddedPostgres, own_database: str
) -> None:
    tag = uuid.uuid4().hex[:12]
    async with httpx.AsyncClient(base_url=service, timeout=10) as client:
        # Warm connections in the pool: requests then wait on a connection that never answers.
        warm = await asyncio.gather(*(_create(client, tag, f"warm-{n}") for n in range(3)))
        assert [r.status_code for r in warm] == [201, 201, 201]
        item = f"{PREFIX}/items/{warm[0].json()['id']}"

        with frozen(own_server):
            writes = [_timed(_create(client, tag, f"frozen-{n}")) for n in range(6)]
            read = _timed(asyncio.ensure_future(client.get(item, headers=bearer())))
            readiness = _timed(asyncio.ensure_future(client.get("/readyz")))
            *write_answers, read_answer, readiness_answer = await asyncio.gather(*writes, read, readiness)

        for response, seconds in [*write_answers, read_answer]:
            assert_unavailable(response)
            assert seconds < BOUNDS["request_deadline"] + SLACK
        response, seconds = readiness_answer
        assert response.status_code == 503
        assert seconds < BOUNDS["readiness_timeout"] + SLACK

        # Thawed, the database must not finish the writes whose clients were told 503.
        served = await _until_served(client, item, seconds=10)
        assert served.status_code == 200, served.text
        await asyncio.sleep(0.5)
    assert await _names_stored(own_database, tag) == ["warm-0", "warm-1", "warm-2"]
