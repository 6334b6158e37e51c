"""What the OpenAPI document promises, the server keeps: update fields that are absent or a value (null
only where it clears), the tax profile's create and replace, the department list, the currency code list,
ISO dates in queries, the `.csv` report operations, the multipart import, and formats stated as patterns
that agree with the server's own checks."""

from __future__ import annotations

import csv
import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import StringConstraints, TypeAdapter, ValidationError

from services.common import money
from services.common.money import CurrencyCode
from services.common.reference import DEPARTMENTS
from services.vendors.contracts import (
    COMMODITY_FILTER,
    TAX_PROFILE_PUT_VARIANTS,
    CommodityScheme,
    DepartmentCode,
    canonical_commodity_code,
    evaluation,
    normalize_tin,
    patterns,
    registry,
)
from tests.problems import assert_problem
from tests.vendors.factories import (
    PAYMENTS,
    READ,
    SOLICITATIONS,
    VENDORS,
    WRITE,
    create_vendor,
    draft,
    solicitation_body,
)

IF_V1 = {"If-Match": '"v1"'}
CUBE = "/v1/procurement/reports/spend-cube"
IMPORTS = "/v1/procurement/imports"
PAYMENT_COLUMNS = "external_ref,vendor_name,department,category_code,amount,paid_date\n"


def locations(problem):
    return [error["location"] for error in problem["errors"]]


# Update models: absent, or a value; null only where it clears


async def test_a_patch_refuses_null_for_a_field_that_holds_a_value(vendors, auth):
    vendor = await create_vendor(vendors, auth)
    url = f"{VENDORS}/{vendor['id']}"

    for field in ("legal_name", "dba_names", "entity_type", "identifiers", "commodity_codes"):
        response = await vendors.patch(url, json={field: None}, headers=auth(WRITE) | IF_V1)
        assert locations(assert_problem(response, 422, "validation-error")) == [["body", field]]


async def test_a_patch_with_null_clears_an_optional_field(vendors, auth):
    vendor = await create_vendor(vendors, auth, size_class="small")
    solicitation = await draft(vendors, auth)

    cleared = await vendors.patch(
        f"{VENDORS}/{vendor['id']}", json={"size_class": None}, headers=auth(WRITE) | IF_V1
    )
    no_description = await vendors.patch(
        f"{SOLICITATIONS}/{solicitation['id']}",
        json={"description": None, "estimated_value": None},
        headers=auth(WRITE) | IF_V1,
    )
    null_title = await vendors.patch(
        f"{SOLICITATIONS}/{solicitation['id']}",
        json={"title": None},
        headers=auth(WRITE) | {"If-Match": '"v2"'},
    )

    assert cleared.status_code == 200 and cleared.json()["size_class"] is None
    assert no_description.status_code == 200, no_description.text
    assert no_description.json()["description"] is None and no_description.json()["estimated_value"] is None
    assert locations(assert_problem(null_title, 422, "validation-error")) == [["body", "title"]]


def test_update_schemas_are_nullable_only_where_null_clears(vendors_document):
    schemas = vendors_document["components"]["schemas"]
    nullable = {
        (name, field)
        for name in ("VendorUpdate", "SolicitationUpdate", "CertificationUpdate", "ContractUpdate")
        for field, schema in schemas[name]["properties"].items()
        if {"type": "null"} in schema.get("anyOf", [])
    }
    assert nullable == {
        ("VendorUpdate", "size_class"),
        ("SolicitationUpdate", "description"),
        ("SolicitationUpdate", "estimated_value"),
        ("SolicitationUpdate", "enquiry_period"),
        ("SolicitationUpdate", "dbe_goal_percent"),
        ("ContractUpdate", "signed_date"),
    }
    assert all("required" not in schemas[name] for name in ("VendorUpdate", "SolicitationUpdate"))


# Tax profile: If-None-Match: * creates, If-Match replaces


