"""Bulk imports through the HTTP API: payment and vendor files streamed in, every valid row loaded,
every invalid one reported with its line, the same file imported twice changing nothing, malformed files
refused whole, and the asynchronous mode (`Prefer: respond-async`) against a committed database.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from services.vendors.app import create_app
from services.vendors.settings import VendorsSettings
from tests.conftest import JWT_SECRET, migrated_database
from tests.problems import assert_problem
from tests.vendors.factories import PAYMENTS, READ, VENDORS, WRITE, active_vendor, audit_actions, contract_of

IMPORTS = "/v1/procurement/imports"
CSV = {"Content-Type": "text/csv"}
PAYMENT_HEADER = (
    "external_ref,vendor_identifier_scheme,vendor_identifier,vendor_name,tier,prime_vendor_identifier_scheme,"
    "prime_vendor_identifier,prime_vendor_name,contract_number,department,category_scheme,category_code,amount,"
    "currency,paid_date"
)


def csv_file(header, *rows):
    return ("\n".join([header, *rows]) + "\n").encode()


async def upload(client, auth, body, kind="payments", scopes=WRITE, headers=None, **params):
    return await client.post(
        IMPORTS,
        params={"kind": kind, **params},
        content=body,
        headers={**CSV, **auth(scopes), **(headers or {})},
    )


async def imported(client, auth, body, kind="payments"):
    response = await upload(client, auth, body, kind)
    assert response.status_code == 201, response.text
    return response.json()


async def payments_of(client, auth, **params):
    response = await client.get(PAYMENTS, params={"page_size": 500, **params}, headers=auth(READ))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def payment_count(session):
    return await session.scalar(text("SELECT count(*) FROM vendors.payments"))


# Payments


async def test_a_payment_file_loads_matching_vendors_by_identifier_then_by_name(
    vendors, auth, clock, session
):
    acme = await active_vendor(
        vendors, auth, "Acme Construction Incorporated", identifiers=[{"scheme": "CA-SOS", "id": "C1234567"}]
    )
    harbor = await active_vendor(vendors, auth, "Harbor Striping & Signs, LLC")
    contract_id, number = await contract_of(session, acme, department="BSS")
    body = csv_file(
        PAYMENT_HEADER,
        "AP-1,ca-sos, c1234567 ,,,,,,,GSD,nigp,620-80-21,1250.00,USD,2025-07-01",
        'AP-2,,,"ACME Construction, Inc.",prime,,,,' + number.lower() + ",bss,,6208021,-40.5,,2026-01-15",
        "AP-3,,,Harbor Striping and Signs,sub,CA-SOS,C1234567,,"
        + number
        + ",BSS,NIGP,550-79,300,usd,2026-02-01",
    )
    report = await imported(vendors, auth, body)
    assert report["status"] == "completed"
    assert (report["rows"], report["loaded"], report["already_present"], report["failed"]) == (3, 3, 0, 0)
    assert (report["matched_by_identifier"], report["matched_by_name"]) == (1, 2)
    assert report["errors"] == [] and report["error_count"] == 0
    assert report["file"]["bytes"] == len(body)

    loaded = {
        payment["external_ref"]: payment
        for payment in await payments_of(vendors, auth)
        if payment["import_id"] == report["id"]
    }
    assert loaded["AP-1"]["vendor_id"] == acme and loaded["AP-1"]["fiscal_year"] == 2026
    assert loaded["AP-2"]["contract_id"] == contract_id and loaded["AP-2"]["department"] == "BSS"
    assert (
        loaded["AP-2"]["category"]["code"] == "620-80-21" and loaded["AP-2"]["amount"]["amount"] == "-40.50"
    )
    assert (loaded["AP-3"]["tier"], loaded["AP-3"]["vendor_id"], loaded["AP-3"]["prime_vendor_id"]) == (
        "sub",
        harbor,
        acme,
    )
    assert loaded["AP-3"]["category"] == {"scheme": "nigp", "code": "550-79"}
    assert await audit_actions(vendors, auth, "import", report["id"]) == ["import"]


async def test_importing_the_same_file_again_changes_nothing(vendors, auth, clock, session):
    await active_vendor(
        vendors, auth, "Acme Construction Incorporated", identifiers=[{"scheme": "CA-SOS", "id": "C1234567"}]
    )
    body = csv_file(
        PAYMENT_HEADER,
        *(f"AP-{n},CA-SOS,C1234567,,,,,,,GSD,nigp,620-80,{n}.00,,2026-01-{n:02d}" for n in range(1, 11)),
    )
    first = await imported(vendors, auth, body)
    count = await payment_count(session)
    again = await imported(vendors, auth, body)
    assert (first["loaded"], first["already_present"]) == (10, 0)
    assert (again["loaded"], again["already_present"], again["failed"]) == (0, 10, 0)
    assert again["file"]["sha256"] == first["file"]["sha256"]
    assert await payment_count(session) == count


async def test_every_invalid_row_is_reported_with_its_line_and_the_valid_rows_load(
    vendors, auth, clock, session
):
    acme = await active_vendor(
        vendors, auth, "Acme Construction Incorporated", identifiers=[{"scheme": "CA-SOS", "id": "C1234567"}]
    )
    await active_vendor(
        vendors, auth, "Twin Paving Inc.", identifiers=[{"scheme": "CA-SOS", "id": "C7654321"}]
    )
    await active_vendor(vendors, auth, "Twin Paving LLC")
    other = await active_vendor(
        vendors, auth, "Other Works Corporation", identifiers=[{"scheme": "US-CAGE", "id": "1ABC2"}]
    )
    _, others_contract = await contract_of(session, other)

    def row(
        ref,
        vendor="CA-SOS,C1234567,",
        tier="",
        prime=",,",
        contract="",
        department="GSD",
        category="nigp,620-80",
        amount="100.00",
        currency="",
        paid="2026-01-01",
    ):
        return ",".join([ref, vendor, tier, prime, contract, department, category, amount, currency, paid])

    rows = [
        row("AP-1"),  # line 2: valid
        row(""),  # 3: no external_ref
        row("AP-1"),  # 4: repeats line 2's ref
        row("AP-4", vendor=",,Nobody Known LLC"),  # 5: unknown name
        row("AP-5", vendor=",,Twin Paving"),  # 6: ambiguous name
        row("AP-6", vendor="XX-NOPE,123,"),  # 7: unknown scheme
        row("AP-7", tier="tertiary"),  # 8: bad tier
        row("AP-8", tier="sub"),  # 9: sub without prime
        row("AP-9", tier="prime", prime="US-CAGE,1ABC2,"),  # 10: a prime line names a prime
        row("AP-10", contract=others_contract),  # 11: another vendor's contract
        row("AP-11", contract="C-1999-00001"),  # 12: unknown contract
        row("AP-12", department="XYZ"),  # 13: unknown department
        row("AP-13", category="nigp,62-80"),  # 14: bad code
        row("AP-14", category="cpv,620-80"),  # 15: bad scheme
        row("AP-15", amount='"1,000.00"'),  # 16: thousands separator
        row("AP-16", amount="0.00"),  # 17: zero
        row("AP-17", currency="EUR"),  # 18: currency
        row("AP-18", paid="2026-02-30"),  # 19: no such day
        row("AP-19", paid="2031-01-01"),  # 20: after today (the clock is in 2030)
        row("AP-20", vendor=",,", department="", category=",", amount="", paid=""),  # 21: all missing
        row("AP-21", department="DOT", category="naics,541511", amount="99.99"),  # 22: valid
    ]
    report = await imported(vendors, auth, csv_file(PAYMENT_HEADER, *rows))
    assert (report["rows"], report["loaded"], report["failed"]) == (21, 2, 19)
    by_line = {}
    for error in report["errors"]:
        by_line.setdefault(error["line"], []).append((error["column"], error["code"]))
    assert by_line == {
        3: [("external_ref", "missing")],
        4: [("external_ref", "duplicate")],
        5: [("vendor_name", "unknown_vendor")],
        6: [("vendor_name", "ambiguous_vendor")],
        7: [("vendor_identifier_scheme", "unknown_scheme")],
        8: [("tier", "enum")],
        9: [("prime_vendor_name", "missing")],
        10: [("prime_vendor_name", "unexpected")],
        11: [("contract_number", "contract_of_another_vendor")],
        12: [("contract_number", "unknown_contract")],
        13: [("department", "unknown_department")],
        14: [("category_code", "invalid")],
        15: [("category_scheme", "enum")],
        16: [("amount", "invalid")],
        17: [("amount", "zero")],
        18: [("currency", "currency")],
        19: [("paid_date", "invalid")],
        20: [("paid_date", "future_date")],
        21: [
            ("vendor_name", "missing"),
            ("department", "missing"),
            ("category_code", "missing"),
            ("amount", "missing"),
            ("paid_date", "missing"),
        ],
    }
    assert report["error_count"] == sum(len(errors) for errors in by_line.values())
    messages = {error["line"]: error["message"] for error in report["errors"]}
    assert messages[4] == "the same external_ref is on line 2"
    assert "VND-" in messages[6] and "identifier" in messages[6]
    loaded = [p for p in await payments_of(vendors, auth, vendor_id=acme) if p["import_id"] == report["id"]]
    assert sorted(p["external_ref"] for p in loaded) == ["AP-1", "AP-21"]

    page = await vendors.get(f"{IMPORTS}/{report['id']}/errors", params={"page_size": 3}, headers=auth(READ))
    assert page.status_code == 200, page.text
    assert [error["line"] for error in page.json()["items"]] == [3, 4, 5]
    rest = await vendors.get(
        f"{IMPORTS}/{report['id']}/errors",
        params={"page_size": 500, "page_token": page.json()["next_page_token"]},
        headers=auth(READ),
    )
    assert len(rest.json()["items"]) == report["error_count"] - 3


async def test_a_line_loaded_before_with_other_values_is_an_error_not_a_change(vendors, auth, clock):
    await active_vendor(
        vendors, auth, "Acme Construction Incorporated", identifiers=[{"scheme": "CA-SOS", "id": "C1234567"}]
    )
    await imported(
        vendors,
        auth,
        csv_file(PAYMENT_HEADER, "AP-1,CA-SOS,C1234567,,,,,,,GSD,nigp,620-80,100.00,,2026-01-01"),
    )
    report = await imported(
        vendors,
        auth,
        csv_file(PAYMENT_HEADER, "AP-1,CA-SOS,C1234567,,,,,,,GSD,nigp,620-80,999.00,,2026-01-01"),
    )
    assert (report["loaded"], report["already_present"], report["failed"]) == (0, 0, 1)
    [error] = report["errors"]
    assert (error["line"], error["column"], error["code"]) == (2, "external_ref", "changed")
    [payment] = [p for p in await payments_of(vendors, auth) if p["external_ref"] == "AP-1"]
    assert payment["amount"]["amount"] == "100.00"
    assert payment["id"] in error["message"]


async def test_columns_may_come_in_any_order_with_a_bom_crlf_and_quotes(vendors, auth, clock):
    vendor = await active_vendor(vendors, auth, "Acme Construction Incorporated")
    body = "\ufeffPaid_Date,amount,category_code,department,vendor_name,external_ref\r\n".encode() + (
        b'2026-01-05,10.00,620-80,GSD,"Acme Construction, Inc.","AP,""quoted"""\r\n'
    )
    report = await imported(vendors, auth, body)
    assert (report["loaded"], report["failed"]) == (1, 0), report
    [payment] = [p for p in await payments_of(vendors, auth, vendor_id=vendor)]
    assert payment["external_ref"] == 'AP,"quoted"'


