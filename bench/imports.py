"""The import benchmark: a payment file loaded through the imports API, against bare COPY of it.

One fresh database with realistic vendors; one file of N payment lines (default 1,000,000) naming
them as a paying system would (by identifier or by name, some sub-tier lines), and the same lines
resolved (vendor ids instead of names) for the second baseline. Timed in the same run:

- **bare COPY**: the file COPYed as it is into a table of text columns: what PostgreSQL needs just to
  take the bytes in;
- **COPY into payments**: the resolved lines COPYed into `vendors.payments`, with its keys, indexes and
  triggers: what storing the facts costs however they arrive;
- **import**: the file POSTed to the vendors service (a real uvicorn process), streamed, staged,
  checked, matched and merged, until the 201 with the report;
- optionally **import through the gateway** (`--import-through-gateway`): the same through the gateway,
  asynchronously (`Prefer: respond-async`), until the report says `completed`.

It prints the times and the ratios (the import's speed over each baseline's), which the target is
judged on: the import at least half the speed of bare COPY.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uuid_utils.compat as uuid_utils

from bench.database import configured_server, fresh_database, postgres_server
from bench.dataset import load_vendors
from bench.processes import Server
from services.common.auth import mint_token
from services.common.clock import fiscal_year
from services.common.reference import DEPARTMENTS

IMPORTS_URL = "/v1/procurement/imports"
CSV_COLUMNS = (
    "external_ref", "vendor_identifier_scheme", "vendor_identifier", "vendor_name", "tier",
    "prime_vendor_identifier_scheme", "prime_vendor_identifier", "prime_vendor_name", "department",
    "category_scheme", "category_code", "amount", "currency", "paid_date",
)  # fmt: skip
RESOLVED_COLUMNS = (
    "id", "vendor_id", "prime_vendor_id", "department", "category_scheme", "category_code", "amount",
    "currency", "paid_date", "fiscal_year", "tier", "external_ref", "created_at",
)  # fmt: skip
UPLOAD_BLOCK = 1024 * 1024
SEED = 20_260_701
TARGET = 0.5
SUB_TIER = 0.03
BY_NAME = 0.4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--import-lines",
        type=int,
        default=1_000_000,
        help="payment lines in the import file (default 1000000)",
    )
    parser.add_argument(
        "--import-vendors", type=int, default=20_000, help="vendors the file's lines name (default 20000)"
    )
    parser.add_argument(
        "--import-through-gateway",
        action="store_true",
        help="also time the import through the gateway, asynchronously (Prefer: respond-async)",
    )


@dataclass(frozen=True)
class Firm:
    id: str
    scheme: str | None
    identifier: str | None
    name: str | None  # only when the name is unique once normalised
    codes: list[str]
    weight: float


async def _firms(database_url: str, rng: random.Random) -> list[Firm]:
    """The loaded vendors a paying system can name: by an identifier, or by a name no other vendor has."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            """
            SELECT v.id::text AS id, v.legal_name, v.identifiers::text AS identifiers,
                   count(*) OVER (PARTITION BY v.normalized_name) AS namesakes,
                   coalesce((SELECT array_agg(c.code) FROM vendors.vendor_commodity_codes AS c
                             WHERE c.vendor_id = v.id AND c.scheme = 'nigp'), '{}') AS codes
            FROM vendors.vendors AS v WHERE v.status <> 'merged' ORDER BY v.id
            """
        )
    finally:
        await connection.close()
    firms = []
    for row in rows:
        identifiers = json.loads(row["identifiers"])
        first = identifiers[0] if identifiers else {}
        name = row["legal_name"] if row["namesakes"] == 1 else None
        if not first and name is None:
            continue
        firms.append(
            Firm(
                row["id"],
                first.get("scheme"),
                first.get("id"),
                name,
                list(row["codes"]) or ["962-00"],
                rng.lognormvariate(0, 2),
            )
        )
    return firms


def write_files(firms: list[Firm], lines: int, folder: Path, rng: random.Random) -> tuple[Path, Path]:
    """The file a paying system sends (CSV_COLUMNS) and the same lines resolved (RESOLVED_COLUMNS)."""
    upload, resolved = folder / "payments.csv", folder / "payments-resolved.csv"
    weights = [firm.weight for firm in firms]
    departments = sorted(DEPARTMENTS)
    today = datetime.now(UTC).date()
    year = fiscal_year(today) - 1
    start = date(year - 1, 7, 1)
    created = datetime.now(UTC).isoformat()
    with upload.open("w", newline="") as raw_file, resolved.open("w", newline="") as resolved_file:
        raw, fact = csv.writer(raw_file), csv.writer(resolved_file)
        raw.writerow(CSV_COLUMNS)
        fact.writerow(RESOLVED_COLUMNS)
        for number, (firm, prime) in enumerate(_pairs(firms, weights, lines, rng), start=1):
            tier = "sub" if prime is not None else "prime"
            paid = start + timedelta(days=rng.randrange(365))
            amount = f"{max(1.0, rng.lognormvariate(7.5, 1.6)):.2f}"
            department = rng.choice(departments)
            code = rng.choice(firm.codes)
            ref = f"BENCH-{number:09d}"
            raw.writerow(
                (ref, *_named(firm, rng), tier, *(_named(prime, rng) if prime else ("", "", "")), department,
                 "nigp", code, amount, "USD", paid.isoformat())
            )  # fmt: skip
            fact.writerow(
                (uuid_utils.uuid7(), firm.id, prime.id if prime else "", department, "nigp", code, amount,
                 "USD", paid.isoformat(), fiscal_year(paid), tier, ref, created)
            )  # fmt: skip
    return upload, resolved


def _pairs(
    firms: list[Firm], weights: list[float], lines: int, rng: random.Random
) -> Iterator[tuple[Firm, Firm | None]]:
    """(vendor paid, its prime on a sub line) for every line, vendors drawn by weight, in batches."""
    remaining = lines
    while remaining:
        batch = min(remaining, 100_000)
        for firm in rng.choices(firms, weights, k=batch):
            prime = rng.choice(firms) if rng.random() < SUB_TIER else None
            yield firm, prime if prime is not None and prime.id != firm.id else None
        remaining -= batch


def _named(firm: Firm, rng: random.Random) -> tuple[str, str, str]:
    if firm.name is not None and (firm.identifier is None or rng.random() < BY_NAME):
        return "", "", firm.name
    return firm.scheme or "", firm.identifier or "", ""


async def _timed_copy(
    database_url: str, table: str, columns: tuple[str, ...], path: Path, schema: str | None = None
) -> float:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("SET jit = off")
        began = time.perf_counter()
        await connection.copy_to_table(
            table, source=path, columns=list(columns), schema_name=schema, format="csv", header=True
        )
        return time.perf_counter() - began
    finally:
        await connection.close()


async def bare_copy(database_url: str, path: Path) -> float:
    """COPY of the file as it is into a table of text columns."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            f"CREATE TABLE bench_bare_copy ({', '.join(f'{c} text' for c in CSV_COLUMNS)})"
        )
    finally:
        await connection.close()
    seconds = await _timed_copy(database_url, "bench_bare_copy", CSV_COLUMNS, path)
    await _execute(database_url, "DROP TABLE bench_bare_copy")
    return seconds


