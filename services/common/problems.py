"""RFC 9457 problem details for every error a client can see.

Domain code raises `AppError` subclasses; the handlers installed by `install_problem_handlers` turn those,
FastAPI's validation errors, Starlette's 404/405 and any unexpected exception into
`application/problem+json`. A 500 names the request id and nothing internal.

A database that cannot serve (unreachable, connection lost, too slow) is not a 500 but a 503 with
`Retry-After`, which the gateway and clients retry; the outage is logged when it starts and when it ends,
not once per refused request. `RequestDeadlineMiddleware` bounds each request in time.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterator, Sequence
from http import HTTPStatus
from typing import Annotated, Any, ClassVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from pydantic import ConfigDict, Field
from pydantic.config import JsonDict
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.observability import current_request_id
from services.common.wire import INT32_MAX, WireModel

PROBLEM_MEDIA_TYPE = "application/problem+json"
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
logger = logging.getLogger("cityops.problems")


def problem_type(slug: str) -> str:
    """The stable, machine-readable `type` of a problem: clients switch on it, never on `title`."""
    return f"urn:cityops:problem:{slug}"


# Bounds of what a problem says about the request, which the handlers hold to by cutting what is longer:
# a location's parts are field names, indexes and the keys a client sent; a message may quote a value.
LOCATION_PART_MAX_LENGTH = 200
LOCATION_MAX_DEPTH = 32
MESSAGE_MAX_LENGTH = 2000
MAX_FIELD_ERRORS = 100
SHORT_TEXT = 200
# Stated here rather than by the document's completion (`bound_formats`), so that the problem schemas
# are the same in every document, the gateway's included, whoever completes it.
INT32_FORMAT: JsonDict = {"format": "int32"}

LocationPart = (
    Annotated[str, Field(max_length=LOCATION_PART_MAX_LENGTH)]
    | Annotated[int, Field(ge=0, le=INT32_MAX, json_schema_extra=INT32_FORMAT)]
)
Names = Annotated[list[Annotated[str, Field(max_length=SHORT_TEXT)]], Field(max_length=SHORT_TEXT)]


class FieldError(WireModel):
    location: list[LocationPart] = Field(
        max_length=LOCATION_MAX_DEPTH,
        description="Where the error is: ['body', 'legal_name'], ['query', 'page_size']…",
    )
    message: str = Field(max_length=MESSAGE_MAX_LENGTH)
    code: str = Field(
        max_length=SHORT_TEXT, description="A machine key such as `missing`, `string_too_long`, `enum`."
    )


class Problem(WireModel):
    """An RFC 9457 problem document. Switch on `type`; the members after `instance` appear with the
    problems that carry them, and further members may appear."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    type: str = Field(
        default="about:blank",
        max_length=SHORT_TEXT,
        description="A stable URI (`urn:cityops:problem:<slug>`) naming the problem; the operation's "
        "responses list the types each status can carry.",
    )
    title: str = Field(max_length=SHORT_TEXT)
    status: int = Field(ge=100, le=599, json_schema_extra=INT32_FORMAT)
    detail: str | None = Field(default=None, max_length=MESSAGE_MAX_LENGTH)
    instance: str | None = Field(
        default=None, max_length=SHORT_TEXT, description="The request id of the failed request."
    )
    errors: list[FieldError] | None = Field(
        default=None,
        max_length=MAX_FIELD_ERRORS,
        description=f"Every 422: each invalid field, with where it is (`location`); the first "
        f"{MAX_FIELD_ERRORS}.",
    )
    allowed_transitions: Names | None = Field(
        default=None, description="`invalid-transition`: the statuses the record can move to from now."
    )
    current_status: str | None = Field(
        default=None,
        max_length=SHORT_TEXT,
        description="A refused status change or action: the record's status now.",
    )
    current_etag: str | None = Field(
        default=None,
        max_length=SHORT_TEXT,
        description="`precondition-failed`: the resource's `ETag` now; read it again before retrying.",
    )
    required_scopes: Names | None = Field(
        default=None,
        description="`forbidden`: the token scopes the operation needs (one of them suffices "
        "where the operation lists them as alternatives).",
    )
    line: Annotated[int, Field(ge=1, le=INT32_MAX, json_schema_extra=INT32_FORMAT)] | None = Field(
        default=None, description="A refused CSV upload: the line of the file where it broke."
    )


