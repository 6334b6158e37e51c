"""The background task runner: work runs in a unit of work of its own, a failure is logged and rolled back,
and a stopping service waits for what is running."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import insert, select

from services.common.db import new_id

from .conftest import SECRET
from .kernel_app import create_kernel_app, items, kernel_settings


def new_tag() -> str:
    return f"task-{uuid.uuid4().hex[:12]}"


@contextmanager
def capturing(caplog, level: int) -> Iterator[None]:
    """Captures the runner's log lines; configure_logging, run by each app made in a test, drops the
    handler caplog put on the root logger."""
    runner = logging.getLogger("cityops.tasks")
    runner.addHandler(caplog.handler)
    try:
        with caplog.at_level(level, logger="cityops.tasks"):
            yield
    finally:
        runner.removeHandler(caplog.handler)


async def names_of(engine, tag: str) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.scalars(select(items.c.name).where(items.c.tag == tag).order_by(items.c.name))
        return list(rows)


async def add_item(session, tag: str, name: str) -> None:
    await session.execute(insert(items).values(id=new_id(), tag=tag, name=name, rank=0, version=1))


async def add_item_then_fail(session, tag: str) -> None:
    await add_item(session, tag, "half done")
    raise RuntimeError("the work broke after writing")


async def test_a_submitted_task_runs_and_commits(make_kernel_app, kernel_schema):
    app, tag = await make_kernel_app(), new_tag()

    await app.state.tasks.submit(add_item, tag, "done")

    assert await names_of(kernel_schema, tag) == ["done"]
    assert app.state.tasks.running == 0


async def test_a_failed_task_is_logged_rolled_back_and_its_failure_recorded(
    make_kernel_app, kernel_schema, caplog
):
    app, tag = await make_kernel_app(), new_tag()

    async def record_failure(session) -> None:
        await add_item(session, tag, "failure recorded")

    with capturing(caplog, logging.ERROR):
        await app.state.tasks.submit(add_item_then_fail, tag, on_failure=record_failure)

    assert await names_of(kernel_schema, tag) == ["failure recorded"]
    [logged] = [record for record in caplog.records if record.name == "cityops.tasks"]
    assert logged.getMessage() == "background task failed"
    assert logged.task == "add_item_then_fail"
    assert "the work broke after writing" in str(logged.exc_info[1])


async def test_a_session_handed_over_is_committed_and_closed(make_kernel_app, kernel_schema):
    """Work that carries on a transaction its caller began (an import's staging) ends in the runner."""
    app, tag = await make_kernel_app(), new_tag()
    begun = app.state.sessions.writer()
    await add_item(begun, tag, "begun by the caller")

    await app.state.tasks.submit(add_item, tag, "finished by the task", session=begun)

    assert await names_of(kernel_schema, tag) == ["begun by the caller", "finished by the task"]
    assert not begun.in_transaction()


async def test_a_session_handed_over_is_rolled_back_when_the_work_fails(make_kernel_app, kernel_schema):
    app, tag = await make_kernel_app(), new_tag()
    begun = app.state.sessions.writer()
    await add_item(begun, tag, "begun by the caller")

    await app.state.tasks.submit(add_item_then_fail, tag, session=begun)

    assert await names_of(kernel_schema, tag) == []
    assert not begun.in_transaction()


async def test_shutdown_waits_for_a_running_task(database_url, kernel_schema):
    app, tag = create_kernel_app(kernel_settings(database_url, SECRET)), new_tag()
    release = asyncio.Event()

    async def slow(session) -> None:
        await add_item(session, tag, "before the wait")
        await release.wait()
        await add_item(session, tag, "after the wait")

    lifespan = LifespanManager(app)
    await lifespan.__aenter__()
    app.state.tasks.submit(slow)
    stopping = asyncio.create_task(lifespan.__aexit__(None, None, None))
    await asyncio.sleep(0.2)

    assert not stopping.done()  # still waiting for the task
    with pytest.raises(RuntimeError, match="no new background work"):
        app.state.tasks.submit(slow)
    release.set()
    await stopping
    assert await names_of(kernel_schema, tag) == ["after the wait", "before the wait"]


async def test_shutdown_cancels_a_task_still_running_past_the_bound(database_url, kernel_schema, caplog):
    app = create_kernel_app(kernel_settings(database_url, SECRET, task_drain_seconds=0.2))
    tag = new_tag()

    async def endless(session) -> None:
        await add_item(session, tag, "never committed")
        await asyncio.Event().wait()

    with capturing(caplog, logging.WARNING):
        async with LifespanManager(app):
            app.state.tasks.submit(endless)
            await asyncio.sleep(0.05)

    assert await names_of(kernel_schema, tag) == []
    assert app.state.tasks.running == 0
    assert any(r.getMessage() == "background tasks cancelled at shutdown" for r in caplog.records)
