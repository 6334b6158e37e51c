"""The platform's one OpenAPI document, merged from every upstream's committed snapshot.

Paths are already prefixed by each service, so they are taken as they are. Components are merged by
name: an identical schema is kept once, a different schema under a taken name is renamed after its
service (`VendorsStatus`) with every reference to it rewritten. What the kernel defines for every
service always comes from the kernel, whatever a snapshot holds: the problem schemas, the response
headers and the OAuth2 security scheme (operations name it, not a `$ref`, so it could not be renamed).
operationIds stay unique: a repeat is prefixed with its service and logged, since the convention wants
them unique across the platform to begin with. Every operation also documents the answers the gateway
itself can give (413, 429, 502, 503, 504) and the `RateLimit-*` headers it puts on every answer.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Sequence
from typing import Any

from gateway.proxy import BadGateway
from gateway.upstreams import Upstream
from services.common.openapi import SECURITY_SCHEME, SERVERS, header_ref, oauth2_scheme, response_headers
from services.common.problems import (
    AppError,
    GatewayTimeout,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    add_problem,
    problem_schema_components,
)

logger = logging.getLogger("cityops.gateway.openapi")

Document = dict[str, Any]
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_GATEWAY_PROBLEMS: tuple[type[AppError], ...] = (
    TooManyRequests,
    BadGateway,
    ServiceUnavailable,
    GatewayTimeout,
)
_RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
# Statuses the gateway answers with `Retry-After` (a refused rate, an upstream that cannot be reached).
_RETRY_AFTER_STATUSES = ("429", "503")


def kernel_components() -> Document:
    """The components every service's document carries from the kernel, kept as the kernel has them."""
    return {
        "schemas": problem_schema_components(),
        "headers": response_headers(),
        "securitySchemes": {SECURITY_SCHEME: oauth2_scheme()},
    }


def _kernel_owned(section: str, name: str) -> bool:
    return name in kernel_components().get(section, {})


def load_snapshot(upstream: Upstream) -> Document | None:
    """An upstream's committed OpenAPI document, or None (logged) when it is missing or unreadable."""
    try:
        document = json.loads(upstream.openapi_snapshot.read_text(encoding="utf-8"))
    except FileNotFoundError:
        logger.warning(
            "no OpenAPI snapshot; its paths are left out of the merged document",
            extra={"upstream": upstream.name, "snapshot": str(upstream.openapi_snapshot)},
        )
        return None
    except (OSError, ValueError) as exc:
        logger.error(
            "unreadable OpenAPI snapshot; its paths are left out of the merged document",
            extra={"upstream": upstream.name, "error": repr(exc)},
        )
        return None
    if not isinstance(document, dict):
        logger.error("OpenAPI snapshot is not a JSON object", extra={"upstream": upstream.name})
        return None
    return document


def build_document(upstreams: Sequence[Upstream], *, server_url: str, version: str = "1.0.0") -> Document:
    documents = [(u, doc) for u in upstreams if (doc := load_snapshot(u)) is not None]
    return merge_documents(documents, server_url=server_url, version=version)


def merge_documents(
    documents: Sequence[tuple[Upstream, Document]], *, server_url: str, version: str = "1.0.0"
) -> Document:
    services = ", ".join(f"{doc.get('info', {}).get('title', u.name)} (`{u.prefix}`)" for u, doc in documents)
    merged: Document = {
        "openapi": "3.1.0",
        "info": {
            "title": "CityOps API",
            "version": version,
            "description": "The City's operations platform through its gateway. Services: "
            + (services or "none published yet")
            + ". Every error is `application/problem+json` (RFC 9457).",
        },
        "servers": [
            {
                "url": server_url,
                "description": "The CityOps gateway of the environment serving this document (local, "
                "sandbox or production)",
                "x-internal": False,
            },
            *[server for server in SERVERS if server["url"] == "/" != server_url],
        ],
        "paths": {},
        "components": kernel_components(),
        "tags": [],
    }
    operation_ids: set[str] = set()
    for upstream, original in documents:
        document = _renamed_components(upstream, copy.deepcopy(original), merged["components"])
        _merge_components(document.get("components", {}), merged["components"])
        _merge_paths(upstream, document.get("paths", {}), merged["paths"], operation_ids)
        _merge_tags(document.get("tags", []), merged["tags"])
    return merged