@pytest.mark.parametrize(
    ("header", "codes"),
    [
        ("external_ref,vendor_name,department,category_code,amount,paid_date,colour", ["unknown_column"]),
        ("external_ref,vendor_name,department,category_code,amount", ["missing_column"]),
        ("external_ref,department,category_code,amount,paid_date,vendor_identifier", ["missing_column"]),
        (
            "external_ref,vendor_name,vendor_name,department,category_code,amount,paid_date",
            ["duplicate_column"],
        ),
    ],
)
async def test_a_header_that_does_not_name_the_columns_is_refused_whole(
    vendors, auth, clock, session, header, codes
):
    before = await session.scalar(text("SELECT count(*) FROM vendors.imports"))
    response = await upload(vendors, auth, csv_file(header, "a,b,c,d,e,f,g"))
    problem = assert_problem(response, 422, "invalid-csv")
    assert [error["code"] for error in problem["errors"]] == codes
    assert problem["line"] == 1
    assert await session.scalar(text("SELECT count(*) FROM vendors.imports")) == before


@pytest.mark.parametrize(
    ("rows", "line", "detail"),
    [
        (
            ["AP-1,Acme,GSD,620-80,1.00,2026-01-01", "AP-2,Acme,GSD,620-80,1.00,2026-01-01,surplus", "AP-3"],
            3,
            "Line 3",
        ),
        (["AP-1,Acme,GSD,620-80,1.00,2026-01-01", "AP-2,Acme,GSD"], 3, "Line 3"),
        # PostgreSQL notices an open quote where the file ends: past the last line.
        (
            ["AP-1,Acme,GSD,620-80,1.00,2026-01-01", 'AP-2,"Acme,GSD,620-80,1.00,2026-01-01'],
            4,
            "never closed",
        ),
    ],
)
async def test_a_file_that_is_not_csv_is_refused_whole_naming_the_line(
    vendors, auth, clock, session, rows, line, detail
):
    await active_vendor(vendors, auth, "Acme")
    before = await payment_count(session)
    response = await upload(
        vendors, auth, csv_file("external_ref,vendor_name,department,category_code,amount,paid_date", *rows)
    )
    problem = assert_problem(response, 422, "invalid-csv")
    assert problem["line"] == line and detail in problem["detail"]
    assert await payment_count(session) == before


