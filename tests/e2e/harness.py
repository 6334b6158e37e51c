"""Starts the real platform (`python -m cli run`) as a user would, on free ports and its own data folder.

The database is the embedded one, started by the platform itself, unless CITYOPS_TEST_DATABASE_URL
names a server: then the platform gets a fresh database there.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from cli.database import postmaster_pid

BANNER = "CityOps is running."
STARTUP_SECONDS = 180.0
CLI = [sys.executable, "-m", "cli"]


def free_port() -> int:
    """A free port below the ephemeral range: one the kernel never hands to an outgoing connection, so
    that busy neighbours cannot take it between this check and the platform's bind."""
    port_range = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(port_range.read_text().split()[0]) if port_range.exists() else 32768
    for _ in range(100):
        port = random.randrange(20000, low)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found below the ephemeral range")


def cli_env(data_dir: Path, **variables: str) -> dict[str, str]:
    """This environment without the developer's own CITYOPS_* settings, plus `variables`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CITYOPS_")}
    env.update(CITYOPS_DATA_DIR=str(data_dir), CITYOPS_LOG_JSON="false", **variables)
    return env


@dataclass
class RunningPlatform:
    data_dir: Path
    gateway_port: int = field(default_factory=free_port)
    vendors_port: int = field(default_factory=free_port)
    assets_port: int = field(default_factory=free_port)
    database_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    _start_offset: int = 0  # where the current run's output begins (runs append to one file)

    @property
    def output_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}-supervisor.out"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def env(self) -> dict[str, str]:
        variables = {
            "CITYOPS_GATEWAY_PORT": str(self.gateway_port),
            "CITYOPS_VENDORS_PORT": str(self.vendors_port),
            "CITYOPS_ASSETS_PORT": str(self.assets_port),
        }
        if self.database_url:
            variables["CITYOPS_DATABASE_URL"] = self.database_url
        return cli_env(self.data_dir, **variables, **self.extra_env)

    def start(self, *args: str) -> RunningPlatform:
        """Starts `cityops run` and returns once it says the platform is running."""
        self.launch(*args)
        self._wait_for(BANNER)
        return self

    def launch(self, *args: str) -> None:
        self._start_offset = len(self.all_output())
        with self.output_path.open("ab") as output:
            self.process = subprocess.Popen(
                [*CLI, "run", *args],
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # our own signals only, as a terminal would send them
            )

    def run_to_end(self, seconds: float = STARTUP_SECONDS) -> int:
        """Runs `cityops run` for a start that is expected to fail; returns its exit code."""
        self.launch()
        return self.wait(seconds)

    def all_output(self) -> str:
        return self.output_path.read_text(errors="replace") if self.output_path.exists() else ""

    def output(self) -> str:
        """What the current run has printed."""
        return self.all_output()[self._start_offset :]

    def _wait_for(self, text: str, seconds: float = STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.output():
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"`cityops run` exited ({self.process.returncode}):\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"`cityops run` did not print {text!r} in {seconds} s:\n{self.output()}")
            time.sleep(0.2)

    def wait_for_output(self, text: str, seconds: float = 10.0) -> None:
        self._wait_for(text, seconds)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def children(self) -> dict[str, int]:
        """The supervisor's processes by role: `vendors`, `assets`, `gateway`, `database-watchdog`,
        `postgres`."""
        roles: dict[str, int] = {}
        for child in psutil.Process(self.pid).children(recursive=True):
            command = " ".join(child.cmdline())
            for role in ("vendors", "assets", "gateway"):
                if f"serve {role}" in command:
                    roles[role] = child.pid
            if "cli.guardian" in command:
                roles["database-watchdog"] = child.pid
        postgres = postmaster_pid(self.data_dir / "postgres")
        if postgres is not None:
            roles["postgres"] = postgres
        return roles

    def send(self, signum: signal.Signals) -> None:
        os.kill(self.pid, signum)

    def wait(self, seconds: float = 60.0) -> int:
        assert self.process is not None
        try:
            return self.process.wait(seconds)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"`cityops run` still runs {seconds} s later:\n{self.output()}") from exc

    def kill_everything(self) -> None:
        """Last-resort cleanup after a failed test: nothing of the platform may outlive it."""
        if self.process is None:
            return
        pids = list(self.children().values()) if self.process.poll() is None else []
        for pid in [self.pid, *pids]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()


def still_running(pids: dict[str, int], seconds: float) -> dict[str, int]:
    """Those of `pids` still alive after up to `seconds` (zombies count as gone)."""
    deadline = time.monotonic() + seconds
    alive = dict(pids)
    while alive and time.monotonic() < deadline:
        alive = {role: pid for role, pid in alive.items() if _alive(pid)}
        time.sleep(0.1)
    return alive


def processes_using(folder: Path) -> list[str]:
    """Command lines of live processes that name `folder` (the embedded PostgreSQL, its watchdog)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        command = " ".join(process.info["cmdline"] or [])
        if str(folder) in command and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(command)
    return found


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


PROBLEM_JSON = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token(platform: RunningPlatform, scopes: str, vendor: str | None = None) -> str:
    """A token from `cityops token` with the platform's data folder (a supplier's with `vendor`)."""
    command = [*CLI, "token", "--scope", scopes, "--sub", f"e2e-{vendor or 'staff'}"]
    if vendor:
        command += ["--vendor", vendor]
    result = subprocess.run(
        command, env=cli_env(platform.data_dir), capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["type"] == f"urn:cityops:problem:{slug}"