def _renamed_components(upstream: Upstream, document: Document, taken: Document) -> Document:
    """Renames this document's components whose names are taken by different content, and rewrites
    its references to them."""
    renames: dict[str, str] = {}
    for section, components in document.get("components", {}).items():
        for name, content in list(components.items()):
            if _kernel_owned(section, name):
                continue
            if name in taken.get(section, {}) and taken[section][name] != content:
                new_name = _free_name(f"{_pascal(upstream.name)}{name}", taken.get(section, {}), components)
                components[new_name] = components.pop(name)
                renames[f"#/components/{section}/{name}"] = f"#/components/{section}/{new_name}"
                logger.info(
                    "component renamed in the merged document",
                    extra={"upstream": upstream.name, "from": name, "to": new_name},
                )
    return _rewrite_refs(document, renames) if renames else document


def _free_name(candidate: str, *namespaces: dict[str, Any]) -> str:
    name, counter = candidate, 2
    while any(name in namespace for namespace in namespaces):
        name, counter = f"{candidate}{counter}", counter + 1
    return name


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: (renames.get(value, value) if key == "$ref" else _rewrite_refs(value, renames))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _merge_components(components: Document, merged: Document) -> None:
    for section, entries in components.items():
        target = merged.setdefault(section, {})
        for name, content in entries.items():
            if _kernel_owned(section, name):
                continue
            target.setdefault(name, content)


def _merge_paths(upstream: Upstream, paths: Document, merged: Document, operation_ids: set[str]) -> None:
    for path, path_item in paths.items():
        if not upstream.serves(path):
            logger.warning(
                "path outside the upstream's prefix is not routed by the gateway; left out",
                extra={"upstream": upstream.name, "path": path},
            )
            continue
        if path in merged:
            logger.warning("path published twice; the first is kept", extra={"path": path})
            continue
        for method, operation in path_item.items():
            if method in HTTP_METHODS and isinstance(operation, dict):
                _unique_operation_id(upstream, operation, operation_ids)
                add_gateway_responses(operation)
        merged[path] = path_item


def _unique_operation_id(upstream: Upstream, operation: Document, seen: set[str]) -> None:
    operation_id = operation.get("operationId")
    if not operation_id:
        return
    if operation_id in seen:
        renamed = _free_name(f"{upstream.name}_{operation_id}", dict.fromkeys(seen))
        logger.warning(
            "operationId used by two services; renamed in the merged document",
            extra={"upstream": upstream.name, "from": operation_id, "to": renamed},
        )
        operation["operationId"] = operation_id = renamed
    seen.add(operation_id)


def add_gateway_responses(operation: Document) -> None:
    """The gateway can answer any forwarded call with these, and puts its rate headers on every answer;
    documented so generated clients know."""
    responses = operation.setdefault("responses", {})
    errors = _GATEWAY_PROBLEMS + ((PayloadTooLarge,) if "requestBody" in operation else ())
    for error in errors:
        add_problem(responses, error)
    for status, response in responses.items():
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = header_ref("X-Request-ID")
        for name in _RATE_LIMIT_HEADERS:
            headers[name] = header_ref(name)
        if status in _RETRY_AFTER_STATUSES:
            headers["Retry-After"] = header_ref("Retry-After")


def _merge_tags(tags: list[Document], merged: list[Document]) -> None:
    known = {tag.get("name") for tag in merged}
    for tag in tags:
        if tag.get("name") not in known:
            merged.append(tag)
            known.add(tag.get("name"))