async def test_text_that_is_not_utf8_is_refused(vendors, auth, clock):
    body = b"external_ref,vendor_name,department,category_code,amount,paid_date\nAP-1,Caf\xe9,GSD,620-80,1.00,2026-01-01\n"
    assert_problem(await upload(vendors, auth, body), 422, "invalid-csv")
    assert_problem(await upload(vendors, auth, b""), 422, "invalid-csv")


async def test_uploads_need_csv_and_the_write_scope(vendors, auth, clock):
    body = csv_file("external_ref,vendor_name,department,category_code,amount,paid_date")
    json_body = await vendors.post(
        IMPORTS,
        params={"kind": "payments"},
        content=body,
        headers={"Content-Type": "application/json", **auth(WRITE)},
    )
    assert_problem(json_body, 415, "unsupported-media-type")
    latin = await upload(vendors, auth, body, headers={"Content-Type": "text/csv; charset=latin-1"})
    assert_problem(latin, 415, "unsupported-media-type")
    assert_problem(await upload(vendors, auth, body, scopes=READ), 403, "forbidden")
    assert_problem(await upload(vendors, auth, body, kind="parcels"), 422, "validation-error")
    header_only = await imported(vendors, auth, body)
    assert (header_only["rows"], header_only["loaded"]) == (0, 0)


