"""`python -m bench reports`: the spend cube over HTTP against its bare SQL, in one run.

One fresh database filled with spend (`cityops seed --scale S` when `--scale` is given, otherwise
`bench.spend_data` with `--payments N` lines), or an already loaded one (`--database-url`). The vendors
service runs as a real uvicorn process. For each report scenario the bench alternates, request by
request:

- **http**: `GET /v1/procurement/reports/spend-cube?…` (page 1) on one keep-alive connection;
- **sql**: the very statement the endpoint runs for that page (the service's own SQL builder, compiled
  the same way), on a direct asyncpg connection, in the same kind of read-only snapshot;
- and, fewer times, **payments**: the same cube forced over `payments` (no rollups), to show what the
  rollups save. It is informational: no target is set on it.

It prints p50 and p95 of each, and the ratios the targets are judged on: http ÷ sql at most 1.5 at p50
and p95, and http p95 under 1 s. Everything goes to bench/results/<UTC time>-reports/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.database import configured_server, fresh_database, postgres_server
from bench.processes import Server, ServerFailed
from bench.spend_data import load_spend
from services.common.auth import mint_token
from services.common.money import CENTS
from services.common.pagination import Pager, page_token_serializer
from services.vendors.contracts import SpendDimension
from services.vendors.reports import cube
from services.vendors.reports.snapshot import REPORT_WORK_MEM, compile_statement
from services.vendors.reports.spend import PAYMENTS, SpendFilters

CUBE_PATH = "/v1/procurement/reports/spend-cube"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
P95_LIMIT_MS = 1000.0
RATIO_LIMIT = 1.5


@dataclass(frozen=True)
class Scenario:
    name: str
    dimensions: tuple[SpendDimension, ...]
    category_level: int = 2

    def query(self) -> cube.CubeQuery:
        return cube.CubeQuery(dimensions=self.dimensions, level=self.category_level, filters=SpendFilters())

    def params(self, page_size: int) -> list[tuple[str, str | int | float | bool | None]]:
        pairs: list[tuple[str, str | int | float | bool | None]] = [
            ("dimension", d.value) for d in self.dimensions
        ]
        return [*pairs, ("category_level", str(self.category_level)), ("page_size", str(page_size))]


SCENARIOS = (
    Scenario("department × fiscal quarter", (SpendDimension.department, SpendDimension.quarter)),
    Scenario("vendor × category (level 2)", (SpendDimension.vendor, SpendDimension.category)),
)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench reports", description=__doc__.splitlines()[0])
    data = parser.add_mutually_exclusive_group()
    data.add_argument(
        "--payments", type=int, default=100_000, help="payment lines to generate (default 100000)"
    )
    data.add_argument(
        "--scale", type=float, help="load `cityops seed --scale SCALE` instead (1 = 2,000,000 lines)"
    )
    data.add_argument(
        "--database-url", help="measure an already loaded and migrated database; nothing is loaded"
    )
    parser.add_argument("--vendors", type=int, default=10_000, help="vendors with --payments (default 10000)")
    parser.add_argument(
        "--requests", type=int, default=30, help="measured requests per scenario and leg (30)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests first (default 3)")
    parser.add_argument("--page-size", type=int, default=500, help="cells per page (default 500)")
    parser.add_argument(
        "--payments-runs", type=int, default=3, help="runs of the no-rollup baseline (default 3; 0 skips it)"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    return parser.parse_args(argv)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of the values (milliseconds)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "runs": len(values),
    }


def first_page_sql(
    query: cube.CubeQuery, page_size: int, *, over_payments: bool = False
) -> tuple[str, list[Any]]:
    """The statement the endpoint runs for page 1 of `query` (or the same cube over `payments`)."""
    statement, order = cube.statement(query, PAYMENTS if over_payments else None)
    pager = Pager(page_size, None, page_token_serializer("bench"))
    return compile_statement(pager.keyset(statement, order, query.fingerprint()))


async def run_sql(connection: asyncpg.Connection, sql: str, args: list[Any]) -> tuple[float, list[Any]]:
    """One run as the service runs it: a read-only snapshot with the report's work_mem."""
    began = time.perf_counter()
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        await connection.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        rows = await connection.fetch(sql, *args)
    return (time.perf_counter() - began) * 1000, rows


