"""Schemathesis against the running vendors service: whatever a client sends, no 5xx, and every answer
is one the OpenAPI document promises (status code, content type, body schema, headers); a request the
document calls valid is accepted, and one it calls invalid refused."""

from __future__ import annotations

import json
import logging
import os
import random
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from cli.openapi import build_document
from cli.services import PROCESSES
from services.vendors.contracts.patterns import CROSS_FIELD

pytestmark = pytest.mark.contract

# One seed for the run, from which schemathesis derives each operation's: a failing run is replayed by
# setting CITYOPS_CONTRACT_SEED to the seed its report names (see tests/contract/conftest.py).
SEED = int(os.environ.get("CITYOPS_CONTRACT_SEED") or random.getrandbits(64))
# Cases per operation; CITYOPS_CONTRACT_EXAMPLES raises it for a longer hunt.
EXAMPLES = int(os.environ.get("CITYOPS_CONTRACT_EXAMPLES") or 50)

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
    """The vendors document as the code generates it (the served app builds the same one)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return build_document(PROCESSES["vendors"])
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)


# Refusals that no JSON Schema can foresee, recognised by the problem the server answers, so that a
# request the document calls valid is otherwise never refused (positive_data_acceptance):
# - a value the API must have issued: a page token, a current ETag (412), an Idempotency-Key not yet
#   used with another body (422 `unprocessable-entity`); a precondition a record existing asks for (428);
# - a file whose content is not this import's CSV (422 `invalid-csv`: the body is a binary part);
# - 422 errors whose every code names a rule between fields (`cross_field`, written in the operation's
#   description), a rule against stored records (an unknown id, a criterion's weight, a contract's
#   currency, value or vendor, a vendor's certification, a certifying agency on the City's list) or
#   against the clock (a payment dated after today).
MEANING_PROBLEMS = {
    (400, "invalid-page-token"),
    (412, "precondition-failed"),
    (422, "unprocessable-entity"),
    (422, "invalid-csv"),
}
MEANING_CODES = {
    CROSS_FIELD,
    "self",
    "not_found",
    "unknown_award",
    "unknown_vendor",
    "unknown_contract",
    "contract_of_another_vendor",
    "unknown_criterion",
    "unknown_agency",
    "too_many_points",
    "before_start",
    "currency_mismatch",
    "below_zero",
    "future_date",
    "exceeds_contract",
    "not_certified",
    "is_prime",
    "mismatch",
}


def _refused_on_meaning(case: schemathesis.Case, response: Any) -> bool:
    if response.status_code == 428 and not (case.headers or {}).get("If-Match", "").strip():
        # Without `If-Match` where the document makes it optional (the tax profile's PUT creates without
        # it), a 428 says that the record exists by now. A blank `If-Match` is a known gap of the
        # kernel's document, reported to its owner: a string with no minimum length, answered 428 as a
        # missing one is.
        return True
    try:
        problem = json.loads(response.content)
    except ValueError:
        return False
    if not isinstance(problem, dict):
        return False
    slug = str(problem.get("type", "")).rpartition(":")[2]
    if (response.status_code, slug) in MEANING_PROBLEMS:
        return True
    codes = {error.get("code") for error in problem.get("errors") or []}
    return (
        response.status_code == 422 and slug == "validation-error" and bool(codes) and codes <= MEANING_CODES
    )


def _breaks_its_own_document(case: schemathesis.Case) -> bool:
    """A "positive" case with a header the document itself calls invalid. Schemathesis' coverage phase
    sometimes sends one (`If-Match: 0` for an optional header whose pattern is `*` or `"vN"`): that case
    is negative whatever it is labelled, and its refusal no breach."""
    for parameter in case.operation.headers:
        value = (case.headers or {}).get(parameter.name)
        declared = parameter.definition.get("schema")
        if value is not None and declared and not Draft202012Validator(declared).is_valid(str(value)):
            return True
    return False


def _excluded_checks(case: schemathesis.Case, response: Any) -> list:
    excluded = []
    if _refused_on_meaning(case, response) or _breaks_its_own_document(case):
        excluded.append(positive_data_acceptance)
    query = case.query or {}
    parameters = {parameter.name: parameter for parameter in case.operation.query}
    if "Authorization" in (case.headers or {}):
        # A generated bad credential is replaced by the valid token below: the request is then valid.
        excluded.append(negative_data_rejection)
    if set(query) - set(parameters):
        # Unknown query parameters are ignored, as most HTTP APIs do; not a contract breach here.
        excluded.append(negative_data_rejection)
    if any(isinstance(value, list) and not _is_array(parameters.get(name)) for name, value in query.items()):
        # A parameter that takes one value, sent twice (`q=a&q=b`): the last one is read, as most HTTP
        # APIs do; not a contract breach here.
        excluded.append(negative_data_rejection)
    return excluded


def _is_array(parameter: Any) -> bool:
    if parameter is None:
        return False
    declared = parameter.definition.get("schema", {})
    return any(option.get("type") == "array" for option in declared.get("anyOf", [declared]))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)
def test_vendors_api_keeps_its_contract(case, vendors_server, all_scopes_header):
    """Every check, positive_data_acceptance included: a request the document calls valid is accepted
    unless refused on a meaning listed above."""
    base_url, _ = vendors_server
    response = case.call(base_url=base_url, headers=all_scopes_header)
    case.validate_response(
        response,
        headers=all_scopes_header,
        excluded_checks=_excluded_checks(case, response),
        transport_kwargs={"base_url": base_url, "headers": dict(all_scopes_header)},
    )
