"""One runner for a service's background work (imports today; scheduled syncs and webhook deliveries next),
drained when the service stops.

`app.state.tasks.submit(work, *args)` runs `work(session, *args)` after the caller moved on, in a unit
of work of its own: it commits when `work` returns and rolls back when it raises. Work that must carry
on a transaction the caller already began (an import merges what its request staged) hands that session
over with `session=`; the runner then commits or rolls back and closes it the same way. A failure is
logged with the task's name, and `on_failure(session)`, if given, records it in a transaction of its
own, after the work's has rolled back.

Routers and services never create tasks themselves: a task nobody keeps a reference to can be collected
mid-run, and one nobody waits for is cut off at shutdown with its transaction half done. On shutdown the
runner takes no new work and waits for the running tasks, up to a bound; those still running then are
cancelled, and their transactions roll back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.unit_of_work import Sessions, unit_of_work

logger = logging.getLogger("cityops.tasks")

Work = Callable[..., Awaitable[None]]
FailureRecorder = Callable[[AsyncSession], Awaitable[None]]


class TaskRunner:
    def __init__(self, sessions: Callable[[], Sessions]) -> None:
        # Read when a task starts, not when the runner is made: tests replace an app's sessions.
        self._sessions = sessions
        self._running: set[asyncio.Task[None]] = set()
        self._draining = False

    @property
    def running(self) -> int:
        return len(self._running)

    def submit(
        self,
        work: Work,
        *args: Any,
        session: AsyncSession | None = None,
        on_failure: FailureRecorder | None = None,
    ) -> asyncio.Task[None]:
        """Starts `work(session, *args)` in the background; the task is kept until it ends."""
        if self._draining:
            raise RuntimeError("The service is stopping: it takes no new background work.")
        name = getattr(work, "__qualname__", repr(work))
        task = asyncio.create_task(self._run(name, work, args, session, on_failure), name=name)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def drain(self, seconds: float) -> None:
        """Takes no new work and waits up to `seconds` for the running tasks; cancels the rest."""
        self._draining = True
        if not self._running:
            return
        _, late = await asyncio.wait(set(self._running), timeout=seconds)
        if late:
            logger.warning(
                "background tasks cancelled at shutdown", extra={"tasks": sorted(t.get_name() for t in late)}
            )
            for task in late:
                task.cancel()
            await asyncio.wait(late)  # let them unwind: their sessions roll back and close

    async def _run(
        self,
        name: str,
        work: Work,
        args: tuple[Any, ...],
        session: AsyncSession | None,
        on_failure: FailureRecorder | None,
    ) -> None:
        try:
            if session is None:
                async with unit_of_work(self._sessions()) as opened:
                    await work(opened, *args)
            else:
                await _carry_on(session, work, args)
        except Exception:
            logger.exception("background task failed", extra={"task": name})
            if on_failure is not None:
                await self._record_failure(name, on_failure)

    async def _record_failure(self, name: str, on_failure: FailureRecorder) -> None:
        try:
            async with unit_of_work(self._sessions()) as session:
                await on_failure(session)
        except Exception:
            logger.exception("the failure of a background task could not be recorded", extra={"task": name})


async def _carry_on(session: AsyncSession, work: Work, args: tuple[Any, ...]) -> None:
    """`work` on a session whose transaction its caller began: committed if it returns, closed either way
    (closing rolls back what was not committed)."""
    try:
        await work(session, *args)
        await session.commit()
    finally:
        # A broken connection may be why the work failed: it is discarded, and the server rolls back.
        with contextlib.suppress(Exception):
            await session.close()