class ValidationProblem(Problem):
    """A 422: the request is well-formed but not valid; `errors` says where."""

    errors: list[FieldError] = Field(
        max_length=MAX_FIELD_ERRORS,
        description=f"Each invalid field, with where it is (`location`); the first {MAX_FIELD_ERRORS}.",
    )


class AppError(Exception):
    """Base of every error a client may see. Subclasses fix `status`, `slug` and `title`."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"
    # The schema the OpenAPI document gives this problem (every 422 carries `errors`).
    schema: ClassVar[type[Problem]] = Problem

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    @classmethod
    def type_uri(cls) -> str:
        return problem_type(cls.slug)

    def to_problem(self) -> Problem:
        extra = self.extra
        if self.status == 422 and not extra.get("errors"):
            # Every 422 lists `errors`, so that clients read one shape: a rule broken by the body as a
            # whole (or by a value the database refused) is an error of the body.
            extra = {
                **extra,
                "errors": [
                    FieldError(
                        location=["body"],
                        message=str(_cut(self.detail or self.title, MESSAGE_MAX_LENGTH)),
                        code=self.slug,
                    )
                ],
            }
        if isinstance(extra.get("errors"), list) and len(extra["errors"]) > MAX_FIELD_ERRORS:
            # The first MAX_FIELD_ERRORS, as for a request's validation errors: the bound the document states.
            extra = {**extra, "errors": extra["errors"][:MAX_FIELD_ERRORS]}
        return Problem(
            type=problem_type(self.slug),
            title=self.title,
            status=self.status,
            detail=_cut(self.detail, MESSAGE_MAX_LENGTH),
            instance=current_request_id(),
            **extra,
        )


class BadRequest(AppError):
    pass


class InvalidEntityTag(AppError):
    """`If-Match` that is neither `*` nor a list of entity-tags (RFC 9110 §8.8.3, §13.1.1), such as an
    unquoted `v2`: a malformed request field, so 400 at once, not a precondition that failed (412)."""

    slug, title = "invalid-entity-tag", "If-Match is not an entity-tag"


class InvalidParameter(AppError):
    """A query or path parameter out of its domain, where a standard the route follows answers 400 rather
    than the platform's 422 (OGC API - Features). `errors` names the parameter, as a 422's would."""

    slug, title = "invalid-parameter", "A parameter is not valid"


class InvalidPageToken(AppError):
    slug, title = "invalid-page-token", "The page token is invalid or belongs to another query"


class Unauthorized(AppError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(AppError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(AppError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class Conflict(AppError):
    status, slug, title = 409, "conflict", "Conflict"


class InvalidTransition(AppError):
    status, slug, title = 409, "invalid-transition", "This status change is not allowed"


class PreconditionFailed(AppError):
    status, slug, title = 412, "precondition-failed", "The resource has changed since you read it"


class PayloadTooLarge(AppError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class UnprocessableEntity(AppError):
    status, slug, title = 422, "unprocessable-entity", "The request cannot be processed"
    schema = ValidationProblem


class ValidationFailed(AppError):
    status, slug, title = 422, "validation-error", "The request is not valid"
    schema = ValidationProblem


class PreconditionRequired(AppError):
    status, slug, title = 428, "precondition-required", "This request must be conditional: send If-Match"


class TooManyRequests(AppError):
    status, slug, title = 429, "rate-limited", "Too many requests"


class InternalError(AppError):
    status, slug, title = 500, "internal-error", "Internal error"


class ServiceUnavailable(AppError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


class GatewayTimeout(AppError):
    status, slug, title = 504, "gateway-timeout", "Upstream timed out"


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _cut(text: str | None, length: int) -> str | None:
    """`text` within `length` characters: a problem quoting a client's value stays within its bounds."""
    return text if text is None or len(text) <= length else text[: length - 1] + "…"


