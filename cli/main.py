"""The `cityops` command: run the platform, serve one process, migrate, seed, mint tokens, snapshot APIs.

Each command imports what it needs when it runs, so that `cityops token` answers quickly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote

import typer

from cli.keys import DEVELOPMENT_SCOPES, jwt_secret
from cli.services import PROCESSES, SERVICES, ProcessName, ProcessSpec, ServiceName
from services.common.settings import PlatformSettings


class ImportKindChoice(StrEnum):
    """The choices of `cityops import --kind` (the imports API's kinds)."""

    payments = "payments"
    vendors = "vendors"


app = typer.Typer(
    name="cityops",
    help="CityOps: the open backend for a city's operations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def run(
    demo_data: Annotated[
        bool, typer.Option("--demo-data/--no-demo-data", help="Load the demo data into an empty registry.")
    ] = True,
    log_to_terminal: Annotated[
        bool,
        typer.Option("--log-to-terminal", help="Show the processes' logs here instead of <data dir>/logs."),
    ] = False,
) -> None:
    """Run the whole platform: database, migrations, every service and the gateway. Ctrl-C stops it."""
    from cli.run import RunOptions, run_platform

    raise typer.Exit(run_platform(RunOptions(demo_data=demo_data, log_to_terminal=log_to_terminal)))


@app.command()
def serve(
    process: Annotated[ProcessName, typer.Argument(help="The service (or the gateway) to run.")],
    host: Annotated[
        str | None, typer.Option(help="Address to bind; default CITYOPS_HOST or 127.0.0.1.")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port; default CITYOPS_<PROCESS>_PORT.")] = None,
) -> None:
    """Run one process under uvicorn, configured from the environment (what a container runs)."""
    from cli.serve import serve as serve_process

    spec = PROCESSES[process.value]
    if spec.has_database and not spec.database_url():
        typer.echo(
            f"No database configured for {spec.name}: set {spec.env_prefix}DATABASE_URL or "
            "CITYOPS_DATABASE_URL, or run the whole platform with `cityops run`.",
            err=True,
        )
        raise typer.Exit(2)
    serve_process(spec, host=host, port=port)


@app.command()
def migrate(
    service: Annotated[ServiceName | None, typer.Argument(help="One service; default all.")] = None,
    revision: Annotated[str, typer.Option(help="The alembic revision to upgrade to.")] = "head",
) -> None:
    """Apply migrations (to the embedded database when none is configured)."""
    from cli import migrate as migrations

    for spec in _chosen(service):
        with _database_of(spec) as url:
            migrations.upgrade(url, services=(spec.name,), revision=revision)
            typer.echo(f"{spec.name}: migrated to {revision} in {_where(url)}.")


@app.command()
def seed(
    scale: Annotated[
        float | None,
        typer.Option(
            min=0.0001,
            max=10.0,
            help="Load a realistic dataset instead of the demo data: 1 is one Los Angeles fiscal year (about "
            "20,000 active vendors, 1,500 solicitations with bids, awards and contracts, 2,000,000 payment "
            "lines, $8.2B) and the City's real-estate portfolio (about 7,500 parcels and 9,000 assets); "
            "0.01 is a hundredth of it.",
        ),
    ] = None,
) -> None:
    """Load the demo data, or a scaled dataset (to the embedded database when none is configured)."""
    from cli import migrate as migrations
    from cli.seed import (
        DemoDataUnavailable,
        load_assets_demo_data,
        load_demo_data,
        load_scaled_assets,
        load_scaled_data,
    )

    assets = PROCESSES["assets"]
    with _database_of(assets) as url:
        migrations.upgrade(url, services=(assets.name,))
        if scale is None:
            loaded = load_assets_demo_data(url)
            typer.echo(f"Real-estate demo data loaded: {loaded} assets." if loaded else _ASSETS_HELD)
        else:
            inventory = load_scaled_assets(url, scale)
            typer.echo(
                f"Loaded the real-estate inventory at scale {scale:g} in {inventory.seconds} s: "
                f"{inventory.parcels:,} parcels, {inventory.assets:,} assets, {inventory.links:,} parcel links."
                if inventory.loaded
                else _ASSETS_HELD
            )
    vendors = PROCESSES["vendors"]
    with _database_of(vendors) as url:
        migrations.upgrade(url, services=(vendors.name,))
        if scale is not None:
            result = load_scaled_data(url, scale)
            if result.plan is None:
                typer.echo("The registry already holds vendors: no data loaded.")
                return
            typer.echo(
                f"Loaded fiscal year {result.plan.fiscal_year} at scale {scale:g} in {result.seconds} s: "
                f"{result.vendors:,} vendors ({result.active_vendors:,} active), {result.solicitations:,} "
                f"solicitations, {result.bids:,} bids, {result.contracts:,} contracts, "
                f"{result.subcontracts:,} subcontracts, {result.payment_lines:,} payment lines "
                f"(${result.spend:,.2f})."
            )
            return
        try:
            count = load_demo_data(url)
        except DemoDataUnavailable as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
    if count:
        typer.echo(f"Demo data loaded: {count} records.")
    else:
        typer.echo("The registry already holds vendors: no demo data loaded.")


_ASSETS_HELD = "The real-estate registry already holds assets: no data loaded."


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV file.")],
    kind: Annotated[ImportKindChoice, typer.Option(help="What the file holds.")],
    url: Annotated[
        str, typer.Option(help="The gateway (or the vendors service) to send it to.")
    ] = "http://127.0.0.1:8000",
    token: Annotated[
        str | None,
        typer.Option(
            envvar="CITYOPS_TOKEN",
            help="A bearer token with procurement:write; default, a development token signed with the "
            "secret `cityops run` uses.",
        ),
    ] = None,
) -> None:
    """Import a CSV file of payments or vendors through the API, with a progress bar and the report."""
    import httpx
    from rich.console import Console

    from cli.importer import ImportRefused, ImportTarget, summary, upload

    console = Console()
    target = ImportTarget(
        base_url=url.rstrip("/"), token=token or _development_token("procurement:read procurement:write")
    )
    try:
        report = upload(file, kind.value, target, console)
    except ImportRefused as exc:
        typer.echo(f"Refused: {exc}", err=True)
        raise typer.Exit(2) from exc
    except httpx.HTTPError as exc:
        typer.echo(f"Could not reach {url}: {exc}", err=True)
        raise typer.Exit(2) from exc
    for line in summary(report):
        typer.echo(line)
    if report["status"] != "completed":
        raise typer.Exit(2)
    if report["failed"]:
        raise typer.Exit(1)


@app.command()
def token(
    scope: Annotated[str, typer.Option(help="Space-separated scopes.")] = DEVELOPMENT_SCOPES,
    sub: Annotated[str, typer.Option(help="The subject: who the token speaks for.")] = "developer",
    dept: Annotated[str | None, typer.Option(help="Department code, for department users.")] = None,
    vendor: Annotated[
        str | None, typer.Option(help="Vendor id, for a supplier's user (with the procurement:bid scope).")
    ] = None,
    ttl: Annotated[int, typer.Option(min=60, help="Lifetime in seconds.")] = 8 * 3600,
) -> None:
    """Print a development JWT signed with the secret `cityops run` uses."""
    from services.common.auth import mint_token

    settings = PlatformSettings()
    secret = jwt_secret(settings)
    scopes = " ".join(scope.split())
    if not scopes:
        raise typer.BadParameter("give at least one scope", param_hint="--scope")
    typer.echo(
        mint_token(
            secret,
            sub=sub,
            scopes=scopes,
            dept=dept,
            vendor=vendor,
            audience=settings.jwt_audience,
            ttl_seconds=ttl,
        )
    )


@app.command()
def openapi() -> None:
    """Regenerate the committed OpenAPI snapshots of every service and the gateway."""
    from cli.openapi import write_snapshots

    written = write_snapshots()
    for path in written:
        typer.echo(f"wrote {path}")
    if not written:
        typer.echo("Every OpenAPI snapshot is up to date.")


def _development_token(scopes: str) -> str:
    """A short-lived token signed with the secret `cityops run` uses (development only)."""
    from services.common.auth import mint_token

    settings = PlatformSettings()
    return mint_token(
        jwt_secret(settings),
        sub="cityops-cli",
        scopes=scopes,
        audience=settings.jwt_audience,
        ttl_seconds=3600,
    )


def _where(url: str) -> str:
    from cli.database import displayable

    data_dir = PlatformSettings().data_dir
    if str(data_dir.resolve()) in unquote(url):
        return f"the embedded PostgreSQL of {data_dir}"
    return displayable(url)


def _chosen(service: ServiceName | None) -> tuple[ProcessSpec, ...]:
    return SERVICES if service is None else (PROCESSES[service.value],)


@contextmanager
def _database_of(spec: ProcessSpec) -> Iterator[str]:
    configured = spec.database_url()
    if configured:
        yield configured
        return
    from cli.database import embedded_platform_database

    with embedded_platform_database(PlatformSettings().data_dir) as url:
        yield url


if __name__ == "__main__":
    app()
