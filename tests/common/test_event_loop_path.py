"""Every dependency of every route of every service runs on the event loop.

FastAPI runs a plain `def` dependency, and a class whose `__init__` takes the query (a filter object),
in a worker thread: each such call puts a thread hop and a hand-over of the GIL on the request's path,
and under load those hand-overs are where the latency's tail comes from. A dependency is an `async def`
(or an async generator) instead."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from cli.openapi import build_app
from cli.services import SERVICES


def calls(dependant: Any) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from calls(sub)


def runs_on_the_loop(call: Callable[..., Any]) -> bool:
    if inspect.isclass(call):
        return False
    target = call if inspect.isroutine(call) else getattr(call, "__call__", call)  # noqa: B004
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_no_dependency_runs_in_a_worker_thread(spec) -> None:
    app = build_app(spec)
    dependants = [
        context.route.dependant
        for context in iter_route_contexts(app.routes)
        if isinstance(context.route, APIRoute)
    ]
    assert len(dependants) > 10, "the walk no longer sees through FastAPI's included routers"
    threaded = sorted(
        {
            f"{getattr(call, '__module__', '?')}.{getattr(call, '__qualname__', repr(call))}"
            for dependant in dependants
            for call in [*calls(dependant), dependant.call]
            if not runs_on_the_loop(call)
        }
    )
    assert threaded == []


def test_the_check_tells_a_threaded_dependency_from_one_on_the_loop() -> None:
    class Filters:
        def __init__(self, status: str | None = None) -> None:
            self.status = status

    def plain() -> int:
        return 1

    async def awaited() -> int:
        return 1

    async def generated() -> Any:
        yield 1

    assert [runs_on_the_loop(call) for call in (Filters, plain, awaited, generated)] == [
        False,
        False,
        True,
        True,
    ]
