"""wrk, the load generator: one bounded run against one URL, read back as numbers."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPORTER = Path(__file__).resolve().parent / "report.lua"
RESULT_MARKER = "BENCH_RESULT "
INSTALL_HINT = (
    "wrk is not installed. On Debian or Ubuntu: `sudo apt-get install -y wrk`; on macOS: `brew install wrk`."
)


class LoadGeneratorMissing(RuntimeError):
    pass


class LoadRunFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Load:
    """How hard and how long: wrk's threads, open connections and duration."""

    connections: int
    threads: int
    seconds: int


@dataclass(frozen=True)
class Measurement:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    failures: int  # non-2xx/3xx answers, socket errors and timeouts: any of them spoils the run

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise LoadGeneratorMissing(INSTALL_HINT)
    return path


def wrk_version() -> str:
    completed = subprocess.run([wrk_path(), "--version"], capture_output=True, text=True, check=False)
    return (completed.stdout or completed.stderr).splitlines()[0].strip()


def run_wrk(url: str, load: Load, headers: dict[str, str]) -> Measurement:
    command = [wrk_path(), "-t", str(load.threads), "-c", str(load.connections), "-d", f"{load.seconds}s"]
    command += ["--timeout", "10s", "-s", str(REPORTER)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    completed = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=load.seconds + 60, check=False
    )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return _measurement(json.loads(line[len(RESULT_MARKER) :]))
    raise LoadRunFailed(
        f"wrk gave no result (exit {completed.returncode}):\n{completed.stdout}{completed.stderr}"
    )


def _measurement(raw: dict[str, Any]) -> Measurement:
    def ms(key: str) -> float:
        return float(raw[key]) / 1000.0

    return Measurement(
        requests=int(raw["requests"]),
        seconds=float(raw["duration_us"]) / 1e6,
        p50_ms=ms("p50_us"),
        p90_ms=ms("p90_us"),
        p99_ms=ms("p99_us"),
        mean_ms=ms("mean_us"),
        max_ms=ms("max_us"),
        failures=sum(int(count) for count in raw["errors"].values()),
    )