async def test_a_keyed_import_is_answered_once_and_replayed_to_a_retry(vendors, auth, clock, session):
    await active_vendor(vendors, auth, "Acme")
    body = csv_file(
        "external_ref,vendor_name,department,category_code,amount,paid_date",
        "AP-K1,Acme,GSD,620-80,1.00,2026-01-01",
    )
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await upload(vendors, auth, body, headers=key)
    assert first.status_code == 201, first.text
    retry = await upload(vendors, auth, body, headers=key)
    assert retry.status_code == 201 and retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    assert (
        await session.scalar(text("SELECT count(*) FROM vendors.payments WHERE external_ref = 'AP-K1'")) == 1
    )


async def test_reports_are_read_with_the_read_scope(vendors, auth, clock):
    await active_vendor(vendors, auth, "Acme")
    report = await imported(
        vendors,
        auth,
        csv_file(
            "external_ref,vendor_name,department,category_code,amount,paid_date",
            "AP-1,Acme,GSD,620-80,1.00,2026-01-01",
        ),
    )
    read = await vendors.get(f"{IMPORTS}/{report['id']}", headers=auth(READ))
    assert read.status_code == 200 and read.json() == report
    listed = await vendors.get(IMPORTS, params={"kind": "payments", "page_size": 500}, headers=auth(READ))
    assert report["id"] in [item["id"] for item in listed.json()["items"]]
    assert "errors" not in listed.json()["items"][0]
    other_kind = await vendors.get(IMPORTS, params={"kind": "vendors", "page_size": 500}, headers=auth(READ))
    assert report["id"] not in [item["id"] for item in other_kind.json()["items"]]
    assert_problem(await vendors.get(f"{IMPORTS}/{report['id']}"), 401, "unauthorized")
    assert_problem(await vendors.get(f"{IMPORTS}/{uuid.uuid4()}", headers=auth(READ)), 404, "not-found")
    assert_problem(
        await vendors.get(f"{IMPORTS}/{uuid.uuid4()}/errors", headers=auth(READ)), 404, "not-found"
    )


