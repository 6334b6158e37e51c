"""The procurement scenario with the Python client openapi-python-client generates from the gateway's
document, used as generated (imported from the folder it was generated into), through the gateway of a
running platform with a token from `cityops token`, as a frontend team would drive it."""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections.abc import Iterator
from typing import Any, get_type_hints

import pytest

from tests.e2e.harness import RunningPlatform

pytestmark = pytest.mark.e2e

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def client(python_client_on_path, running_platform: RunningPlatform, staff_token: str) -> Iterator[Any]:
    from cityops_client import AuthenticatedClient

    with AuthenticatedClient(
        base_url=running_platform.gateway_url,
        token=staff_token,
        raise_on_unexpected_status=True,  # an answer the document does not declare fails the scenario
        timeout=30.0,
    ) as authenticated:
        yield authenticated


@pytest.fixture
def anonymous(python_client_on_path, running_platform: RunningPlatform) -> Iterator[Any]:
    from cityops_client import Client

    with Client(
        base_url=running_platform.gateway_url, raise_on_unexpected_status=True, timeout=30.0
    ) as plain:
        yield plain


def unique_word() -> str:
    """A word the registry's full-text search finds only in this test's vendors."""
    return f"Scn{uuid.uuid4().hex[:10]}"


def new_tin() -> str:
    return f"12-{random.randrange(10**7):07d}"


def create_vendor(client: Any, name: str) -> Any:
    """A vendor created with the generated `vendors_create`: the typed response (status, headers, model)."""
    from cityops_client.api.vendors import vendors_create
    from cityops_client.models import EntityType, Identifier, IdentifierScheme, Vendor, VendorCreate

    response = vendors_create.sync_detailed(
        client=client,
        body=VendorCreate(
            legal_name=name,
            entity_type=EntityType.LLC,
            identifiers=[
                Identifier(scheme=IdentifierScheme.LA_BTRC, id=f"BTRC{uuid.uuid4().int % 10**10:010d}")
            ],
        ),
        idempotency_key=str(uuid.uuid4()),
    )
    assert response.status_code == 201, response.content
    assert isinstance(response.parsed, Vendor), response.parsed
    return response


def test_a_vendor_is_created_paged_to_and_updated_with_the_etag_its_read_carried(client) -> None:
    from cityops_client.api.vendors import vendors_get, vendors_list, vendors_update
    from cityops_client.models import Problem, Vendor, VendorPage, VendorUpdate

    word = unique_word()
    first = create_vendor(client, f"{word} Paving North LLC")
    second = create_vendor(client, f"{word} Paving South LLC")
    assert first.headers["Location"].endswith(f"/vendors/{first.parsed.id}")

    seen, page_token = [], None
    for _ in range(10):
        listed = vendors_list.sync_detailed(client=client, q=word, page_size=1, page_token=page_token)
        page = listed.parsed
        assert isinstance(page, VendorPage), listed.content
        assert len(page.items) <= 1
        seen += [vendor.id for vendor in page.items]
        page_token = page.next_page_token
        if not page_token:
            break
    assert sorted(seen) == sorted([first.parsed.id, second.parsed.id])

    read = vendors_get.sync_detailed(first.parsed.id, client=client)
    assert isinstance(read.parsed, Vendor), read.content
    etag = read.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"'), f"a strong ETag, got {etag!r}"

    renamed = f"{word} Paving and Striping LLC"
    updated = vendors_update.sync_detailed(
        read.parsed.id, client=client, body=VendorUpdate(legal_name=renamed), if_match=etag
    )
    assert updated.status_code == 200, updated.content
    assert isinstance(updated.parsed, Vendor) and updated.parsed.legal_name == renamed
    assert updated.headers["ETag"] != etag

    stale = vendors_update.sync_detailed(
        read.parsed.id, client=client, body=VendorUpdate(legal_name=f"{renamed} again"), if_match=etag
    )
    assert stale.status_code == 412
    assert isinstance(stale.parsed, Problem) and stale.parsed.status == 412