async def run_http(client: httpx.AsyncClient, params: Any) -> tuple[float, dict[str, Any]]:
    began = time.perf_counter()
    response = await client.get(CUBE_PATH, params=params)
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise BenchStopped(f"the service answered {response.status_code}: {response.text[:500]}")
    return elapsed, response.json()


class BenchStopped(RuntimeError):
    pass


def check_parity(body: dict[str, Any], rows: list[Any], page_size: int, name: str) -> None:
    """The two legs must do the same work: same cells, same amounts, on page 1."""
    served = [item["amount"]["amount"] for item in body["items"]]
    selected = [format(row["amount"].quantize(CENTS), "f") for row in rows[:page_size]]
    if served != selected:
        raise BenchStopped(f"{name}: the endpoint and its SQL return different cells")


async def measure(
    scenario: Scenario, service_url: str, database_url: str, token: str, args: argparse.Namespace
) -> dict[str, Any]:
    query = scenario.query()
    sql, sql_args = first_page_sql(query, args.page_size)
    headers = {"Authorization": f"Bearer {token}"}
    http_ms: list[float] = []
    sql_ms: list[float] = []
    connection = await asyncpg.connect(database_url)
    try:
        async with httpx.AsyncClient(base_url=service_url, headers=headers, timeout=120) as client:
            _, body = await run_http(client, scenario.params(args.page_size))
            _, rows = await run_sql(connection, sql, sql_args)
            check_parity(body, rows, args.page_size, scenario.name)
            for number in range(args.warmup + args.requests):
                # Alternate which leg goes first, so neither always runs on a cache the other warmed.
                for leg in ("http", "sql") if number % 2 == 0 else ("sql", "http"):
                    if leg == "http":
                        elapsed, _ = await run_http(client, scenario.params(args.page_size))
                        if number >= args.warmup:
                            http_ms.append(elapsed)
                    else:
                        elapsed, _ = await run_sql(connection, sql, sql_args)
                        if number >= args.warmup:
                            sql_ms.append(elapsed)
        payments_ms = []
        if args.payments_runs:
            raw_sql, raw_args = first_page_sql(query, args.page_size, over_payments=True)
            for _ in range(args.payments_runs):
                elapsed, _ = await run_sql(connection, raw_sql, raw_args)
                payments_ms.append(elapsed)
    finally:
        await connection.close()
    http, bare = summary(http_ms), summary(sql_ms)
    result: dict[str, Any] = {
        "scenario": scenario.name,
        "cells_on_page": len(body["items"]),
        "http": http,
        "sql": bare,
        "ratio_p50": round(http["p50_ms"] / bare["p50_ms"], 2),
        "ratio_p95": round(http["p95_ms"] / bare["p95_ms"], 2),
    }
    if payments_ms:
        result["sql_over_payments"] = summary(payments_ms)
    return result


