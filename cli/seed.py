"""Demo data: each service's, loaded by `cityops seed` and on a first `cityops run`."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import exists, select

from services.common.db import create_engine
from services.vendors.registry.models import VendorRow

DEMO_MODULE = "services.vendors.demo"

DemoLoader = Callable[..., Coroutine[Any, Any, int]]


class DemoDataUnavailable(Exception):
    pass


def demo_loader() -> DemoLoader:
    """`load_demo_data(database_url, [scale]) -> int` of the vendors service."""
    try:
        module = importlib.import_module(DEMO_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != DEMO_MODULE:
            raise
        raise DemoDataUnavailable(f"This build has no demo data ({DEMO_MODULE} is missing).") from exc
    loader: DemoLoader = module.load_demo_data
    return loader


def load_demo_data(database_url: str, scale: int | None = None) -> int:
    """Loads the demo data; returns how many records were written."""
    loader = demo_loader()
    arguments: dict[str, Any] = {}
    if scale is not None:
        if "scale" not in inspect.signature(loader).parameters:
            raise DemoDataUnavailable("This build's demo data has a fixed size: leave out --scale.")
        arguments["scale"] = scale
    return asyncio.run(loader(database_url, **arguments))


ASSETS_DEMO_MODULE = "services.assets.demo"


def load_assets_demo_data(database_url: str) -> int:
    """Loads the real-estate registry's demo sites into an empty registry; returns how many assets were
    written (0 when it already held some)."""
    module = importlib.import_module(ASSETS_DEMO_MODULE)
    loader: DemoLoader = module.load_demo_data
    return asyncio.run(loader(database_url))


def load_scaled_assets(database_url: str, scale: float, console: Any = None) -> Any:
    """`cityops seed --scale N`: the real-estate inventory (services.assets.seeding) behind a progress
    bar; returns its SeedResult (`loaded` False when the registry already held assets)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from services.assets.seeding.loader import load_scale_data

    columns = (
        TextColumn("[bold]{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console or Console(stderr=True)) as progress:
        tasks: dict[str, Any] = {}

        def show(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        return asyncio.run(load_scale_data(database_url, scale, progress=show))


def has_vendors(database_url: str) -> bool:
    """Whether the registry holds any vendor: a first start has none, so the demo data goes in then."""

    async def check() -> bool:
        engine = create_engine(database_url, pool_size=1, max_overflow=0)
        try:
            async with engine.connect() as connection:
                return bool(await connection.scalar(select(exists().select_from(VendorRow))))
        finally:
            await engine.dispose()

    return asyncio.run(check())


def load_scaled_data(database_url: str, scale: float, console: Any = None) -> Any:
    """`cityops seed --scale N`: the scaled dataset (services.vendors.seeding) behind a progress bar;
    returns its SeedResult (with `plan` None when the registry already held vendors)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from services.vendors.seeding.loader import load_scale_data

    columns = (
        TextColumn("[bold]{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console or Console(stderr=True)) as progress:
        tasks: dict[str, Any] = {}

        def show(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        return asyncio.run(load_scale_data(database_url, scale, progress=show))