async def test_a_tax_profile_is_created_with_if_none_match_and_replaced_with_if_match(vendors, auth):
    vendor = await create_vendor(vendors, auth)
    url = f"{VENDORS}/{vendor['id']}/tax-profile"
    ssn = {"tin_type": "ssn", "tin": "123-45-6789"}
    ein = {"tin_type": "ein", "tin": "12-3456789"}

    created = await vendors.put(url, json=ssn, headers=auth(WRITE) | {"If-None-Match": "*"})
    again = await vendors.put(url, json=ssn, headers=auth(WRITE) | {"If-None-Match": "*"})
    unconditional = await vendors.put(url, json=ein, headers=auth(WRITE))
    replaced = await vendors.put(url, json=ein, headers=auth(WRITE) | IF_V1)
    other_tag = await vendors.put(url, json=ein, headers=auth(WRITE) | {"If-None-Match": '"v1"'})

    assert created.status_code == 201 and created.headers["etag"] == '"v1"'
    assert "If-Match" in assert_problem(again, 412, "precondition-failed")["detail"]
    assert_problem(unconditional, 428, "precondition-required")
    assert replaced.status_code == 200 and replaced.json()["tin_type"] == "ein"
    assert locations(assert_problem(other_tag, 422, "validation-error")) == [["header", "If-None-Match"]]


def test_the_tax_profile_put_documents_both_preconditions_as_optional(vendors_document):
    operation = vendors_document["paths"]["/v1/procurement/vendors/{vendor_id}/tax-profile"]["put"]
    headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
    assert headers["If-Match"]["required"] is False and headers["If-Match"]["schema"]["type"] == "string"
    assert headers["If-None-Match"]["required"] is False
    # An enum of one, not a `const`: openapi-python-client leaves out an operation with a `const` header.
    assert headers["If-None-Match"]["schema"]["enum"] == ["*"]
    body = vendors_document["components"]["schemas"]["TaxProfilePut"]
    assert body["discriminator"]["propertyName"] == "tin_type"
    assert set(body["discriminator"]["mapping"]) == {"ein", "ssn", "itin", "foreign"}


@pytest.mark.parametrize("tin_type", list(TAX_PROFILE_PUT_VARIANTS))
def test_each_tin_pattern_accepts_exactly_what_the_server_accepts(tin_type):
    """Random numbers in the forms the document names: its pattern and the server's rules agree. (The
    server also reads other dashes and spaces; the document promises the tidy forms only.)"""
    variant = TAX_PROFILE_PUT_VARIANTS[tin_type]
    pattern = re.compile(variant.model_json_schema()["properties"]["tin"]["pattern"])
    generator = random.Random(20260701)
    for _ in range(20000):
        if tin_type.value == "foreign":
            text = "".join(generator.choice("AB9z0") for _ in range(generator.randint(1, 34)))
            text = text[:1] + generator.choice(["", " ", ".", "-", "/"]) + text[1:]
        else:
            digits = f"{generator.randrange(10**9):09d}"
            dashed = (
                f"{digits[:2]}-{digits[2:]}"
                if tin_type.value == "ein"
                else f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
            )
            text = generator.choice([digits, dashed])
        assert bool(pattern.match(text)) == (normalize_tin(tin_type, text) is not None), (tin_type, text)


# Reference lists: departments, currencies


async def test_the_department_list_is_the_enumeration_of_the_document(vendors, auth, vendors_document):
    response = await vendors.get("/v1/procurement/departments", headers=auth(READ))

    assert response.status_code == 200
    listed = {item["code"]: item["name"] for item in response.json()["items"]}
    assert listed == DEPARTMENTS
    assert set(vendors_document["components"]["schemas"]["DepartmentCode"]["enum"]) == set(DEPARTMENTS)
    assert {code.value for code in DepartmentCode} == set(DEPARTMENTS)


def test_currency_codes_are_those_in_use_on_the_ocds_code_list():
    path = Path(money.__file__).parent / "codelists" / "currency.csv"
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert {code.value for code in CurrencyCode} == {row["Code"] for row in rows if not row["Valid Until"]}
    assert "USD" in CurrencyCode.__members__ and "DEM" not in CurrencyCode.__members__