async def test_an_import_whose_worker_stopped_reads_as_failed(vendors, auth, session):
    import_id = uuid.uuid4()
    await session.execute(
        text(
            "INSERT INTO vendors.imports (id, kind, status, file_bytes, file_sha256, rows_total, submitted_by, "
            "submitted_at) VALUES (:id, 'payments', 'processing', 10, repeat('0', 64), 1, 'tester', now())"
        ),
        {"id": import_id},
    )
    report = (await vendors.get(f"{IMPORTS}/{import_id}", headers=auth(READ))).json()
    assert report["status"] == "failed"
    assert "interrupted" in report["failure"]


# Vendors

VENDOR_HEADER = (
    "legal_name,entity_type,dba_names,size_class,status,identifier_ca_sos,identifier_us_uei,address_line1,"
    "address_city,address_region,address_postal_code,contact_name,contact_email,contact_phone,commodity_codes"
)


async def test_a_vendor_file_registers_new_firms_and_recognises_known_ones(vendors, auth, clock):
    known = await active_vendor(
        vendors, auth, "Acme Construction Incorporated", identifiers=[{"scheme": "CA-SOS", "id": "C1234567"}]
    )
    named = await active_vendor(vendors, auth, "Harbor Striping LLC")
    body = csv_file(
        VENDOR_HEADER,
        "Boyle Heights Paving LLC,llc,BH Paving|Boyle Paving,small,active,201912345678,,1200 S Figueroa St,"
        "Los Angeles,CA,90015,Ana Garcia,ana@bhpaving.example,(213) 555-0100,nigp:913-42 naics:237310",
        "Lincoln Heights Asphalt Inc,corporation,,,,C7654321,,,,,,,,,",
        "ACME Construction Inc.,corporation,,,,c1234567,,,,,,,,,",  # by identifier
        "Harbor Striping L.L.C.,llc,,,,,,,,,,,,,",  # by normalised name
    )
    report = await imported(vendors, auth, body, kind="vendors")
    assert (report["rows"], report["loaded"], report["already_present"], report["failed"]) == (4, 2, 2, 0), (
        report
    )
    assert report["matched_by_identifier"] is None
    listed = await vendors.get(VENDORS, params={"q": "heights", "page_size": 500}, headers=auth(READ))
    created = {vendor["legal_name"]: vendor for vendor in listed.json()["items"]}
    paving = created["Boyle Heights Paving LLC"]
    assert paving["status"] == "active" and paving["dba_names"] == ["BH Paving", "Boyle Paving"]
    assert paving["identifiers"] == [{"scheme": "CA-SOS", "id": "201912345678"}]
    assert (
        paving["addresses"][0]["postal_code"] == "90015"
        and paving["contacts"][0]["email"] == "ana@bhpaving.example"
    )
    assert {(c["scheme"], c["code"]) for c in paving["commodity_codes"]} == {
        ("nigp", "913-42"),
        ("naics", "237310"),
    }
    assert created["Lincoln Heights Asphalt Inc"]["status"] == "draft"
    assert paving["vendor_number"].startswith("VND-")
    assert await audit_actions(vendors, auth, "vendor", paving["id"]) == ["import"]
    assert known and named

    again = await imported(vendors, auth, body, kind="vendors")
    assert (again["loaded"], again["already_present"], again["failed"]) == (0, 4, 0)

    payments = await imported(
        vendors,
        auth,
        csv_file(PAYMENT_HEADER, "AP-9,CA-SOS,201912345678,,,,,,,BSS,nigp,913-42,5000.00,,2026-01-01"),
    )
    assert (payments["loaded"], payments["matched_by_identifier"]) == (1, 1)