def verdicts(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    judged = []
    for result in results:
        for target, value, met in (
            ("http ÷ sql at p50 ≤ 1.5", result["ratio_p50"], result["ratio_p50"] <= RATIO_LIMIT),
            ("http ÷ sql at p95 ≤ 1.5", result["ratio_p95"], result["ratio_p95"] <= RATIO_LIMIT),
            ("http p95 < 1000 ms", result["http"]["p95_ms"], result["http"]["p95_ms"] < P95_LIMIT_MS),
        ):
            judged.append({"scenario": result["scenario"], "target": target, "value": value, "met": met})
    return judged


def print_results(results: list[dict[str, Any]], judged: list[dict[str, Any]]) -> None:
    print(f"\n{'scenario':<30}{'leg':<10}{'p50 ms':>10}{'p95 ms':>10}{'runs':>6}")
    for result in results:
        for leg in ("http", "sql", "sql_over_payments"):
            if leg in result:
                figures = result[leg]
                print(
                    f"{result['scenario']:<30}{leg:<10}{figures['p50_ms']:>10.1f}{figures['p95_ms']:>10.1f}{figures['runs']:>6}"
                )
        print(f"{'':<30}{'http÷sql':<10}{result['ratio_p50']:>10.2f}{result['ratio_p95']:>10.2f}")
    print("\ntargets")
    for verdict in judged:
        print(
            f"  {'met' if verdict['met'] else 'MISSED':<8}{verdict['scenario']:<30}{verdict['target']:<26}{verdict['value']}"
        )


async def table_sizes(database_url: str) -> dict[str, int]:
    connection = await asyncpg.connect(database_url)
    try:
        names = (
            "payments",
            "spend_department_monthly",
            "spend_department_quarterly",
            "spend_category_yearly",
        )
        counts = {}
        for name in names:  # constants: no input reaches this SQL
            counts[name] = int(await connection.fetchval(f"SELECT count(*) FROM vendors.{name}"))  # noqa: S608
        return counts
    finally:
        await connection.close()


def load(url: str, args: argparse.Namespace) -> None:
    began = time.perf_counter()
    if args.scale is not None:
        from cli.seed import load_scaled_data

        load_scaled_data(url, args.scale)
    else:
        print(f"Loading {args.vendors} vendors and {args.payments} payment lines…", flush=True)
        asyncio.run(load_spend(url, vendors=args.vendors, payments=args.payments))
    print(f"  loaded in {time.perf_counter() - began:.0f} s", flush=True)


def benchmark(args: argparse.Namespace, run_dir: Path, record: dict[str, Any]) -> list[dict[str, Any]]:
    secret = secrets.token_urlsafe(32)
    token = mint_token(secret, sub="cityops-bench", scopes="procurement:read")
    with ExitStack() as stack:
        if args.database_url:
            url = args.database_url
        else:
            server_url = stack.enter_context(postgres_server(configured_server()))
            url = stack.enter_context(fresh_database(server_url, prefix="cityops_bench_reports"))
            load(url, args)
        record["table_rows"] = asyncio.run(table_sizes(url))
        print(f"rows: {record['table_rows']}", flush=True)
        env = {
            "CITYOPS_JWT_SECRET": secret,
            "CITYOPS_SECRET_KEY": secret + "-pages",
            "CITYOPS_LOG_LEVEL": "WARNING",
            "CITYOPS_VENDORS_DATABASE_URL": url,
        }
        service = Server("service", "services.vendors.app:create_app", env, run_dir)
        stack.callback(service.stop)
        service.start()
        results = []
        for scenario in SCENARIOS:
            print(f"measuring {scenario.name}…", flush=True)
            results.append(asyncio.run(measure(scenario, service.url, url, token, args)))
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    started = datetime.now(UTC)
    run_dir = args.results_dir / (started.strftime("%Y%m%dT%H%M%SZ") + "-reports")
    run_dir.mkdir(parents=True)
    record: dict[str, Any] = {
        "started_at": started.isoformat(),
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
        "settings": {name: str(value) for name, value in vars(args).items() if name != "database_url"},
    }
    results = benchmark(args, run_dir, record)
    record["results"] = results
    record["targets"] = verdicts(results)
    record["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    (run_dir / "results.json").write_text(json.dumps(record, indent=2))
    print_results(results, record["targets"])
    print(
        f"\nload average: {record['load_average_at_start']} → {record['load_average_at_end']}; {run_dir}/results.json"
    )
    return 0 if all(verdict["met"] for verdict in record["targets"]) else 1


def entry_point() -> None:
    try:
        sys.exit(main())
    except (ServerFailed, BenchStopped) as exc:
        print(f"bench stopped: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    entry_point()