def _location(loc: Sequence[Any]) -> list[str | int]:
    return [
        part
        if isinstance(part, int) and 0 <= part <= INT32_MAX
        else str(_cut(str(part), LOCATION_PART_MAX_LENGTH))
        for part in list(loc)[:LOCATION_MAX_DEPTH]
    ]


def _field_errors(errors: Sequence[Any]) -> list[FieldError]:
    return [
        FieldError(
            location=_location(e.get("loc", ())),
            message=str(_cut(e.get("msg", ""), MESSAGE_MAX_LENGTH)),
            code=str(_cut(e.get("type", "invalid"), SHORT_TEXT)),
        )
        for e in errors[:MAX_FIELD_ERRORS]
    ]


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(exc.to_problem(), exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problem = ValidationFailed(
        "One or more fields are invalid; see `errors`.", errors=_field_errors(exc.errors())
    ).to_problem()
    return problem_response(problem)


_STATUS_ERRORS: dict[int, type[AppError]] = {
    cls.status: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, PayloadTooLarge)
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # FastAPI's answer to a JSON body that is not even text (bad UTF-8): malformed JSON is a 422
        # with `errors`, so this is too, rather than a 400 no operation documents.
        return problem_response(
            ValidationFailed(
                "The request body is not valid JSON text.",
                errors=[FieldError(location=["body"], message="Invalid UTF-8 in JSON", code="json_invalid")],
            ).to_problem()
        )
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request, headers.get("Allow", ""))
    error_class = _STATUS_ERRORS.get(exc.status_code)
    if error_class is None:
        problem = Problem(title=str(exc.detail), status=exc.status_code, instance=current_request_id())
    else:
        detail = None if exc.detail in (None, error_class.title) else str(exc.detail)
        if exc.status_code == 404 and exc.detail == "Not Found":
            detail = "No resource lives at this path."
        if exc.status_code == 405:
            detail = "This path does not accept that method."
        problem = error_class(detail).to_problem()
    return problem_response(problem, headers)


def _allowed_methods(request: Request, allow: str) -> str:
    """Every method the path answers to, for `Allow`.

    Starlette lists only the methods of the first route matching the path, and each operation is a
    route of its own: `/vendors` would advertise POST but not GET. The OpenAPI document knows them all.
    """
    methods = {method.strip().upper() for method in allow.split(",") if method.strip()}
    # A route's own pattern honours its convertors (`{lease_id:uuid}` takes no `critical-dates`); a
    # template without a route of that form is matched with any segment for each parameter.
    route_patterns: dict[str, list[re.Pattern[str]]] = {}
    for route in iter_route_contexts(request.app.routes):  # included routers' routes are not flat
        path_format, path_regex = route.path_format, getattr(route, "path_regex", None)
        if path_format and path_regex is not None:
            route_patterns.setdefault(path_format, []).append(path_regex)
    for template, path_item in request.app.openapi().get("paths", {}).items():
        patterns = route_patterns.get(template) or [
            re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)))
        ]
        if any(pattern.fullmatch(request.url.path) for pattern in patterns):
            methods |= {method.upper() for method in path_item if method in _HTTP_METHODS}
    return ", ".join(sorted(methods))


class DatabaseUnreachable(Exception):
    """No connection to the database could be opened: refused, no such socket, or no answer in time.

    asyncpg raises these as bare OSError and TimeoutError, which SQLAlchemy passes on unwrapped; the
    engine (`db.create_engine`) renames them where the connection is opened, so that they cannot be
    mistaken for any other OSError a request might meet."""


# Seconds a client is asked to wait after a database failure: about what a restart of the database
# (crash recovery included) takes on a small instance.
DATABASE_RETRY_AFTER_SECONDS = 3
# SQLSTATE classes that say the database cannot serve now, not that the request is wrong: 08 connection
# exception, 53 insufficient resources (too many connections), 57 operator intervention (statement
# timeout, shutdown, still starting up).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")