async def test_invalid_vendor_rows_are_reported_by_column(vendors, auth, clock):
    await active_vendor(vendors, auth, "Twin Paving Inc.")
    await active_vendor(vendors, auth, "Twin Paving LLC")
    body = csv_file(
        VENDOR_HEADER,
        ",llc,,,,,,,,,,,,,",  # line 2: no name
        "Solo Works,partnership,,,retired,,,,,,,,,,",  # 3: status
        "Bad UEI Corp,corporation,,,,,NOT-A-UEI,,,,,,,,",  # 4: identifier format
        "Half Address LLC,llc,,,,,,100 Main St,,CA,90012,,,,",  # 5: no city
        "Mail Me LLC,llc,,,,,,,,,,Sam,not-an-email,,",  # 6: email
        "Coded LLC,llc,,,,,,,,,,,,,nigp:62 cpv:1234",  # 7: codes
        "New Firm LLC,llc,,,,,,,,,,,,,",  # 8: valid
        "New Firm, L.L.C.,llc,,,,,,,,,,,,,",  # 9: same firm as line 8 (the quote-less comma splits the row)
        "Twin Paving,corporation,,,,,,,,,,,,,",  # 10: ambiguous with two registered vendors
    )
    response = await upload(vendors, auth, body, kind="vendors")
    problem = assert_problem(response, 422, "invalid-csv")  # line 9 has a field too many
    assert problem["line"] == 9
    body = body.replace(b"New Firm, L.L.C.", b'"New Firm, L.L.C."')
    report = await imported(vendors, auth, body, kind="vendors")
    assert (report["rows"], report["loaded"], report["failed"]) == (9, 1, 8), report
    columns = {error["line"]: (error["column"], error["code"]) for error in report["errors"]}
    assert columns[2] == ("legal_name", "missing")
    assert columns[3] == ("status", "enum")
    assert columns[4][0] == "identifier_us_uei"
    assert columns[5] == ("address_city", "missing")
    assert columns[6][0] == "contact_email"
    assert columns[7][0] == "commodity_codes"
    assert columns[9] == (None, "duplicate")
    assert columns[10] == ("legal_name", "ambiguous_vendor")
    assert 8 not in columns


# Asynchronous imports, on a database of their own: the worker commits in its own transaction.


@pytest.fixture(scope="module")
def committed_database(server_url):
    with migrated_database(server_url, "imports") as url:
        yield url


@pytest.fixture
async def committed_client(committed_database):
    """The service on the committed database, as a client: each request commits for real."""
    app = create_app(VendorsSettings(database_url=committed_database, jwt_secret=JWT_SECRET, log_json=False))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://vendors.test") as client,
    ):
        yield client