async def test_an_unknown_currency_is_refused_naming_the_field(vendors, auth):
    response = await vendors.post(
        SOLICITATIONS,
        json={**solicitation_body(), "estimated_value": {"amount": "10.00", "currency": "ABC"}},
        headers=auth(WRITE),
    )
    assert locations(assert_problem(response, 422, "validation-error")) == [
        ["body", "estimated_value", "currency"]
    ]


# Queries: ISO dates and RFC 3339 instants, never Unix time


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (PAYMENTS, {"paid_to": "0"}),
        (PAYMENTS, {"paid_from": "20260101"}),
        (VENDORS, {"updated_since": "5"}),
        (CUBE, {"paid_from": "1700000000"}),
    ],
)
async def test_a_bare_number_is_not_a_date(vendors, auth, path, params):
    response = await vendors.get(path, params=params, headers=auth(READ))
    assert locations(assert_problem(response, 422, "validation-error")) == [["query", next(iter(params))]]


# Reports: the `.csv` operations


async def test_a_csv_operation_answers_what_format_csv_answers(vendors, auth):
    params = {"dimension": ["department"], "fiscal_year": 2026}

    csv_operation = await vendors.get(f"{CUBE}.csv", params=params, headers=auth(READ))
    legacy = await vendors.get(CUBE, params={**params, "format": "csv"}, headers=auth(READ))

    assert csv_operation.status_code == 200
    assert csv_operation.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv_operation.headers["content-disposition"] == 'attachment; filename="spend-cube.csv"'
    assert csv_operation.text == legacy.text
    assert csv_operation.text.startswith("department,")


def test_each_report_operation_documents_one_media_type(vendors_document):
    for report in ("spend-cube", "diversity", "competition", "vendor-pool"):
        json_op = vendors_document["paths"][f"/v1/procurement/reports/{report}"]["get"]
        csv_op = vendors_document["paths"][f"/v1/procurement/reports/{report}.csv"]["get"]
        assert list(json_op["responses"]["200"]["content"]) == ["application/json"]
        assert list(csv_op["responses"]["200"]["content"]) == ["text/csv"]
        assert "format" not in {p["name"] for p in json_op["parameters"]}
        assert not {"page_size", "page_token"} & {p["name"] for p in csv_op["parameters"]}


# Imports: a multipart form with a `file` part


async def test_an_import_reads_the_file_part_of_a_form(vendors, auth, clock):
    response = await vendors.post(
        IMPORTS,
        params={"kind": "payments"},
        files={"file": ("june.csv", PAYMENT_COLUMNS.encode(), "text/csv")},
        headers=auth(WRITE),
    )

    assert response.status_code == 201, response.text
    assert response.json()["file"]["name"] == "june.csv"
    assert response.json()["rows"] == 0


@pytest.mark.parametrize(
    ("files", "data", "location"),
    [
        ({"upload": ("a.csv", PAYMENT_COLUMNS.encode(), "text/csv")}, None, ["body"]),
        ({"note": (None, b"no file")}, None, ["body"]),
        ({"file": ("a.csv", b"", "text/csv")}, {"file2": "x"}, ["body"]),
    ],
)
async def test_a_form_without_its_one_file_part_is_refused(vendors, auth, clock, files, data, location):
    response = await vendors.post(
        IMPORTS, params={"kind": "payments"}, files=files, data=data, headers=auth(WRITE)
    )
    problem = assert_problem(response, 422, "validation-error")
    assert locations(problem)[0][: len(location)] == location


