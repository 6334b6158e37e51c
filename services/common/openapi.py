"""OpenAPI conventions, derived from the routes so that every service inherits them.

- operationIds: the route function's name, `<tag>_<action>` (`vendors_list`).
- Security: one OAuth2 client-credentials scheme with every platform scope; each operation's
  requirement comes from the auth dependency its route uses (`requires`, `requires_one_of`,
  `optional_token`): the scopes it needs, alternatives listed, `{}` first where a token is optional,
  `[]` where none is read.
- Problems: every error is `application/problem+json`; each response lists the problem `type` URIs it
  can carry (`x-problem-types` and the description). Besides what a route declares, the kernel adds
  what it answers itself: 401/403 from the auth dependency, 422 for parameters and bodies, 400/412/428
  for `If-Match`, 409/422 for `Idempotency-Key`, 400 for page tokens, 413 for bodies, 500 and 503 always.
- Headers, declared once in `components.headers` and referenced where the kernel sends them:
  `X-Request-ID` on every response, `ETag` where the route sets it, `Location` on 201 and 202,
  `Idempotent-Replayed` on the answers of keyed POSTs, `Retry-After` on 429 and 503.
- A description of every success response instead of FastAPI's "Successful Response".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from services.common.auth import PLATFORM_SCOPES, TokenRule, token_rule
from services.common.concurrency import ETAG_MAX_LENGTH, ETAG_PATTERN, IF_MATCH_PATTERN
from services.common.idempotency import REPLAYED_HEADER
from services.common.observability import REQUEST_ID_MAX_LENGTH, REQUEST_ID_PATTERN
from services.common.problems import (
    PROBLEM_TYPES_KEY,
    AppError,
    Conflict,
    Forbidden,
    InternalError,
    InvalidEntityTag,
    InvalidPageToken,
    InvalidParameter,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    Unauthorized,
    UnprocessableEntity,
    ValidationFailed,
    add_problem,
    problem_schema_components,
)
from services.common.wire import (
    DATE_MAX_LENGTH,
    INT32_MAX,
    INT64_MAX,
    TIMESTAMP_MAX_LENGTH,
    UUID_MAX_LENGTH,
)

SECURITY_SCHEME = "oauth2"
# The platform issues no tokens itself: production tokens come from the City's identity provider,
# development ones from `cityops token`. OpenAPI requires a token URL for the client-credentials flow;
# the provider's is not known here, so this one is a placeholder under `.invalid` (RFC 2606), which no
# client can mistake for a working endpoint; the scheme's description says where tokens come from.
TOKEN_URL = "https://identity-provider.invalid/oauth2/token"  # noqa: S105 (an address, not a secret)
# Where a document gives a string with one of these formats no `maxLength`, the longest text of that
# format the server reads (services/common/wire.py): pydantic's UUID parser refuses anything longer, and
# dates and instants in a body or a query are the kernel's `IsoDate` and `Timestamp`, which check their
# length; the server writes none longer.
FORMAT_MAX_LENGTHS = {
    "uuid": UUID_MAX_LENGTH,
    "date": DATE_MAX_LENGTH,
    "date-time": TIMESTAMP_MAX_LENGTH,
}
LOCATION_MAX_LENGTH = 2048
# Where the platform is reached: the gateway in development, then wherever this document is served from.
GATEWAY_URL = "http://127.0.0.1:8000"
# `x-internal`: whether a server is for the City's own staff and systems only. Every environment's
# gateway is the public way in; the local one a developer starts is not reachable from outside.
SERVERS: list[dict[str, Any]] = [
    {
        "url": GATEWAY_URL,
        "description": "Local development: the CityOps gateway as `make run` starts it",
        "x-internal": True,
    },
    {
        "url": "/",
        "description": "The host that serves this document, in any environment (local, sandbox, "
        "production): the gateway, or a service directly",
        "x-internal": False,
    },
]
_ANSWERS_ALWAYS: tuple[type[AppError], ...] = (InternalError, ServiceUnavailable)
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch"})
_RETRY_AFTER_STATUSES = ("429", "503")


def oauth2_scheme() -> dict[str, Any]:
    return {
        "type": "oauth2",
        "description": "Bearer JWTs: send `Authorization: Bearer <token>`. In production the City's identity "
        "provider issues them by the client-credentials grant, and services verify them against its JWKS "
        "(`CITYOPS_JWT_JWKS_URL`); the `tokenUrl` below is a placeholder for that provider's endpoint, "
        "which the platform does not know. The platform itself has no token endpoint: in "
        'development, mint a token with `cityops token --scope "procurement:read procurement:write"` '
        "(signed with `CITYOPS_JWT_SECRET`; `make run` prints one with every scope). Claims: `sub`, `scope` "
        "(space-separated), `aud` = `cityops`, `exp`, and optionally `dept` and `vendor`. Tokens are "
        "verified as RFC8725 (JSON Web Token Best Current Practices) asks: the algorithm is one of a fixed "
        "list for each kind of key (HS256 for the development secret; RS256, ES256 or PS256 for the "
        "provider's keys), never `none` and never chosen by the token alone, and `aud`, `exp` and `sub` "
        "are required.",
        "flows": {"clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": dict(PLATFORM_SCOPES)}},
    }


def response_headers() -> dict[str, Any]:
    """`components.headers`: every response header the kernel or the gateway sends."""
    integer = {"type": "integer", "format": "int32", "minimum": 0, "maximum": INT32_MAX}
    return {
        "X-Request-ID": {
            "description": "The request's id: the one sent in `X-Request-ID`, or one made for it. Quote it "
            "when reporting a problem (it is also the problem's `instance`).",
            "schema": {"type": "string", "pattern": REQUEST_ID_PATTERN, "maxLength": REQUEST_ID_MAX_LENGTH},
        },
        "ETag": {
            "description": 'The version of the resource as a strong entity-tag, quotes included (`"v3"`). '
            "Send it back in `If-Match` to change the resource.",
            "schema": {"type": "string", "pattern": ETAG_PATTERN, "maxLength": ETAG_MAX_LENGTH},
        },
        "Location": {
            "description": "The path of the resource created (or of the import to poll).",
            "schema": {"type": "string", "format": "uri-reference", "maxLength": LOCATION_MAX_LENGTH},
        },
        REPLAYED_HEADER: {
            "description": "`true` when this is the stored answer to an earlier request with the same "
            "`Idempotency-Key`, not a new action.",
            "schema": {"type": "string", "enum": ["true"]},
        },
        "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "schema": {**integer, "minimum": 1},
        },
        "RateLimit-Limit": {
            "description": "Requests the client may make in the gateway's window (set by the gateway).",
            "schema": integer,
        },
        "RateLimit-Remaining": {
            "description": "Requests left to the client in the window (set by the gateway).",
            "schema": integer,
        },
        "RateLimit-Reset": {
            "description": "Seconds until the window frees a request (set by the gateway).",
            "schema": integer,
        },
    }


_EXAMPLES_KEY = "x-json-examples"


def json_examples(*, request: Any = None, **responses: Any) -> dict[str, Any]:
    """A route's `openapi_extra` with an example of its JSON body and of its answers by status:
    `openapi_extra=json_examples(request=CREATE, status_201=CREATED)`.

    FastAPI drops every null from the document it renders, examples included (a `Vendor` without its
    `merged_into_id: null` would not match its own schema); the kernel puts the examples in place after
    that, from the route (`_document_examples`)."""
    examples = {key.removeprefix("status_"): example for key, example in responses.items()}
    if request is not None:
        examples["request"] = request
    return {_EXAMPLES_KEY: examples}


def _document_examples(operation: dict[str, Any], route: Any) -> None:
    operation.pop(_EXAMPLES_KEY, None)
    examples = (getattr(route, "openapi_extra", None) or {}).get(_EXAMPLES_KEY, {})
    for where, example in examples.items():
        body = (
            operation.get("requestBody", {}) if where == "request" else operation["responses"].get(where, {})
        )
        media = body.get("content", {}).get("application/json")
        if media is None:
            raise RuntimeError(f"{operation['operationId']}: an example for {where}, which has no JSON body")
        media["example"] = example


def header_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def operation_id(route: APIRoute) -> str:
    """The route function's name, which by convention is `<tag>_<action>` (`vendors_list`)."""
    return route.name


