"""`make bench`: the vendor reads through the gateway, on the service, and on a raw baseline, in one run.

One fresh database with N realistic vendors; three real uvicorn processes with the same flags and one
worker each (the vendors service, the gateway in front of it, the raw Starlette + asyncpg baseline);
wrk on loopback for each scenario: a warm-up, a loaded run (req/s, p50, p99 under `--connections`)
and an unloaded run (one connection: the latency of a request with no queue in front of it). It prints
the table and the ratios the targets are set on, and writes everything to bench/results/<time>.json.
Timing is judged here, against baselines measured in the same run, never in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import importlib.util
import json
import operator
import os
import platform
import secrets
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import imports, profiling
from bench.database import configured_server, fresh_database, postgres_server
from bench.dataset import load_vendors
from bench.loadgen import Load, LoadGeneratorMissing, Measurement, run_wrk, wrk_path, wrk_version
from bench.processes import Server, ServerFailed
from services.common.auth import mint_token
from services.vendors.settings import VendorsSettings

PREFIX = "/v1/procurement"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
LEGS = {"gateway": "a", "service": "b", "raw": "c"}
OPERATIONS = {"one": "GET one vendor", "page": "GET page 1 (50)", "deep": "GET deep page (50)"}
# The limiter runs on every request as in production, but the one benchmark client must never be
# refused: a one-second window holds about as many entries as a real client's 600/minute does.
GATEWAY_RATE_LIMIT = "1000000/second"
PROFILE_RATE = 250  # py-spy samples per second
PARTS = ("reads", "imports")
PACKAGES = (
    "fastapi",
    "starlette",
    "pydantic",
    "sqlalchemy",
    "sqlmodel",
    "asyncpg",
    "uvicorn",
    "uvloop",
    "aiohttp",
    "limits",
)


@dataclass(frozen=True)
class Scenario:
    operation: str  # one, page, deep
    leg: str  # gateway, service, raw
    url: str

    @property
    def name(self) -> str:
        return f"{LEGS[self.leg]}) {self.leg:<8} {OPERATIONS[self.operation]}"


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    loaded: Measurement
    unloaded: Measurement
    load_average: float = 0.0  # the 1-minute load average as the scenario (its worst round) began
    # CPU time the leg's own process spent per request under load (the gateway's excludes the service's).
    cpu_us_per_request: float | None = None


class BenchStopped(RuntimeError):
    """The run cannot give meaningful figures; the message says why."""


class ParityError(BenchStopped):
    """Two legs answered differently: their timings would not compare the same work."""


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--vendors", type=int, default=10_000, help="vendors to load (default 10000)")
    parser.add_argument("--deep-page", type=int, default=200, help="the deep page's number (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all scenarios (default 3)")
    parser.add_argument("--seconds", type=int, default=6, help="each loaded run (default 6)")
    parser.add_argument(
        "--warmup", type=int, default=3, help="warm-up before each scenario's first round (default 3)"
    )
    parser.add_argument("--latency-seconds", type=int, default=3, help="each one-connection run (default 3)")
    parser.add_argument(
        "--connections", type=int, default=32, help="wrk connections when loaded (default 32)"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads when loaded (default 2)")
    parser.add_argument("--no-gateway", action="store_true", help="skip the gateway leg")
    parser.add_argument(
        "--gateway-rate-limit",
        default=GATEWAY_RATE_LIMIT,
        help=f"the gateway's per-client limit while measured (default {GATEWAY_RATE_LIMIT})",
    )
    parser.add_argument(
        "--profile", action="store_true", help="afterwards, sample the service and the baseline with py-spy"
    )
    parser.add_argument("--profile-seconds", type=int, default=10, help="each profiled run (default 10)")
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=None,
        metavar="LOAD",
        help="before measuring, wait (up to 10 minutes) until the 1-minute load average is below LOAD",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--only",
        choices=PARTS,
        help="run one part: `reads` (the vendor reads against their baselines) or `imports` (a payment "
        "import against bare COPY); default both",
    )
    imports.add_arguments(parser)
    return parser.parse_args(argv)


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def wait_for_quiet(threshold: float, patience_seconds: int = 600) -> None:
    """Other work on a shared machine skews every figure: give it time to finish first."""
    deadline = time.monotonic() + patience_seconds
    while os.getloadavg()[0] >= threshold and time.monotonic() < deadline:
        print(f"  load average {load_average()[0]} ≥ {threshold}: waiting…", flush=True)
        time.sleep(15)


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "wrk": wrk_version(),
        "packages": {name: importlib.metadata.version(name) for name in PACKAGES},
    }


async def postgres_version(database_url: str) -> str:
    connection = await asyncpg.connect(database_url)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def gateway_available() -> bool:
    return importlib.util.find_spec("gateway.app") is not None


def start_servers(
    stack: ExitStack, database_url: str, secret: str, log_dir: Path, args: argparse.Namespace
) -> dict[str, Server]:
    """The service and the baseline on the same database and pool; the gateway in front of the service."""
    platform_env = {
        "CITYOPS_JWT_SECRET": secret,
        "CITYOPS_SECRET_KEY": secret + "-pages",
        "CITYOPS_LOG_LEVEL": "WARNING",
    }
    defaults = VendorsSettings.model_fields
    database_env = {
        **platform_env,
        "CITYOPS_VENDORS_DATABASE_URL": database_url,
        # The service's pool, stated, so that the baseline provably gets the same one.
        "CITYOPS_VENDORS_DB_POOL_SIZE": str(defaults["db_pool_size"].default),
        "CITYOPS_VENDORS_DB_MAX_OVERFLOW": str(defaults["db_max_overflow"].default),
    }
    servers = {
        "service": Server("service", "services.vendors.app:create_app", database_env, log_dir),
        "raw": Server("raw", "bench.raw_app:create_app", database_env, log_dir),
    }
    if args.with_gateway:
        gateway_env = {
            **platform_env,
            "CITYOPS_VENDORS_URL": servers["service"].url,
            "CITYOPS_GATEWAY_RATE_LIMIT": args.gateway_rate_limit,
        }
        servers["gateway"] = Server("gateway", "gateway.app:create_app", gateway_env, log_dir)
        servers["gateway"].env["CITYOPS_GATEWAY_PORT"] = str(servers["gateway"].port)
    for server in servers.values():
        stack.callback(server.stop)
        server.start()
    return servers


def deep_page_token(client: httpx.Client, base_url: str, page: int) -> str:
    """Walks the list once, following `next_page_token`, to the token that opens page `page`."""
    token: str | None = None
    for number in range(1, page):
        response = client.get(f"{base_url}{PREFIX}/vendors", params={"page_token": token} if token else None)
        response.raise_for_status()
        token = response.json()["next_page_token"]
        if token is None:
            raise BenchStopped(f"The list ends at page {number}: load more vendors for a page {page}.")
    assert token is not None
    return token


def _same(what: str, left: httpx.Response, right: httpx.Response, legs: tuple[str, str]) -> None:
    if left.status_code != 200 or right.status_code != 200:
        raise ParityError(f"{what}: {legs[0]} answered {left.status_code}, {legs[1]} {right.status_code}")
    if left.json() != right.json():
        raise ParityError(f"{what}: {legs[0]} and {legs[1]} return different bodies")


def check_parity(client: httpx.Client, servers: dict[str, Server], vendor_id: str) -> None:
    """The legs must do the same work: same vendor, same page, same bodies (the baseline's page token
    is its own, so pages are compared by their items)."""
    one, page = f"{PREFIX}/vendors/{vendor_id}", f"{PREFIX}/vendors"
    service, raw = servers["service"].url, servers["raw"].url
    _same("GET one", client.get(service + one), client.get(raw + one), ("service", "raw"))
    service_page, raw_page = client.get(service + page).json(), client.get(raw + page).json()
    if service_page["items"] != raw_page["items"] or not raw_page["next_page_token"]:
        raise ParityError("GET page: service and raw return different pages")
    if "gateway" in servers:
        gateway = servers["gateway"].url
        _same("GET one", client.get(gateway + one), client.get(service + one), ("gateway", "service"))
        _same("GET page", client.get(gateway + page), client.get(service + page), ("gateway", "service"))


def scenarios(servers: dict[str, Server], vendor_id: str, deep_token: str) -> list[Scenario]:
    """Interleaved by operation, so that the legs compared with each other run close in time."""
    plan: list[Scenario] = []
    service = servers["service"].url
    for operation, path in (("one", f"/vendors/{vendor_id}"), ("page", "/vendors")):
        for leg in ("raw", "service", "gateway"):
            if leg in servers:
                plan.append(Scenario(operation, leg, f"{servers[leg].url}{PREFIX}{path}"))
            if leg == "service" and operation == "page":
                plan.append(Scenario("deep", leg, f"{service}{PREFIX}/vendors?page_token={deep_token}"))
    return plan


def measure_once(
    scenario: Scenario, server: Server, args: argparse.Namespace, headers: dict[str, str], warm_up: bool
) -> Result:
    """(Warm-up,) the loaded run with the server's CPU time over it, then the one-connection run."""
    loaded = Load(args.connections, min(args.threads, args.connections), args.seconds)
    load_average_at_start = os.getloadavg()[0]
    if warm_up and args.warmup:
        run_wrk(scenario.url, Load(loaded.connections, loaded.threads, args.warmup), headers)
    cpu_before = server.cpu_seconds()
    under_load = run_wrk(scenario.url, loaded, headers)
    cpu_after = server.cpu_seconds()
    cpu_per_request = None
    if cpu_before is not None and cpu_after is not None and under_load.requests:
        cpu_per_request = round((cpu_after - cpu_before) / under_load.requests * 1e6, 1)
    return Result(
        scenario,
        loaded=under_load,
        unloaded=run_wrk(scenario.url, Load(1, 1, args.latency_seconds), headers),
        load_average=round(load_average_at_start, 2),
        cpu_us_per_request=cpu_per_request,
    )