async def test_respond_async_answers_202_and_the_import_completes(committed_client, auth):
    client = committed_client
    await active_vendor(
        client, auth, "Acme Construction Incorporated", identifiers=[{"scheme": "CA-SOS", "id": "C1234567"}]
    )
    body = csv_file(
        PAYMENT_HEADER,
        *(f"AP-{n},CA-SOS,C1234567,,,,,,,GSD,nigp,620-80,{n}.00,,2026-01-01" for n in range(1, 501)),
        ",CA-SOS,C1234567,,,,,,,GSD,nigp,620-80,1.00,,2026-01-01",
    )
    response = await upload(client, auth, body, headers={"Prefer": "respond-async"}, filename="fy2026.csv")
    assert response.status_code == 202, response.text
    assert response.headers["preference-applied"] == "respond-async"
    started = response.json()
    assert response.headers["location"] == f"{IMPORTS}/{started['id']}"
    assert (started["status"], started["rows"], started["file"]["name"]) == (
        "processing",
        501,
        "fy2026.csv",
    )
    for _ in range(200):
        report = (await client.get(response.headers["location"], headers=auth(READ))).json()
        if report["status"] != "processing":
            break
        await asyncio.sleep(0.05)
    assert report["status"] == "completed", report
    assert (report["loaded"], report["failed"], report["errors"][0]["line"]) == (500, 1, 502)

    broken = await upload(client, auth, b"external_ref,vendor_name\n", headers={"Prefer": "respond-async"})
    assert_problem(broken, 422, "invalid-csv")


async def test_the_same_file_imported_twice_at_once_is_loaded_once(committed_client, auth):
    """Payment merges take turns: the second sees the first's lines as already present, none fails."""
    client = committed_client
    await active_vendor(
        client, auth, "Twice Told Paving Company", identifiers=[{"scheme": "CA-SOS", "id": "C7654321"}]
    )
    body = csv_file(
        PAYMENT_HEADER,
        *(f"AP-TWICE-{n},CA-SOS,C7654321,,,,,,,DOT,nigp,745-00,{n}.00,,2026-02-01" for n in range(1, 301)),
    )
    first, second = await asyncio.gather(upload(client, auth, body), upload(client, auth, body))
    reports = sorted((response.json() for response in (first, second)), key=lambda report: -report["loaded"])
    assert [response.status_code for response in (first, second)] == [201, 201]
    assert [(r["loaded"], r["already_present"], r["failed"]) for r in reports] == [
        (300, 0, 0),
        (0, 300, 0),
    ]
    loaded = await payments_of(client, auth, department="DOT")
    assert len({payment["external_ref"] for payment in loaded}) == len(loaded) == 300


async def test_a_keyed_import_past_its_bound_is_refused_before_it_is_read(committed_database, auth):
    """The idempotency store would hold a keyed body whole: past the bound, the key is refused, not the file."""
    settings = VendorsSettings(
        database_url=committed_database, jwt_secret=JWT_SECRET, log_json=False, import_keyed_max_bytes=500
    )
    app = create_app(settings)
    body = csv_file(
        "external_ref,vendor_name,department,category_code,amount,paid_date",
        *(f"AP-B{n},Nobody,GSD,620-80,1.00,2026-01-01" for n in range(40)),
    )
    assert len(body) > 500
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://vendors.test") as client,
    ):
        keyed = {"Idempotency-Key": str(uuid.uuid4())}
        declared = await upload(client, auth, body, headers=keyed)
        assert assert_problem(declared, 413, "payload-too-large")["max_bytes"] == 500

        async def streamed():
            for start in range(0, len(body), 100):
                yield body[start : start + 100]

        chunked = await upload(client, auth, streamed(), headers=keyed)
        assert_problem(chunked, 413, "payload-too-large")
        unkeyed = await upload(client, auth, body)
        assert unkeyed.status_code == 201 and unkeyed.json()["rows"] == 40
