"""The sandbox clock: outside production, the platform's time moves forward on request, never back.

Rules that span days (a protest window of business days, a tender period, a 90-day decision) can then
be taken through the API in one sitting, the way Stripe's test clocks let an integrator pass a billing
cycle. Each service keeps how far its time runs ahead of the system clock (`ahead_by`) in a one-row
table of its own schema, `sandbox_clock`; every reading of "now" (`services.common.clock`) adds it.

- A process reads its row at most once a second (`REFRESH_SECONDS`), on a request's way in, before and
  outside that request's queue for a session (`Sessions.scalar_unqueued`): reading the time costs no
  query in the common case, and a replica that did not take a change follows within a second.
- `GET /sandbox/clock` and `PUT /sandbox/clock` at each process's root, behind the scope `sandbox:clock`,
  read and set `ahead_by`. A PUT that would move time back is refused (409), in SQL, so two racing
  changes cannot move it back either. The gateway serves the public API (`/v1/sandbox/clock`) and sets
  one offset on every service.
- While time is simulated, every response says so in `CityOps-Simulated-Time`.
- In production (`CITYOPS_ENVIRONMENT=production`) none of this is installed: no routes, no reads, the
  system clock.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Interval,
    MetaData,
    SmallInteger,
    Table,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.auth import Principal, TokenVerifier
from services.common.clock import PLATFORM_CLOCK, PlatformClock, utcnow
from services.common.problems import AppError, Forbidden, Unauthorized
from services.common.unit_of_work import Sessions, unit_of_work
from services.common.wire import Duration, Timestamp, WireModel

SCOPE = "sandbox:clock"
SIMULATED_TIME_HEADER = "CityOps-Simulated-Time"
REFRESH_SECONDS = 1.0
NOT_AHEAD = timedelta(0)
# Operational paths answer without the clock: a liveness probe must not wait on the database.
UNCLOCKED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class ClockMovesForwardOnly(AppError):
    status, slug, title = 409, "clock-moves-forward-only", "The sandbox clock only moves forward"


class SandboxClock(WireModel):
    """The platform's time as the sandbox clock has it."""

    now: AwareDatetime = Field(description="The platform's current time, the one every rule reads.")
    simulated: bool = Field(description="Whether the platform's time runs ahead of the real time.")
    ahead_by: Duration = Field(description="How far ahead of the real time, as an ISO 8601 duration.")


class ClockAdvance(WireModel):
    """Where to move the platform's time: `by` a duration, or `to` an instant. Never back."""

    model_config = ConfigDict(extra="forbid")

    by: Duration | None = Field(default=None, description="An ISO 8601 duration, e.g. `P3D`, `PT36H`.")
    to: Timestamp | None = Field(default=None, description="An RFC 3339 timestamp with offset.")

    @model_validator(mode="after")
    def _one_way_of_moving(self) -> ClockAdvance:
        if (self.by is None) == (self.to is None):
            raise ValueError("give exactly one of `by` and `to`")
        if self.by is not None and self.by <= NOT_AHEAD:
            raise ValueError("`by` must be a positive duration: the sandbox clock only moves forward")
        return self


class ClockOffset(WireModel):
    """What the gateway sets on each service: how far its time runs ahead of the real time."""

    model_config = ConfigDict(extra="forbid")

    ahead_by: Annotated[timedelta, Field(ge=NOT_AHEAD)]