def install_openapi(app: FastAPI) -> None:
    """Builds the document once, with the conventions above, and caches it."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=SERVERS,
                separate_input_output_schemas=False,
            )
            app.openapi_schema = complete_document(document, app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete_document(document: dict[str, Any], routes: Sequence[Any]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(problem_schema_components())
    components["securitySchemes"] = {SECURITY_SCHEME: oauth2_scheme()}
    components["headers"] = response_headers()
    declared_scopes = components["securitySchemes"][SECURITY_SCHEME]["flows"]["clientCredentials"]["scopes"]
    bound_formats(document)
    for route, operation in _operations(document, routes):
        rule = _token_rule(route.dependant)
        _document_security(operation, rule)
        for scope in (rule.scopes + rule.one_of) if rule else ():
            # Listed, so that the document stays valid; the contract tests refuse a service's scope
            # missing from PLATFORM_SCOPES, which the gateway's merged document declares.
            declared_scopes.setdefault(scope, "Not a platform scope (PLATFORM_SCOPES).")
        _document_problems(operation)
        _document_success(operation, route)
        _document_headers(operation, route)
        _document_examples(operation, route)
    return document


def bound_formats(node: Any) -> None:
    """States what every schema in `node` already holds to: the length of a UUID, a date or an instant
    (`FORMAT_MAX_LENGTHS`), and the width of an integer, `int32` or `int64`, from its bounds."""
    if isinstance(node, list):
        for item in node:
            bound_formats(item)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "string" and "maxLength" not in node and node.get("format") in FORMAT_MAX_LENGTHS:
        node["maxLength"] = FORMAT_MAX_LENGTHS[node["format"]]
    if kind == "integer" and "format" not in node:
        width = _integer_width(node)
        if width is not None:
            node["format"] = width
    for value in node.values():
        bound_formats(value)


def _integer_width(schema: dict[str, Any]) -> str | None:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is None or high is None:
        return None  # unbounded: the linters say so
    if low >= -INT32_MAX - 1 and high <= INT32_MAX:
        return "int32"
    # The bounds of a `bigint` may come as floats (2**63 once rounded), as JSON readers take them.
    return "int64" if low >= -float(INT64_MAX) and high <= float(INT64_MAX) else None


def _operations(document: dict[str, Any], routes: Sequence[Any]) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Each documented route (as included, with its prefix) with its operation in `document`."""
    for context in routing.iter_route_contexts(routes):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        path_item = document.get("paths", {}).get(context.path_format, {})
        for method in sorted(context.methods or ()):
            operation = path_item.get(method.lower())
            if operation is not None:
                yield context, operation


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _token_rule(dependant: Dependant) -> TokenRule | None:
    rules = [rule for sub in _dependants(dependant) if (rule := token_rule(sub.call)) is not None]
    if len(rules) > 1 and len(set(rules)) > 1:
        raise RuntimeError(f"a route uses {len(rules)} different auth dependencies: {rules}")
    return rules[0] if rules else None