def database_unavailable(exc: BaseException) -> str | None:
    """Why the database could not serve, when that is what `exc` (or what caused it) says; else None."""
    for error in _causes(exc):
        if isinstance(error, DatabaseUnreachable):
            return f"cannot connect ({error})"
        if isinstance(error, PoolTimeout):
            return "no connection free in the pool in time"
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return f"connection lost ({error.orig})"
        sqlstate = str(
            getattr(error, "sqlstate", None) or getattr(getattr(error, "orig", None), "sqlstate", "")
        )
        if sqlstate[:2] in _UNAVAILABLE_SQLSTATE_CLASSES:
            return f"SQLSTATE {sqlstate} ({getattr(error, 'orig', None) or error})"
        if isinstance(error, ConnectionError | TimeoutError):
            return f"{type(error).__name__} ({error})"
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


class OutageLog:
    """Logs that the database stopped serving once, when it happens, and once when it serves again, with
    how many requests were refused meanwhile: one line each, never a traceback per failed request."""

    def __init__(self, name: str = "database") -> None:
        self.name = name
        self.down_since: float | None = None
        self.refused = 0

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def failed(self, reason: str) -> None:
        self.refused += 1
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.error(f"{self.name} unavailable: {reason}", extra={"outage": "started", "reason": reason})

    def recovered(self) -> None:
        if self.down_since is None:
            return
        seconds = time.monotonic() - self.down_since
        logger.warning(
            f"{self.name} available again after {seconds:.1f} s; {self.refused} request(s) refused meanwhile",
            extra={"outage": "ended", "outage_seconds": round(seconds, 1), "refused": self.refused},
        )
        self.down_since, self.refused = None, 0


# A process without an app-level log (the gateway, a bare test app) shares this one.
_process_outage = OutageLog()


def outage_log(app: Any) -> OutageLog:
    """The app's database outage log (`app.state.database_outage`, set up with its readiness probe)."""
    log = getattr(getattr(app, "state", None), "database_outage", None)
    return log if isinstance(log, OutageLog) else _process_outage