def sandbox_clock_table(metadata: MetaData) -> Table:
    """A service's one-row `sandbox_clock` (the row exists once time was first moved)."""
    return Table(
        "sandbox_clock",
        metadata,
        Column("id", SmallInteger, primary_key=True, autoincrement=False),
        Column("ahead_by", Interval, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        CheckConstraint("id = 1", name="one_row"),
    )


def reading(clock: PlatformClock = PLATFORM_CLOCK) -> SandboxClock:
    return SandboxClock(now=clock.now(), simulated=clock.offset > NOT_AHEAD, ahead_by=clock.offset)


def rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class SandboxClockStore:
    """A service's `sandbox_clock` row, and the process's clock kept in step with it."""

    def __init__(self, table: Table, clock: PlatformClock = PLATFORM_CLOCK) -> None:
        self.table = table
        self.clock = clock
        self._fresh_until = 0.0
        self._reading = False

    async def refresh(self, sessions: Sessions) -> None:
        """Reads the row when the last reading is over a second old; concurrent requests meanwhile go on
        with the last reading rather than each sending the same query."""
        if time.monotonic() < self._fresh_until or self._reading:
            return
        self._reading = True
        try:
            stored = await sessions.scalar_unqueued(select(self.table.c.ahead_by))
        finally:
            self._reading = False
        self._keep(stored if stored is not None else NOT_AHEAD)

    async def move(self, sessions: Sessions, ahead_by: timedelta) -> None:
        """Sets the offset, or refuses (409) one behind the stored one."""
        t = self.table
        proposed = insert(t).values(id=1, ahead_by=ahead_by)
        statement = proposed.on_conflict_do_update(
            index_elements=[t.c.id],
            set_={"ahead_by": proposed.excluded.ahead_by, "updated_at": func.now()},
            where=t.c.ahead_by <= proposed.excluded.ahead_by,
        ).returning(t.c.ahead_by)
        async with unit_of_work(sessions) as session:
            stored = await session.scalar(statement)
        if stored is None:
            await self.refresh_now(sessions)
            raise ClockMovesForwardOnly(
                f"The platform's time is already {rfc3339(self.clock.now())}; it cannot move back."
            )
        self._keep(stored)

    async def refresh_now(self, sessions: Sessions) -> None:
        self._fresh_until = 0.0
        await self.refresh(sessions)

    def _keep(self, ahead_by: timedelta) -> None:
        self.clock.offset = ahead_by
        self._fresh_until = time.monotonic() + REFRESH_SECONDS


class SandboxClockMiddleware:
    """Keeps the process's clock in step with the service's row, and marks every response while the
    platform's time is simulated."""

    def __init__(self, app: ASGIApp, store: SandboxClockStore) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNCLOCKED_PATHS:
            await self.app(scope, receive, send)
            return
        await self.store.refresh(scope["app"].state.sessions)
        if self.store.clock.offset == NOT_AHEAD:
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                simulated = (SIMULATED_TIME_HEADER.lower().encode(), rfc3339(utcnow()).encode())
                message["headers"] = [*message.get("headers", []), simulated]
            await send(message)

        await self.app(scope, receive, marked)


async def authorize(headers: Headers, verifier: TokenVerifier) -> Principal:
    """The caller, who must hold `sandbox:clock` (401 without a valid token, 403 without the scope)."""
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Send `Authorization: Bearer <token>`.", headers={"WWW-Authenticate": 'Bearer realm="cityops"'}
        )
    principal = await verifier.verify(token.strip())
    if not principal.has(SCOPE):
        raise Forbidden(
            f"Moving the sandbox clock needs the scope {SCOPE}.",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{SCOPE}"'},
            required_scopes=[SCOPE],
        )
    return principal


Body = TypeVar("Body", bound=BaseModel)


async def parse_body(request: Request, model: type[Body]) -> Body:
    """The JSON body as `model`, or the usual 422 `validation-error` naming the fields."""
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        errors: list[Any] = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors) from None


def clock_response(clock: SandboxClock) -> JSONResponse:
    return JSONResponse(clock.model_dump(mode="json"))


def service_sandbox_routes(store: SandboxClockStore) -> list[Route]:
    """A service's operational routes: `GET /sandbox/clock` and `PUT /sandbox/clock` (`ClockOffset`)."""

    async def read(request: Request) -> JSONResponse:
        await authorize(request.headers, request.app.state.token_verifier)
        return clock_response(reading(store.clock))

    async def move(request: Request) -> JSONResponse:
        await authorize(request.headers, request.app.state.token_verifier)
        offset = await parse_body(request, ClockOffset)
        await store.move(request.app.state.sessions, offset.ahead_by)
        return clock_response(reading(store.clock))

    return [
        Route("/sandbox/clock", read, methods=["GET"], include_in_schema=False),
        Route("/sandbox/clock", move, methods=["PUT"], include_in_schema=False),
    ]
