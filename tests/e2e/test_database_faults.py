"""The embedded PostgreSQL killed under `cityops run`, while clients write through the gateway: the
supervisor brings it back by itself and says so, the writes meanwhile get 503 problems with Retry-After,
and once clients have retried (same Idempotency-Key) every acknowledged write is there, each once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from .harness import CLI, RunningPlatform, cli_env

pytestmark = pytest.mark.e2e

PROBLEM_JSON = "application/problem+json"
WRITERS = 6
LOAD_SECONDS = 2.0  # of writes before the kill, and again once the database is back
RETRY_SECONDS = 30.0  # a write still unacknowledged after this fails the test


@pytest.fixture
def platform() -> Iterator[RunningPlatform]:
    # The embedded database, whatever CITYOPS_TEST_DATABASE_URL says: it is the one being killed.
    # Not under pytest's tmp_path: the embedded PostgreSQL runs as another user when tests run as root.
    with tempfile.TemporaryDirectory(prefix="cityops-e2e-faults-") as folder:
        running = RunningPlatform(data_dir=Path(folder) / "data")
        try:
            yield running
        finally:
            running.kill_everything()


def cli_token(platform: RunningPlatform) -> str:
    result = subprocess.run(
        [*CLI, "token", "--scope", "procurement:read procurement:write", "--sub", "e2e-faults"],
        env=cli_env(platform.data_dir),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    acknowledged: dict[str, str] = field(default_factory=dict)  # legal name -> vendor id
    unavailable: list[httpx.Response] = field(default_factory=list)


async def write_until_acknowledged(client: httpx.AsyncClient, name: str, tally: Tally) -> None:
    """One vendor, sent again with the same key after each 503, as a well-behaved client does."""
    key = uuid.uuid4().hex
    deadline = time.monotonic() + RETRY_SECONDS
    while time.monotonic() < deadline:
        response = await client.post(
            "/v1/procurement/vendors",
            json={"legal_name": name, "entity_type": "llc"},
            headers={"Idempotency-Key": key},
        )
        tally.statuses[response.status_code] += 1
        if response.status_code == 201:
            tally.acknowledged[name] = response.json()["id"]
            return
        assert response.status_code == 503, response.text
        tally.unavailable.append(response)
        # Sooner than Retry-After asks, to keep the test short: the answer must be the same.
        await asyncio.sleep(0.3)
    raise AssertionError(f"{name} was never acknowledged in {RETRY_SECONDS} s")


async def writers(client: httpx.AsyncClient, prefix: str, until: asyncio.Event, tally: Tally) -> None:
    async def writer(number: int) -> None:
        sequence = 0
        while not until.is_set():
            sequence += 1
            await write_until_acknowledged(client, f"{prefix} Writer {number} No {sequence} LLC", tally)

    await asyncio.gather(*(writer(number) for number in range(WRITERS)))


async def load_through_a_crash(platform: RunningPlatform, token: str, prefix: str) -> Tally:
    tally = Tally()
    stop = asyncio.Event()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=platform.gateway_url, headers=headers, timeout=20) as client:
        load = asyncio.ensure_future(writers(client, prefix, stop, tally))
        await asyncio.sleep(LOAD_SECONDS)
        os.kill(platform.children()["postgres"], signal.SIGKILL)
        await asyncio.to_thread(platform.wait_for_output, "The embedded PostgreSQL is running again", 60.0)
        await asyncio.sleep(LOAD_SECONDS)
        stop.set()
        await load
    return tally


def stored_names(client: httpx.Client, prefix: str) -> Counter[str]:
    names: Counter[str] = Counter()
    params: dict[str, str | int] = {"q": prefix, "page_size": 500}
    while True:
        page = client.get("/v1/procurement/vendors", params=params)
        assert page.status_code == 200, page.text
        names.update(vendor["legal_name"] for vendor in page.json()["items"])
        token = page.json()["next_page_token"]
        if not token:
            return names
        params["page_token"] = token


def test_the_embedded_database_killed_under_load_comes_back_and_keeps_every_acknowledged_write(
    platform: RunningPlatform,
) -> None:
    platform.start("--no-demo-data")
    token = cli_token(platform)
    first_database = platform.children()["postgres"]
    prefix = f"Faults{uuid.uuid4().hex[:8]}"

    tally = asyncio.run(load_through_a_crash(platform, token, prefix))

    output = platform.output()
    assert f"The embedded PostgreSQL (pid {first_database}) stopped; restarting it." in output
    assert platform.children()["postgres"] != first_database
    assert set(tally.statuses) == {201, 503}, tally.statuses  # no 500, and no 504 from the gateway
    for response in tally.unavailable:
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["type"] == "urn:cityops:problem:service-unavailable"
        assert int(response.headers["retry-after"]) > 0

    with httpx.Client(
        base_url=platform.gateway_url, headers={"Authorization": f"Bearer {token}"}, timeout=20
    ) as client:
        assert client.get("/readyz").status_code == 200
        stored = stored_names(client, prefix)
    assert stored.keys() == tally.acknowledged.keys()  # every acknowledged write, and no other
    assert max(stored.values()) == 1, [name for name, count in stored.items() if count > 1]
    service_log = (platform.data_dir / "logs" / "vendors.log").read_text()
    assert service_log.count("database unavailable") <= 2, "an outage is logged once, not per request"
    assert "Traceback" not in service_log