async def test_a_form_cut_short_is_refused(vendors, auth, clock):
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        + PAYMENT_COLUMNS.encode()
    )
    response = await vendors.post(
        IMPORTS,
        params={"kind": "payments"},
        content=body,
        headers=auth(WRITE) | {"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert assert_problem(response, 422, "validation-error")["errors"][0]["code"] == "multipart_truncated"


def test_the_import_documents_one_request_body(vendors_document):
    body = vendors_document["paths"][IMPORTS]["post"]["requestBody"]
    assert list(body["content"]) == ["multipart/form-data"]
    schema = body["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["file"] and schema["properties"]["file"]["format"] == "binary"


# Rules between fields: 422 with code `cross_field`


async def test_a_rule_between_fields_is_named_as_such(vendors, auth):
    response = await vendors.post(
        SOLICITATIONS,
        json={
            **solicitation_body(),
            "tender_period": {"start": "2026-08-01T00:00:00Z", "end": "2026-07-01T00:00:00Z"},
        },
        headers=auth(WRITE),
    )
    problem = assert_problem(response, 422, "validation-error")
    assert [error["code"] for error in problem["errors"]] == [patterns.CROSS_FIELD]


# Patterns agree with the server's checks


@pytest.mark.parametrize("scheme", list(CommodityScheme))
def test_commodity_patterns_accept_exactly_the_codes_the_server_reads(scheme):
    variant = {
        CommodityScheme.nigp: registry.NIGP_INPUT,
        CommodityScheme.unspsc: registry.UNSPSC_INPUT,
        CommodityScheme.naics: registry.NAICS_INPUT,
    }[scheme]
    generator = random.Random(7)
    for _ in range(20000):
        code = "".join(generator.choice("0123456789--") for _ in range(generator.randint(1, 16)))
        try:
            canonical_commodity_code(scheme, code)
            accepted = True
        except ValueError:
            accepted = False
        assert bool(re.match(variant, code)) == accepted, (scheme, code)
        assert bool(re.match(COMMODITY_FILTER, f"{scheme.value}:{code}")) == accepted


def test_the_points_pattern_is_the_points_rule():
    pattern = re.compile(evaluation._DECIMAL_PATTERN)
    for text in ("0", "7", "42.5", "42.50", "99.99", "100", "100.0", "100.00"):
        assert pattern.match(text) and Decimal(text) <= 100
    for text in ("100.01", "101", "244", "1000", "-1", "1.234", "", ".5"):
        assert not pattern.match(text)


async def test_a_name_search_of_no_searchable_words_matches_nothing(vendors, auth):
    await create_vendor(vendors, auth, "Boyle Heights Paving LLC")

    response = await vendors.get(VENDORS, params={"q": "LLC, Inc."}, headers=auth(READ))
    directory = await vendors.get("/v1/procurement/directory", params={"q": "..."})

    assert response.status_code == 200 and response.json()["items"] == []
    assert directory.status_code == 200 and directory.json()["items"] == []


async def test_text_with_a_nul_is_refused_by_the_schema_the_document_states(vendors, auth, vendors_document):
    """PostgreSQL text cannot hold NUL: the patterns say so, and the refusal names the field."""
    pattern = re.compile(
        vendors_document["components"]["schemas"]["VendorCreate"]["properties"]["legal_name"]["pattern"]
    )
    assert not pattern.match("Acme\x00") and not pattern.match("   ") and pattern.match(" Acme ")

    response = await vendors.post(
        VENDORS,
        json={"legal_name": "Acme", "entity_type": "llc", "dba_names": ["A\x00"]},
        headers=auth(WRITE),
    )
    assert locations(assert_problem(response, 422, "validation-error")) == [["body", "dba_names", 0]]


def test_filled_text_means_the_same_to_the_server_as_to_the_document():
    """White space is spelled out in the patterns, not `\\s`, on which the regex engines disagree: a
    character is blank to the pattern exactly when pydantic trims it away."""
    adapter = TypeAdapter(
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=patterns.FILLED_TEXT)]
    )
    for code_point in [*range(0x3100), 0xFEFF]:
        if 0xD800 <= code_point <= 0xDFFF:
            continue
        text = chr(code_point)
        try:
            adapter.validate_python(text)
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == bool(re.match(patterns.FILLED_TEXT, text)), hex(code_point)
