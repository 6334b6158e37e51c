"""RFC 9457 problem details for every error a client can see.

Domain code raises `AppError` subclasses; the handlers installed by `install_problem_handlers` turn those,
FastAPI's validation errors, Starlette's 404/405 and any unexpected exception into
`application/problem+json`. A 500 names the request id and nothing internal.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any, ClassVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.observability import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
logger = logging.getLogger("cityops.problems")


def problem_type(slug: str) -> str:
    """The stable, machine-readable `type` of a problem: clients switch on it, never on `title`."""
    return f"urn:cityops:problem:{slug}"


class FieldError(BaseModel):
    location: list[str | int] = Field(
        description="Where the error is: ['body', 'legal_name'], ['query', 'page_size']…"
    )
    message: str
    code: str = Field(description="A machine key such as `missing`, `string_too_long`, `enum`.")


class Problem(BaseModel):
    """An RFC 9457 problem document. Further members may appear (e.g. `allowed_transitions`)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(default=None, description="The request id of the failed request.")
    errors: list[FieldError] | None = None


class AppError(Exception):
    """Base of every error a client may see. Subclasses fix `status`, `slug` and `title`."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def to_problem(self) -> Problem:
        return Problem(
            type=problem_type(self.slug),
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=current_request_id(),
            **self.extra,
        )


class BadRequest(AppError):
    pass


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


class ValidationFailed(AppError):
    status, slug, title = 422, "validation-error", "The request is not valid"


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


def _field_errors(errors: Sequence[Any]) -> list[FieldError]:
    return [
        FieldError(location=list(e.get("loc", ())), message=e.get("msg", ""), code=e.get("type", "invalid"))
        for e in errors
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
    for template, path_item in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {method.upper() for method in path_item if method in _HTTP_METHODS}
    return ", ".join(sorted(methods))


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
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


# PostgreSQL's class 22, "data exception": a value the database cannot take (a NUL character, a number
# out of range). Past the request's validation, such a value still came from the client.
_DATA_EXCEPTION_CLASS = "22"


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if not str(sqlstate or "").startswith(_DATA_EXCEPTION_CLASS):
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


def problem_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problems a route can answer with."""
    responses: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        entry = responses.setdefault(
            error.status,
            {
                "description": error.title,
                "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            },
        )
        if entry["description"] != error.title:
            entry["description"] = f"{entry['description']}; {error.title}"
    return responses


def problem_schema_components() -> dict[str, Any]:
    """The component schemas (Problem, FieldError) every service's OpenAPI document carries."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components: dict[str, Any] = schema.pop("$defs", {})
    components["Problem"] = schema
    return components
