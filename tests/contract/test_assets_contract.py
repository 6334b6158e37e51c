"""Schemathesis against the running assets service: whatever a client sends, no 5xx, and every answer is
one the OpenAPI document promises (status code, content type, body schema, headers)."""

from __future__ import annotations

import logging
import os
import random
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from cli.openapi import build_document
from cli.services import PROCESSES

pytestmark = pytest.mark.contract

# One seed for the run: a failing run is replayed by setting CITYOPS_CONTRACT_SEED to the seed its
# report names (see tests/contract/conftest.py).
SEED = int(os.environ.get("CITYOPS_CONTRACT_SEED") or random.getrandbits(64))

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        # A missing If-Match is 428 Precondition Required (RFC 6585), as DESIGN §4 decides.
        "checks": {
            "missing_required_header": {"expected-statuses": [400, 401, 403, 406, 415, 422, 428]},
            # Schemathesis's refusals, and 413: a value past its `maxLength` can make a body larger than
            # the service reads (`max_body_bytes`), which it refuses before parsing, as documented.
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]
            },
        },
    }
)


def _document() -> dict:
    """The assets document as the code generates it (the served app builds the same one)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return build_document(PROCESSES["assets"])
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)


def _is_number(value: object) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _formats(parameter: Any) -> set[str]:
    declared = parameter.definition.get("schema", {})
    return {option.get("format") for option in declared.get("anyOf", [declared])} - {None}


def _is_array(parameter: Any) -> bool:
    if parameter is None:
        return False
    declared = parameter.definition.get("schema", {})
    return any(option.get("type") == "array" for option in declared.get("anyOf", [declared]))


def _excluded_checks(case: schemathesis.Case) -> list:
    # Schema-valid requests may still be refused on meaning no schema expresses (an APN of the wrong
    # shape in a path, a polygon that crosses itself, a stale ETag, sizes that do not fit the asset
    # type): "valid data is accepted" is left to the service's own tests (tests/assets).
    excluded = [positive_data_acceptance]
    query = case.query or {}
    parameters = {parameter.name: parameter for parameter in case.operation.query}
    if "Authorization" in (case.headers or {}):
        # A generated bad credential is replaced by the valid token below: the request is then valid.
        excluded.append(negative_data_rejection)
    if set(query) - set(parameters):
        # Unknown query parameters are ignored, as most HTTP APIs do.
        excluded.append(negative_data_rejection)
    if any(isinstance(value, list) and not _is_array(parameters.get(name)) for name, value in query.items()):
        # A one-value parameter sent twice: the last one is read.
        excluded.append(negative_data_rejection)
    if any(_is_number(query.get(name)) for name, p in parameters.items() if _formats(p) & {"date-time"}):
        # The kernel's known gap (see test_vendors_contract.py): a bare number is read as Unix time.
        excluded.append(negative_data_rejection)
    return excluded


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)
def test_assets_api_keeps_its_contract(case, assets_server, all_scopes_header):
    base_url, _ = assets_server
    case.call_and_validate(
        base_url=base_url, headers=all_scopes_header, excluded_checks=_excluded_checks(case)
    )
