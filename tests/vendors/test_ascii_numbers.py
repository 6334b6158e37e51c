"""Codes and amounts that are ASCII by format refuse other scripts' digits, which Python's `\\d`,
`int()` and `Decimal()` would take: a TIN, a commodity code, a payment amount, a ZIP code, a phone."""

from __future__ import annotations

import pytest

from services.vendors.contracts.solicitations import SolicitationItem
from services.vendors.duplicates.scoring import normalize_phone, normalize_postal_code

VENDORS = "/v1/procurement/vendors"
PAYMENTS = "/v1/procurement/payments"
WRITE = "procurement:read procurement:write"


def assert_validation_error(response, location):
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    first_error = response.json()["errors"][0]
    assert first_error["location"][: len(location)] == location


@pytest.mark.parametrize(
    ("scheme", "code"), [("nigp", "٦٢٠-٨٠"), ("naics", "２３６２２０"), ("unspsc", "٧٢١٠١٥٠٦")]
)
async def test_a_commodity_code_in_other_digits_is_a_422(vendors, auth, scheme, code):
    response = await vendors.post(
        VENDORS,
        json={
            "legal_name": "Civic Center Glazing",
            "entity_type": "llc",
            "commodity_codes": [{"scheme": scheme, "code": code}],
        },
        headers=auth(WRITE),
    )
    assert_validation_error(response, ["body", "commodity_codes"])


async def test_a_payment_amount_in_other_digits_is_a_422(vendors, auth):
    vendor = await vendors.post(
        VENDORS, json={"legal_name": "Civic Center Glazing", "entity_type": "llc"}, headers=auth(WRITE)
    )
    assert vendor.status_code == 201, vendor.text
    body = {
        "vendor_id": vendor.json()["id"],
        "department": "GSD",
        "category": {"scheme": "nigp", "code": "620-80-21"},
        "amount": {"amount": "١٢٥٠.00", "currency": "USD"},
        "paid_date": "2026-03-14",
    }

    response = await vendors.post(PAYMENTS, json=body, headers=auth(WRITE))

    assert_validation_error(response, ["body", "amount"])


def test_an_item_quantity_in_other_digits_is_refused():
    item = {"id": "1", "description": "Glazing", "classification": {"scheme": "nigp", "code": "620-80"}}
    with pytest.raises(ValueError, match="digits 0-9"):
        SolicitationItem.model_validate({**item, "quantity": "١٢", "unit": "each"})
    assert SolicitationItem.model_validate({**item, "quantity": "12", "unit": "each"}).quantity == 12


def test_zip_codes_and_phones_compare_by_ascii_digits_only():
    assert normalize_postal_code("90012-3456") == "90012"
    assert normalize_postal_code("٩٠٠١٢-٣٤٥٦") != "٩٠٠١٢"  # not taken for a ZIP+4
    assert normalize_phone("(213) 555-0100") == "2135550100"
    assert normalize_phone("(٢١٣) ٥٥٥-٠١٠٠") is None