async def copy_into_payments(database_url: str, path: Path) -> float:
    """COPY of the resolved lines into the payments table, then emptied again for the import."""
    seconds = await _timed_copy(database_url, "payments", RESOLVED_COLUMNS, path, schema="vendors")
    await _execute(database_url, "TRUNCATE vendors.payments")
    return seconds


async def _execute(database_url: str, *statements: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while block := file.read(UPLOAD_BLOCK):
            yield block


def import_through(base_url: str, token: str, path: Path, asynchronous: bool) -> tuple[float, dict[str, Any]]:
    """Seconds from the first byte sent to the final report, and the report."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    if asynchronous:
        headers["Prefer"] = "respond-async"
    with httpx.Client(base_url=base_url, timeout=httpx.Timeout(3600, connect=10)) as client:
        began = time.perf_counter()
        response = client.post(
            IMPORTS_URL,
            params={"kind": "payments", "filename": path.name},
            content=_blocks(path),
            headers=headers,
        )
        if response.status_code not in (201, 202):
            raise RuntimeError(f"the import was refused: {response.status_code} {response.text[:1000]}")
        report: dict[str, Any] = response.json()
        while report["status"] == "processing":
            time.sleep(0.2)
            report = client.get(response.headers["location"], headers=headers).json()
        return time.perf_counter() - began, report


def _servers(
    stack: ExitStack, database_url: str, secret: str, log_dir: Path, gateway: bool
) -> dict[str, Server]:
    platform = {
        "CITYOPS_JWT_SECRET": secret,
        "CITYOPS_SECRET_KEY": secret + "-pages",
        "CITYOPS_LOG_LEVEL": "WARNING",
    }
    servers = {
        "service": Server(
            "import-service",
            "services.vendors.app:create_app",
            # The synchronous import of a million lines runs past a request's deadline, which is
            # sized for interactive calls; the benchmark times it whole, as an operator's import would.
            {
                **platform,
                "CITYOPS_VENDORS_DATABASE_URL": database_url,
                "CITYOPS_VENDORS_REQUEST_DEADLINE": "0",
            },
            log_dir,
        )
    }
    if gateway:
        servers["gateway"] = Server(
            "import-gateway",
            "gateway.app:create_app",
            {**platform, "CITYOPS_VENDORS_URL": servers["service"].url},
            log_dir,
        )
    for server in servers.values():
        stack.callback(server.stop)
        server.start()
    return servers


def benchmark(args: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    """Every leg once, on one database; the figures, ratios and verdicts for results.json."""
    secret = secrets.token_urlsafe(32)
    token = mint_token(secret, sub="cityops-bench", scopes="procurement:read procurement:write")
    figures: dict[str, Any] = {"lines": args.import_lines, "vendors": args.import_vendors}
    with ExitStack() as stack:
        server_url = stack.enter_context(postgres_server(configured_server()))
        database_url = stack.enter_context(fresh_database(server_url, prefix="cityops_bench_imports"))
        print(
            f"Loading {args.import_vendors} vendors and writing {args.import_lines} payment lines…",
            flush=True,
        )
        asyncio.run(load_vendors(database_url, args.import_vendors))
        rng = random.Random(SEED)
        upload, resolved = write_files(
            asyncio.run(_firms(database_url, rng)), args.import_lines, run_dir, rng
        )
        figures["file_bytes"] = upload.stat().st_size
        asyncio.run(_execute(database_url, "VACUUM ANALYZE"))
        print("timing bare COPY, COPY into payments, then the import…", flush=True)
        figures["bare_copy_seconds"] = round(asyncio.run(bare_copy(database_url, upload)), 2)
        figures["copy_into_payments_seconds"] = round(
            asyncio.run(copy_into_payments(database_url, resolved)), 2
        )
        servers = _servers(stack, database_url, secret, run_dir, args.import_through_gateway)
        seconds, report = import_through(servers["service"].url, token, upload, asynchronous=False)
        figures["import_seconds"] = round(seconds, 2)
        figures["import_report"] = {
            key: report[key] for key in ("rows", "loaded", "already_present", "failed")
        }
        if args.import_through_gateway:
            asyncio.run(_execute(database_url, "TRUNCATE vendors.payments"))
            seconds, report = import_through(servers["gateway"].url, token, upload, asynchronous=True)
            figures["import_through_gateway_seconds"] = round(seconds, 2)
            figures["import_through_gateway_report"] = {
                key: report[key] for key in ("status", "loaded", "failed")
            }
        for path in (upload, resolved):
            path.unlink()
    figures["ratios"] = {
        "import_vs_bare_copy": figures["bare_copy_seconds"] / figures["import_seconds"],
        "import_vs_copy_into_payments": figures["copy_into_payments_seconds"] / figures["import_seconds"],
    }
    figures["targets"] = [
        {
            "target": f"the import at least half the speed of {baseline}",
            "ratio": ratio,
            "value": figures["ratios"][ratio],
            "threshold": f">= {TARGET}",
            "met": figures["ratios"][ratio] >= TARGET,
        }
        for ratio, baseline in (
            ("import_vs_bare_copy", "bare COPY of the file"),
            ("import_vs_copy_into_payments", "COPY of the same lines into payments"),
        )
    ]
    print(format_figures(figures))
    return figures


def format_figures(figures: dict[str, Any]) -> str:
    def row(label: str, seconds: float, report: Any = "") -> str:
        return f"  {label:<46}{seconds:>9.2f} s   {report}".rstrip()

    lines = [
        "",
        f"import of {figures['lines']:,} payment lines ({figures['file_bytes'] / 1e6:.0f} MB), "
        f"{figures['vendors']:,} vendors",
        row("bare COPY of the file (text columns)", figures["bare_copy_seconds"]),
        row("COPY of the resolved lines into payments", figures["copy_into_payments_seconds"]),
        row("import through the service (201)", figures["import_seconds"], figures["import_report"]),
    ]
    if "import_through_gateway_seconds" in figures:
        lines.append(
            row(
                "import through the gateway (202, polled)",
                figures["import_through_gateway_seconds"],
                figures["import_through_gateway_report"],
            )
        )
    lines += ["", "ratios (speed of the import over the baseline's)"]
    lines += [f"  {key:<46}{value:>9.2f}" for key, value in figures["ratios"].items()]
    for verdict in figures["targets"]:
        status = "met" if verdict["met"] else "MISSED"
        lines.append(f"  {status:<13}{verdict['target']} ({verdict['value']:.2f} {verdict['threshold']})")
    return "\n".join(lines)