def test_the_first_put_creates_a_tax_profile_and_the_next_replaces_it_with_its_etag(client) -> None:
    from cityops_client.api.tax import tax_profile_put
    from cityops_client.models import EinTaxProfilePut, Problem, TaxProfile, TaxProfilePutIfNoneMatch

    vendor = create_vendor(client, f"{unique_word()} Tax LLC").parsed
    tin = new_tin()

    created = tax_profile_put.sync_detailed(
        vendor.id,
        client=client,
        body=EinTaxProfilePut(tin_type="ein", tin=tin),
        if_none_match=TaxProfilePutIfNoneMatch.ANY,
    )
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, TaxProfile), created.content
    assert created.parsed.tin_last4 == tin[-4:] and tin not in created.content.decode()

    # `If-None-Match: *` creates only: a profile exists now.
    again = tax_profile_put.sync_detailed(
        vendor.id,
        client=client,
        body=EinTaxProfilePut(tin_type="ein", tin=new_tin()),
        if_none_match=TaxProfilePutIfNoneMatch.ANY,
    )
    assert again.status_code == 412, again.content
    assert isinstance(again.parsed, Problem) and again.parsed.status == 412

    replacement = new_tin()
    replaced = tax_profile_put.sync_detailed(
        vendor.id,
        client=client,
        body=EinTaxProfilePut(tin_type="ein", tin=replacement),
        if_match=created.headers["ETag"],
    )
    assert replaced.status_code == 200, replaced.content
    assert isinstance(replaced.parsed, TaxProfile), replaced.content
    assert replaced.parsed.version > created.parsed.version
    assert replaced.parsed.tin_last4 == replacement[-4:]
    assert replaced.headers["ETag"] != created.headers["ETag"]


def test_a_report_is_fetched_as_csv(client) -> None:
    from cityops_client.api.reports import reports_spend_cube_csv

    response = reports_spend_cube_csv.sync_detailed(client=client)

    assert response.status_code == 200, response.content
    assert response.headers["Content-Type"].startswith("text/csv")
    # The generated client hands a text/csv answer over as the text itself.
    assert isinstance(response.parsed, str), response.parsed
    rows = list(csv.reader(io.StringIO(response.parsed.lstrip("\ufeff"))))
    assert len(rows[0]) > 1, rows[:1]


def test_a_csv_file_of_vendors_is_imported(client) -> None:
    from cityops_client.api.imports import imports_create
    from cityops_client.models import ImportKind, ImportReport, ImportStatus
    from cityops_client.types import File

    word = unique_word()
    content = f"legal_name,entity_type\n{word} Imported One LLC,llc\n{word} Imported Two Inc,corporation\n"
    # The multipart body's model, by the name the document gives it.
    upload = get_type_hints(imports_create.sync_detailed)["body"]

    response = imports_create.sync_detailed(
        client=client,
        body=upload(
            file=File(payload=io.BytesIO(content.encode()), file_name="vendors.csv", mime_type="text/csv")
        ),
        kind=ImportKind.VENDORS,
        filename="vendors.csv",
        idempotency_key=str(uuid.uuid4()),
    )

    assert response.status_code == 201, response.content
    report = response.parsed
    assert isinstance(report, ImportReport), response.content
    assert report.status == ImportStatus.COMPLETED and report.loaded == 2, report


def test_problems_are_read_as_the_generated_problem_models(client) -> None:
    from cityops_client.api.vendors import vendors_create, vendors_get
    from cityops_client.models import EntityType, Problem, ValidationProblem, VendorCreate

    missing = vendors_get.sync_detailed(uuid.uuid4(), client=client)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith(PROBLEM_JSON)
    assert isinstance(missing.parsed, Problem), missing.content
    assert missing.parsed.status == 404 and missing.parsed.type_ == "urn:cityops:problem:not-found"
    assert missing.parsed.title

    invalid = vendors_create.sync_detailed(
        client=client, body=VendorCreate(legal_name="", entity_type=EntityType.LLC)
    )
    assert invalid.status_code == 422
    assert invalid.headers["Content-Type"].startswith(PROBLEM_JSON)
    assert isinstance(invalid.parsed, ValidationProblem), invalid.content
    assert invalid.parsed.status == 422
    assert any(error.location[-1] == "legal_name" for error in invalid.parsed.errors), invalid.parsed


def test_open_data_is_read_without_a_token(anonymous) -> None:
    from cityops_client.api.directory import directory_list
    from cityops_client.api.ocds import ocds_list_releases
    from cityops_client.models import DirectoryPage

    directory = directory_list.sync_detailed(client=anonymous, page_size=5)
    assert directory.status_code == 200, directory.content
    assert isinstance(directory.parsed, DirectoryPage)

    releases = ocds_list_releases.sync_detailed(client=anonymous, page_size=5)
    assert releases.status_code in (200, 204), releases.content  # 204 while nothing is published