def _unavailable_response(request: Request, reason: str, detail: str) -> JSONResponse:
    outage_log(request.scope.get("app")).failed(reason)
    error = ServiceUnavailable(detail, headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})
    return problem_response(error.to_problem(), error.headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    reason = database_unavailable(exc)
    if reason is not None:
        return _unavailable_response(
            request,
            reason,
            "The service's database cannot serve this request now. Try again after `Retry-After` seconds; "
            "retry a create with the same Idempotency-Key, so that it is never applied twice.",
        )
    logger.exception("unhandled error", exc_info=exc)
    problem = InternalError(
        "An unexpected error occurred. Quote the request id (`instance`) when reporting it."
    ).to_problem()
    return problem_response(problem)


class UnexpectedErrorMiddleware:
    """Answers an exception that no handler took with the 500 problem, while the request is still known.

    Starlette runs `Exception` handlers in its outermost middleware, after ours have returned: there the
    request id is already gone, so the problem would name none, the response would carry no X-Request-ID
    and the error log line no request id. Installed inside `ObservabilityMiddleware`, this one answers
    first; the handler from `install_problem_handlers` stays as the last resort for the middleware above.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if response_started:
                raise
            response = await _unexpected_error(Request(scope), exc)
            await response(scope, receive, send)


class RequestDeadlineMiddleware:
    """Gives each request `seconds` to start its response; past that, answers 503 and cancels its work.

    The gateway gives up on a service after its own timeouts. A request still running then would go on
    to commit a write whose client was told it failed: cancelled instead, its session closes and its
    transaction rolls back (a commit already sent when the deadline falls may still land; the
    Idempotency-Key of a retry settles that). The 503 goes out at the deadline while the cancelled work
    finishes its cleanup, which on a stuck connection takes SQLAlchemy up to two more seconds.
    A response that has started (a long export streaming) is not cut: its statements have their own
    bound, the database's statement timeout.

    The work runs in the request's own task, under a timer: no task per request. A task of its own, with
    another to watch for the response's start, put two more turns of the event loop on every request's
    path, and a turn of a loaded loop is tens of milliseconds; only a request past its deadline now gets
    a task, the one that sends its 503.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        task = asyncio.current_task()
        assert task is not None
        cancelling = task.cancelling()
        started = False
        answer: asyncio.Task[None] | None = None  # the 503, once the deadline has passed

        async def send_unless_abandoned(message: Message) -> None:
            nonlocal started
            if answer is not None:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        def at_deadline() -> None:
            nonlocal answer
            if started:
                return
            answer = asyncio.ensure_future(self._unavailable(scope, receive, send))
            task.cancel()

        timer = asyncio.get_running_loop().call_later(self.seconds, at_deadline)
        try:
            await self.app(scope, receive, send_unless_abandoned)
        except asyncio.CancelledError:
            # Ours is taken back; a cancellation from elsewhere (the server shutting down) goes on.
            if answer is None or task.uncancel() > cancelling:
                raise
        except Exception:
            if answer is None:
                raise
            task.uncancel()
            logger.warning("a request stopped at its deadline failed while cleaning up", exc_info=True)
        else:
            if answer is not None:  # the work swallowed its cancellation
                task.uncancel()
        finally:
            timer.cancel()
        if answer is not None:
            await answer  # the 503 has gone out before the request ends

    async def _unavailable(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _unavailable_response(
            Request(scope),
            f"requests ran past their {self.seconds:g} s deadline",
            f"The request did not complete within {self.seconds:g} s and was stopped. Try again after "
            "`Retry-After` seconds; retry a create with the same Idempotency-Key, so that it is never "
            "applied twice.",
        )
        await response(scope, receive, send)


# PostgreSQL's class 22, "data exception": a value the database cannot take (a NUL character, a number
# out of range). Past the request's validation, such a value still came from the client.
_DATA_EXCEPTION_CLASS = "22"


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if not str(sqlstate or "").startswith(_DATA_EXCEPTION_CLASS):  # unavailable, or unexpected
        return await _unexpected_error(request, exc)
    logger.info("database refused a value", extra={"sqlstate": sqlstate})
    problem = ValidationFailed(
        "A value in the request cannot be stored (for example a NUL character or a number out of range)."
    ).to_problem()
    return problem_response(problem)


def install_problem_handlers(app: Starlette) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


PROBLEM_TYPES_KEY = "x-problem-types"


def problem_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problems a route can answer with: per status, the
    problem `type` URIs it can carry (listed in the description and, for machines, in `x-problem-types`)
    and the schema that holds their members."""
    responses: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        add_problem(responses, error)
    return responses


def add_problem(responses: dict[Any, dict[str, Any]], error: type[AppError]) -> None:
    """Adds `error` to the response of its status in `responses` (keys int or str), made if missing."""
    key: int | str = str(error.status) if any(isinstance(k, str) for k in responses) else error.status
    entry = responses.get(error.status) or responses.get(str(error.status))
    if entry is None or PROBLEM_TYPES_KEY not in entry:
        entry = responses[key] = {
            "description": f"{HTTPStatus(error.status).phrase}. The problem's `type` is one of:",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": _schema_ref(error.schema)}},
            PROBLEM_TYPES_KEY: [],
        }
    if error.type_uri() in entry[PROBLEM_TYPES_KEY]:
        return
    entry[PROBLEM_TYPES_KEY].append(error.type_uri())
    entry["description"] += f"\n- `{error.type_uri()}`: {error.title}"
    schema = entry["content"][PROBLEM_MEDIA_TYPE]["schema"]
    if schema != _schema_ref(error.schema):
        entry["content"][PROBLEM_MEDIA_TYPE]["schema"] = _schema_ref(Problem)


def _schema_ref(schema: type[Problem]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{schema.__name__}"}


def problem_schema_components() -> dict[str, Any]:
    """The component schemas (Problem, ValidationProblem, FieldError) every service's document carries."""
    components: dict[str, Any] = {}
    for model in (Problem, ValidationProblem):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    return components