def median_measurement(measurements: list[Measurement]) -> Measurement:
    """Throughput of the median round, the median of each latency figure, every failure counted."""
    by_rate = sorted(measurements, key=lambda m: m.requests_per_second)
    middle = by_rate[len(by_rate) // 2]
    return Measurement(
        requests=middle.requests,
        seconds=middle.seconds,
        p50_ms=statistics.median(m.p50_ms for m in measurements),
        p90_ms=statistics.median(m.p90_ms for m in measurements),
        p99_ms=statistics.median(m.p99_ms for m in measurements),
        mean_ms=statistics.median(m.mean_ms for m in measurements),
        max_ms=max(m.max_ms for m in measurements),
        failures=sum(m.failures for m in measurements),
    )


def median_result(rounds: list[Result]) -> Result:
    cpu = [r.cpu_us_per_request for r in rounds if r.cpu_us_per_request is not None]
    return Result(
        rounds[0].scenario,
        loaded=median_measurement([r.loaded for r in rounds]),
        unloaded=median_measurement([r.unloaded for r in rounds]),
        load_average=max(r.load_average for r in rounds),
        cpu_us_per_request=statistics.median(cpu) if cpu else None,
    )


def measure(
    plan: list[Scenario], servers: dict[str, Server], args: argparse.Namespace, headers: dict[str, str]
) -> list[Result]:
    """Every scenario once per round, rounds one after the other, so that a burst of other work on the
    machine spoils one round of each scenario rather than every round of one; then the medians."""
    rounds: dict[Scenario, list[Result]] = {scenario: [] for scenario in plan}
    for number in range(1, args.rounds + 1):
        print(f"round {number} of {args.rounds}")
        for scenario in plan:
            result = measure_once(scenario, servers[scenario.leg], args, headers, warm_up=number == 1)
            rounds[scenario].append(result)
            print(format_row(result), flush=True)
    return [median_result(rounds[scenario]) for scenario in plan]


def format_header() -> str:
    return (
        f"{'scenario':<36}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU µs/req':>12}  |"
        f"{'1-conn req/s':>13}{'p50 ms':>8}{'p99 ms':>8}  |{'load':>6}  failures"
    )


def format_row(result: Result) -> str:
    loaded, unloaded = result.loaded, result.unloaded
    failures = loaded.failures + unloaded.failures
    cpu = "n/a" if result.cpu_us_per_request is None else f"{result.cpu_us_per_request:.0f}"
    return (
        f"{result.scenario.name:<36}{loaded.requests_per_second:>8.0f}{loaded.p50_ms:>9.2f}"
        f"{loaded.p99_ms:>9.2f}{cpu:>12}  |{unloaded.requests_per_second:>13.0f}{unloaded.p50_ms:>8.2f}"
        f"{unloaded.p99_ms:>8.2f}  |{result.load_average:>6.2f}  {failures or '-'}"
    )


def ratios(results: list[Result]) -> dict[str, float]:
    """The comparisons the targets are set on, keyed `<what>_<operation>`."""
    by = {(r.scenario.leg, r.scenario.operation): r for r in results}
    out: dict[str, float] = {}
    for operation in ("one", "page"):
        service, raw, gateway = (by.get((leg, operation)) for leg in ("service", "raw", "gateway"))
        if service and raw:
            out[f"service_vs_raw_rps_{operation}"] = (
                service.loaded.requests_per_second / raw.loaded.requests_per_second
            )
            if service.cpu_us_per_request and raw.cpu_us_per_request:
                out[f"service_vs_raw_cpu_{operation}"] = service.cpu_us_per_request / raw.cpu_us_per_request
        if service and gateway:
            out[f"gateway_vs_service_rps_{operation}"] = (
                gateway.loaded.requests_per_second / service.loaded.requests_per_second
            )
            out[f"gateway_added_p50_ms_{operation}"] = gateway.unloaded.p50_ms - service.unloaded.p50_ms
            out[f"gateway_added_p50_ms_loaded_{operation}"] = gateway.loaded.p50_ms - service.loaded.p50_ms
    first, deep = by.get(("service", "page")), by.get(("service", "deep"))
    if first and deep:
        out["deep_vs_first_p50_loaded"] = deep.loaded.p50_ms / first.loaded.p50_ms
        out["deep_vs_first_p50"] = deep.unloaded.p50_ms / first.unloaded.p50_ms
        out["deep_vs_first_rps"] = deep.loaded.requests_per_second / first.loaded.requests_per_second
    return out


# (ratio key, comparison, threshold, what the target says)
TARGETS = [
    ("service_vs_raw_rps_one", ">=", 0.5, "service reaches half the raw throughput (GET one)"),
    ("service_vs_raw_rps_page", ">=", 0.5, "service reaches half the raw throughput (GET page)"),
    ("gateway_added_p50_ms_one", "<", 2.0, "gateway adds under 2 ms at p50 (GET one)"),
    ("gateway_added_p50_ms_page", "<", 2.0, "gateway adds under 2 ms at p50 (GET page)"),
    ("deep_vs_first_p50", "<=", 1.3, "deep page p50 at most 1.3 × first page (one connection)"),
    ("deep_vs_first_p50_loaded", "<=", 1.3, "deep page p50 at most 1.3 × first page (loaded)"),
    ("deep_vs_first_rps", ">=", 1 / 1.3, "deep page throughput at least first page's / 1.3"),
]


COMPARISONS = {">=": operator.ge, "<=": operator.le, "<": operator.lt}


def judge(values: dict[str, float]) -> list[dict[str, Any]]:
    verdicts = []
    for key, comparison, threshold, description in TARGETS:
        value = values.get(key)
        verdicts.append(
            {
                "target": description,
                "ratio": key,
                "value": value,
                "threshold": f"{comparison} {threshold:.2f}",
                "met": None if value is None else bool(COMPARISONS[comparison](value, threshold)),
            }
        )
    return verdicts


def format_summary(values: dict[str, float], verdicts: list[dict[str, Any]]) -> str:
    lines = ["", "ratios"]
    lines += [f"  {key:<36}{value:>9.2f}" for key, value in values.items()]
    lines += ["", "targets"]
    for verdict in verdicts:
        status = {True: "met", False: "MISSED", None: "not measured"}[verdict["met"]]
        shown = "" if verdict["value"] is None else f"{verdict['value']:.2f} {verdict['threshold']}"
        lines.append(f"  {status:<13}{verdict['target']:<58}{shown}")
    return "\n".join(lines)


def profile_servers(
    servers: dict[str, Server],
    results: list[Result],
    args: argparse.Namespace,
    headers: dict[str, str],
    out_dir: Path,
) -> dict[str, Any]:
    """Samples each server with py-spy while wrk loads it (GET one and GET page); prints where time goes."""
    if profiling.py_spy_path() is None:
        print("py-spy is not installed: `.venv/bin/pip install py-spy` (it is in the dev extra).")
        return {}
    reports = {}
    for result in (r for r in results if r.scenario.operation in ("one", "page")):
        scenario = result.scenario
        output = out_dir / f"profile-{scenario.leg}-{scenario.operation}.txt"
        sampler = profiling.record(servers[scenario.leg].pid, args.profile_seconds, output, PROFILE_RATE)
        time.sleep(1)  # py-spy attaches before the load starts
        run_wrk(scenario.url, Load(args.connections, args.threads, args.profile_seconds - 2), headers)
        _, errors = sampler.communicate(timeout=args.profile_seconds + 30)
        if not output.exists():
            print(f"py-spy could not sample {scenario.leg}: {errors.decode(errors='replace')[-500:]}")
            continue
        summary = profiling.summarise(output.read_text())
        cpu = result.cpu_us_per_request or 0.0
        print(f"\nprofile: {scenario.name} (while loaded)\n{profiling.report(summary, cpu)}")
        reports[f"{scenario.leg}_{scenario.operation}"] = {
            "samples": summary.samples,
            "cpu_us_per_request": cpu,
            "self_by_area": dict(summary.self_by_area.most_common()),
            "self_top": dict(summary.self_by_function.most_common(40)),
            "inclusive_top": dict(summary.inclusive_below_main_loop(60)),
            "stacks": output.name,
        }
    return reports


def benchmark(args: argparse.Namespace, run_dir: Path, record: dict[str, Any]) -> list[Result]:
    """Database, load, servers, parity, then every scenario (and the profiles) while the servers run."""
    secret = secrets.token_urlsafe(32)
    token = mint_token(secret, sub="cityops-bench", scopes="procurement:read")
    headers = {"Authorization": f"Bearer {token}"}
    with ExitStack() as stack:
        server_url = stack.enter_context(postgres_server(configured_server()))
        database_url = stack.enter_context(fresh_database(server_url))
        record["machine"]["postgres"] = asyncio.run(postgres_version(database_url))
        print(f"Loading {args.vendors} vendors…", flush=True)
        began = time.perf_counter()
        ids = asyncio.run(load_vendors(database_url, args.vendors))
        record["load_seconds"] = round(time.perf_counter() - began, 2)
        print(
            f"  loaded in {record['load_seconds']} s; starting servers (1 uvicorn worker each)…", flush=True
        )
        servers = start_servers(stack, database_url, secret, run_dir, args)
        vendor_id = str(ids[len(ids) // 2])
        with httpx.Client(headers=headers, timeout=10) as client:
            check_parity(client, servers, vendor_id)
            deep_token = deep_page_token(client, servers["service"].url, args.deep_page)
        plan = scenarios(servers, vendor_id, deep_token)
        if args.quiet_below is not None:
            wait_for_quiet(args.quiet_below)
        record["load_average_before_measuring"] = load_average()
        print(f"load average before measuring: {record['load_average_before_measuring']}\n")
        print(format_header())
        results = measure(plan, servers, args, headers)
        print(f"\nmedians of {args.rounds} rounds\n{format_header()}")
        for result in results:
            print(format_row(result))
        record["load_average_after_measuring"] = load_average()
        record["ratios"] = ratios(results)
        record["targets"] = judge(record["ratios"])
        print(format_summary(record["ratios"], record["targets"]))
        if args.profile:
            record["profiles"] = profile_servers(servers, results, args, headers, run_dir)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    parts = (args.only,) if args.only else PARTS
    if "reads" in parts:
        try:
            wrk_path()
        except LoadGeneratorMissing as exc:
            print(exc, file=sys.stderr)
            return 2
    args.with_gateway = not args.no_gateway and gateway_available()
    if not args.no_gateway and not args.with_gateway:
        print("The gateway (gateway.app:create_app) is not importable yet: its leg is skipped.")
    started = datetime.now(UTC)
    run_dir = args.results_dir / started.strftime("%Y%m%dT%H%M%SZ")
    run_dir.mkdir(parents=True)
    record: dict[str, Any] = {
        "started_at": started.isoformat(),
        "load_average_at_start": load_average(),
        "machine": machine(),
        "settings": {name: str(value) for name, value in vars(args).items()},
    }
    results = benchmark(args, run_dir, record) if "reads" in parts else []
    record["results"] = [
        {
            "leg": r.scenario.leg,
            "operation": r.scenario.operation,
            "loaded": asdict(r.loaded),
            "unloaded": asdict(r.unloaded),
            "load_average": r.load_average,
            "cpu_us_per_request": r.cpu_us_per_request,
        }
        for r in results
    ]
    if "imports" in parts:
        if args.quiet_below is not None:
            wait_for_quiet(args.quiet_below)
        record["imports"] = imports.benchmark(args, run_dir)
        record["load_average_after_measuring"] = load_average()
    (run_dir / "results.json").write_text(json.dumps(record, indent=2))
    print(f"\nload average after: {record['load_average_after_measuring']}; results: {run_dir}/results.json")
    failed = [r.scenario.name for r in results if r.loaded.failures or r.unloaded.failures]
    if failed:
        print(f"Runs with failed requests (their figures do not count): {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def entry_point() -> None:
    try:
        sys.exit(main())
    except (ServerFailed, BenchStopped) as exc:
        print(f"bench stopped: {exc}", file=sys.stderr)
        sys.exit(1)
