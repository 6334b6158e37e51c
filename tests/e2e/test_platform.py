"""The real platform, end to end: `cityops run` starts every process, the gateway serves the API over
HTTP, a crashed service turns into 503s, and stopping the supervisor (Ctrl-C or SIGKILL) leaves nothing
running behind it. A second start on the same data folder finds the data and the secret it left."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid

import httpx
import pytest

from gateway.health import READINESS_TTL_SECONDS

from .harness import CLI, PROBLEM_JSON, RunningPlatform, bearer, cli_env, processes_using, still_running

pytestmark = pytest.mark.e2e


def cli_token(platform: RunningPlatform, scopes: str) -> str:
    """A token from `cityops token` with the platform's data folder: the secret `cityops run` kept."""
    result = subprocess.run(
        [*CLI, "token", "--scope", scopes, "--sub", "e2e"],
        env=cli_env(platform.data_dir),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def create_vendor(client: httpx.Client, token: str, legal_name: str) -> dict[str, object]:
    response = client.post(
        "/v1/procurement/vendors",
        json={"legal_name": legal_name, "entity_type": "llc"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    vendor: dict[str, object] = response.json()
    assert response.headers["location"] == f"/v1/procurement/vendors/{vendor['id']}"
    return vendor


def wait_for_status(
    client: httpx.Client, path: str, status: int, token: str, seconds: float
) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = client.get(path, headers=bearer(token))
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_the_gateway_serves_the_api_degrades_when_a_service_dies_and_ctrl_c_stops_everything(
    platform: RunningPlatform,
) -> None:
    platform.start()
    processes = platform.children()
    assert {"vendors", "gateway"} <= processes.keys(), platform.output()
    if platform.database_url is None:
        assert {"postgres", "database-watchdog"} <= processes.keys(), processes
    token = cli_token(platform, "procurement:read procurement:write")
    name = f"Lincoln Heights Jail Renovators {uuid.uuid4().hex[:6]}"

    with httpx.Client(base_url=platform.gateway_url, timeout=10.0) as client:
        vendor = create_vendor(client, token, name)

        read = client.get(f"/v1/procurement/vendors/{vendor['id']}", headers=bearer(token))
        assert read.status_code == 200
        assert read.json()["legal_name"] == name
        assert read.json()["status"] == "draft"

        listed = client.get("/v1/procurement/vendors", params={"q": name}, headers=bearer(token))
        assert listed.status_code == 200
        assert [item["id"] for item in listed.json()["items"]] == [vendor["id"]]

        anonymous = client.get("/v1/procurement/vendors")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"].startswith(PROBLEM_JSON)

        os.kill(processes["vendors"], signal.SIGKILL)
        unavailable = wait_for_status(client, "/v1/procurement/vendors", 503, token, seconds=5.0)
        assert unavailable.status_code == 503, unavailable.text
        assert unavailable.headers["content-type"].startswith(PROBLEM_JSON)
        assert "vendors" in unavailable.text
        assert client.get("/healthz").status_code == 200
        # The gateway keeps a readiness answer for a second: a load balancer sees the death within it.
        readiness = wait_for_status(client, "/readyz", 503, token, seconds=READINESS_TTL_SECONDS + 2.0)
        assert readiness.status_code == 503
        assert readiness.json()["upstreams"]["vendors"] != "ready"

    platform.wait_for_output(f"vendors (pid {processes['vendors']}) was stopped by SIGKILL")
    platform.send(signal.SIGINT)
    assert platform.wait() == 0, platform.output()
    assert still_running(processes, seconds=10.0) == {}
    output = platform.output()
    assert "CityOps stopped." in output
    assert "Traceback" not in output


def test_a_killed_supervisor_leaves_no_process_and_a_restart_reuses_data_and_secret(
    platform: RunningPlatform,
) -> None:
    platform.start()
    token = cli_token(platform, "procurement:read procurement:write")
    with httpx.Client(base_url=platform.gateway_url, timeout=10.0) as client:
        vendor = create_vendor(client, token, f"Civic Center Builders {uuid.uuid4().hex[:6]}")
    processes = platform.children()

    platform.send(signal.SIGKILL)
    platform.wait()
    # The children get SIGTERM from the kernel; the watchdog stops the embedded database.
    assert still_running(processes, seconds=30.0) == {}

    platform.start()
    assert "the registry already has data" in platform.output()
    with httpx.Client(base_url=platform.gateway_url, timeout=10.0) as client:
        # The token minted before the restart still verifies: the secret was kept in the data folder.
        again = client.get(f"/v1/procurement/vendors/{vendor['id']}", headers=bearer(token))
        assert again.status_code == 200, again.text
        assert again.json()["legal_name"] == vendor["legal_name"]
    processes = platform.children()
    platform.send(signal.SIGTERM)
    assert platform.wait() == 0, platform.output()
    assert still_running(processes, seconds=10.0) == {}


def test_ctrl_c_while_starting_stops_cleanly_and_the_next_start_works(platform: RunningPlatform) -> None:
    platform.launch()
    # Mid-start: the database is up (or starting) and nothing answers HTTP yet.
    platform.wait_for_output("Migrations applied" if platform.database_url else "Starting the embedded", 60)
    platform.send(signal.SIGINT)
    assert platform.wait() == 0, platform.output()
    output = platform.output()
    assert "CityOps stopped." in output
    assert "Traceback" not in output
    assert processes_using(platform.data_dir) == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{platform.gateway_url}/healthz", timeout=2.0)

    # Nothing was left half-made: the next start works on the same folder.
    platform.start()
    assert httpx.get(f"{platform.gateway_url}/readyz", timeout=5.0).status_code == 200
    platform.send(signal.SIGINT)
    assert platform.wait() == 0, platform.output()


def test_a_busy_port_is_refused_before_anything_starts(platform: RunningPlatform) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", platform.gateway_port))
        squatter.listen()
        assert platform.run_to_end() == 1
    output = platform.output()
    assert f"port {platform.gateway_port} on 127.0.0.1 (gateway) is not available" in output
    assert "Set CITYOPS_GATEWAY_PORT to another port." in output
    assert "Starting the embedded" not in output
    assert processes_using(platform.data_dir) == []


def test_a_service_that_cannot_start_is_reported_with_the_end_of_its_log(platform: RunningPlatform) -> None:
    platform.extra_env["CITYOPS_LOG_LEVEL"] = "NOT-A-LEVEL"  # the service's app factory refuses it
    assert platform.run_to_end() == 1
    output = platform.output()
    assert "CityOps could not start: vendors exited with code 1 while starting." in output
    assert f"The end of {platform.data_dir / 'logs' / 'vendors.log'}:" in output
    assert "Unknown level: 'NOT-A-LEVEL'" in output
    assert output.rstrip().endswith("CityOps stopped.")
    assert processes_using(platform.data_dir) == []