def _document_security(operation: dict[str, Any], rule: TokenRule | None) -> None:
    if rule is None:
        operation["security"] = []
        return
    operation["security"] = rule.security(SECURITY_SCHEME)
    responses = operation["responses"]
    add_problem(responses, Unauthorized)
    if not rule.optional:
        add_problem(responses, Forbidden)


def _parameter_names(operation: dict[str, Any], where: str) -> set[str]:
    return {p.get("name", "").lower() for p in operation.get("parameters", []) if p.get("in") == where}


def _document_problems(operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    validation = responses.get("422")
    if validation is not None and PROBLEM_TYPES_KEY not in validation:
        del responses["422"]  # FastAPI's HTTPValidationError: request validation answers a problem
    # A route that declares `InvalidParameter` answers its bad parameters with that 400 instead.
    parameters_answer_400 = InvalidParameter.type_uri() in responses.get("400", {}).get(PROBLEM_TYPES_KEY, ())
    if (operation.get("parameters") and not parameters_answer_400) or operation.get("requestBody"):
        add_problem(responses, ValidationFailed)
    headers = _parameter_names(operation, "header")
    if "if-match" in headers:
        _document_if_match(operation)
        for error in (InvalidEntityTag, PreconditionFailed, PreconditionRequired):
            add_problem(responses, error)
    if "idempotency-key" in headers:
        # The answers `IdempotencyMiddleware` gives for any keyed POST, whatever the route lists itself.
        add_problem(responses, Conflict)
        add_problem(responses, UnprocessableEntity)
    if "page_token" in _parameter_names(operation, "query"):
        add_problem(responses, InvalidPageToken)
    if "requestBody" in operation:
        add_problem(responses, PayloadTooLarge)
    for always in _ANSWERS_ALWAYS:
        add_problem(responses, always)


def _document_if_match(operation: dict[str, Any]) -> None:
    """`If-Match` is optional to FastAPI only so that its absence is a 428, not a 422: to clients it is
    required, and the document says so, with the form it takes."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match":
            parameter["required"] = True
            parameter["schema"] = {
                "type": "string",
                "pattern": IF_MATCH_PATTERN,
                "maxLength": ETAG_MAX_LENGTH,
            }


def _document_success(operation: dict[str, Any], route: Any) -> None:
    for status, response in operation["responses"].items():
        if status.startswith("2") and response.get("description") in (None, "", "Successful Response"):
            response["description"] = _success_description(status, operation, response, route)


def _success_description(status: str, operation: dict[str, Any], response: dict[str, Any], route: Any) -> str:
    model = _model_name(response)
    method = next(iter(route.methods or {"GET"}))
    if status == "201":
        return f"Created: the new `{model}`, at the path in `Location`." if model else "Created."
    if status == "204":
        return "Nothing to return."
    if model is None:
        return f"{operation.get('summary', 'Done')}: the answer."
    if model.endswith("Page"):
        return f"A page of `{model.removesuffix('Page')}` items; `next_page_token` leads to the next page."
    if method == "GET":
        return f"The `{model}`."
    return f"The `{model}` as it is after this request."


def _model_name(response: dict[str, Any]) -> str | None:
    for media in response.get("content", {}).values():
        reference = media.get("schema", {}).get("$ref", "")
        if reference:
            return str(reference.rsplit("/", 1)[-1])
    return None


def _document_headers(operation: dict[str, Any], route: Any) -> None:
    keyed = "idempotency-key" in _parameter_names(operation, "header")
    sends_etag = "set_etag" in getattr(getattr(route.endpoint, "__code__", None), "co_names", ())
    for status, response in operation["responses"].items():
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = header_ref("X-Request-ID")
        if not status.startswith("2"):
            if status in _RETRY_AFTER_STATUSES or (keyed and status == "409"):
                headers["Retry-After"] = header_ref("Retry-After")
            continue
        if sends_etag:
            headers["ETag"] = header_ref("ETag")
        if status in ("201", "202"):
            headers["Location"] = header_ref("Location")
        if keyed:
            headers[REPLAYED_HEADER] = header_ref(REPLAYED_HEADER)


_OPERATION_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


def misnamed_operations(document: dict[str, Any]) -> list[str]:
    """Operations whose operationId is not `<tag>_<action>` in snake case (`vendors_list`,
    `certifying_agencies_list` for the tag `certifying-agencies`). Tags every service has (`metrics`,
    `audit`) take the service's area first, to stay unique across the platform:
    `procurement_metrics_list`."""
    wrong = []
    for path, path_item in document.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in _HTTP_METHODS or not isinstance(operation, dict):
                continue
            name = operation.get("operationId", "")
            tags = [tag.replace("-", "_").lower() for tag in operation.get("tags", [])]
            if not _OPERATION_ID.match(name) or not any(f"_{tag}_" in f"_{name}" for tag in tags):
                wrong.append(f"{method.upper()} {path}: {name}")
    return wrong


def duplicate_operation_ids(*documents: dict[str, Any]) -> list[str]:
    counts = Counter(
        operation["operationId"]
        for document in documents
        for path_item in document.get("paths", {}).values()
        for operation in path_item.values()
        if isinstance(operation, dict) and "operationId" in operation
    )
    return sorted(name for name, count in counts.items() if count > 1)
