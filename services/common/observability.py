"""Request ids, JSON logs, Prometheus metrics: what every process reports about itself.

`ObservabilityMiddleware` is pure ASGI (no BaseHTTPMiddleware: it breaks contextvars and costs
throughput). It accepts or generates `X-Request-ID`, echoes it, puts it in every log line through a
contextvar, and records one latency sample per request under the route's template, not its raw path,
so that metrics keep a bounded number of series.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pythonjsonlogger.json import JsonFormatter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# A client-chosen id is kept only when it is short and plain, so logs cannot be forged through it.
REQUEST_ID_MAX_LENGTH = 128
REQUEST_ID_PATTERN = rf"^[A-Za-z0-9._:\-]{{1,{REQUEST_ID_MAX_LENGTH}}}$"
_SAFE_REQUEST_ID = re.compile(REQUEST_ID_PATTERN)

access_logger = logging.getLogger("cityops.access")


def current_request_id() -> str | None:
    return _request_id.get()


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def configure_logging(service: str, level: str = "INFO", json_logs: bool = True) -> None:
    """One handler on the root logger; every line carries the service and the request id."""
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                static_fields={"service": service},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log duplicates ours without the request id.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


class Metrics:
    """A process's Prometheus registry: request counts and latencies by route template."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["service", "method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.service = service

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(self.service, method, route, str(status)).inc()
        self.latency.labels(self.service, method, route).observe(seconds)

    def endpoint(self, _: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def _route_template(scope: Scope) -> str:
    """The matched route's path template, prefix included (`/v1/procurement/vendors/{vendor_id}`)."""
    # FastAPI >= 0.16x leaves the router's own, unprefixed route in scope["route"] and keeps the
    # effective (prefixed) one here; older versions put the prefixed route in scope["route"].
    effective = scope.get("fastapi", {}).get("effective_route_context")
    for candidate in (getattr(effective, "path_format", None), getattr(scope.get("route"), "path", None)):
        if isinstance(candidate, str):
            return candidate
    # A plain route (/healthz, /metrics) matched: without path parameters its path is its template.
    if "endpoint" in scope and not scope.get("path_params"):
        return str(scope["path"])
    return "unmatched"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token = _request_id.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            self.metrics.observe(scope["method"], route, status, elapsed)
            access_logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            _request_id.reset(token)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _SAFE_REQUEST_ID.match(candidate) else None
    return None
