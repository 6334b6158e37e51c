"""Where a server's time goes: py-spy samples taken while wrk loads it, summed by package and function.

Only samples holding the GIL are taken (`--gil`): a single-worker server's throughput is bounded by its
Python work, and idle pool threads would otherwise count as busy. py-spy's `raw` output is one collapsed
stack per line (`frame;frame;... count`), outermost first, each frame `function (path:line)` with the
path relative to its import root. The innermost frame's package takes the sample's self time, so that
the costs of SQLAlchemy, pydantic, FastAPI, the kernel's middleware… add up to the whole; inclusive
counts per function show which of our calls lead there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*) \((?P<path>[^()]*?)(?::\d+)?\)$")
# Path prefixes (relative to their import root) that name an area; the longest match wins.
AREAS = {
    "services/common/": "kernel (services/common)",
    "services/vendors/": "vendors service code",
    "gateway/": "gateway code",
    "bench/": "raw baseline code",
    "sqlalchemy/": "SQLAlchemy",
    "sqlmodel/": "SQLModel",
    "asyncpg/": "asyncpg",
    "pydantic/": "pydantic",
    "pydantic_core/": "pydantic",
    "fastapi/": "FastAPI",
    "starlette/": "Starlette",
    "uvicorn/": "uvicorn",
    "httpx/": "httpx",
    "httpcore/": "httpcore",
    "anyio/": "anyio",
    "jwt/": "PyJWT",
    "prometheus_client/": "prometheus_client",
    "itsdangerous/": "itsdangerous",
    "limits/": "limits",
    "json/": "json (stdlib)",
    "logging/": "logging (stdlib)",
    "asyncio/": "asyncio (stdlib)",
}
# Frames as heavy as the server's main loop (present in nearly every sample) say nothing about where
# time goes.
_UBIQUITOUS_SHARE = 0.9


def area_of(path: str) -> str:
    matches = [prefix for prefix in AREAS if path.startswith(prefix)]
    if matches:
        return AREAS[max(matches, key=len)]
    head = path.split("/", 1)[0]
    if "/" in path:
        return head
    return "stdlib" if path.endswith(".py") or path.startswith("<frozen") else "native"


def parse_frame(frame: str) -> tuple[str, str]:
    """`vendors_get (services/vendors/registry/router.py:96)` → (`vendors_get`, that path)."""
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip(), ""
    return match["function"], match["path"]


@dataclass
class Profile:
    samples: int
    self_by_area: Counter[str]
    self_by_function: Counter[str]
    inclusive_by_function: Counter[str]

    def share(self, count: int) -> float:
        return count / self.samples if self.samples else 0.0

    def inclusive_below_main_loop(self, top: int) -> list[tuple[str, int]]:
        heaviest = max(self.inclusive_by_function.values(), default=0)
        limit = _UBIQUITOUS_SHARE * heaviest
        return [(name, n) for name, n in self.inclusive_by_function.most_common() if n < limit][:top]


def summarise(raw_stacks: str) -> Profile:
    self_by_area: Counter[str] = Counter()
    self_by_function: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw_stacks.splitlines():
        stack, _, count_text = line.rpartition(" ")
        frames = [parse_frame(frame) for frame in stack.split(";") if frame.strip()]
        if not frames or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        function, path = frames[-1]
        self_by_area[area_of(path)] += count
        self_by_function[f"{function} ({path})"] += count
        for name in {f"{function} ({path})" for function, path in frames}:
            inclusive[name] += count
    return Profile(total, self_by_area, self_by_function, inclusive)


def py_spy_path() -> str | None:
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def record(pid: int, seconds: int, output: Path, rate: int) -> subprocess.Popen[bytes]:
    """Starts sampling `pid` for `seconds` into `output` (raw collapsed stacks); the caller waits."""
    command = [py_spy_path() or "py-spy", "record", "--pid", str(pid), "--duration", str(seconds), "--gil"]
    command += ["--rate", str(rate), "--format", "raw", "--output", str(output)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def report(profile: Profile, cpu_us_per_request: float, top: int = 20) -> str:
    """Self time by area, the functions that spend it, and the inclusive time of the calls below the
    server's main loop; microseconds are each share of the CPU a request costs without the profiler
    (py-spy pauses the process to sample it, so its own request rate understates the server)."""
    lines = [
        f"  {profile.samples} samples holding the GIL; a request costs {cpu_us_per_request:.0f} µs of CPU.",
        "  self time by area:",
    ]
    for area, count in profile.self_by_area.most_common():
        share = profile.share(count)
        lines.append(f"    {area:<28} {share:6.1%}  {share * cpu_us_per_request:7.0f} µs/request")
    lines.append("  self time by function:")
    for name, count in profile.self_by_function.most_common(top):
        lines.append(f"    {profile.share(count):6.1%}  {name}")
    lines.append("  inclusive time (below the main loop):")
    for name, count in profile.inclusive_below_main_loop(top * 2):
        share = profile.share(count)
        lines.append(f"    {share:6.1%}  {share * cpu_us_per_request:7.0f} µs/request  {name}")
    return "\n".join(lines)
