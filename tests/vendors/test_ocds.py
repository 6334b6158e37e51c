"""The OCDS publication: release and record packages, checked by the official validator (libcoveocds,
offline, against the published standard and extensions: see ocds_validator.py), sealed prices absent
before the opening, drafts absent always, paging and `since`, the compiled release of a process from
publication to payment, and the whole feed of a seeded database.

Processes are built through the API as far as it goes (solicitations, addenda, bids, the opening);
awards, contracts, amendments and payments are written straight into their tables.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.vendors.agreements.models import AmendmentRow, ContractRow
from services.vendors.app import create_app as create_vendors_app
from services.vendors.awards.models import AwardRow
from services.vendors.ocds.merge import MERGE_RULES
from services.vendors.ocds.packages import EXTENSIONS
from services.vendors.payments.models import PaymentRow
from services.vendors.seeding.loader import load_scale_data
from services.vendors.settings import VendorsSettings
from tests.conftest import JWT_SECRET, migrated_database
from tests.problems import assert_problem
from tests.vendors.factories import (
    EVALUATE,
    SECRET_PRICE,
    SOLICITATIONS,
    T0,
    TENDER_END,
    TENDER_START,
    WRITE,
    Records,
    bid_body,
    bids_url,
    create_vendor,
    draft,
    iso,
    move_solicitation,
    published,
    submit,
    supplier,
)
from tests.vendors.ocds_validator import (
    STANDARD_TAG,
    assert_valid,
    offline_session,
    standard_zip,
    validate,
)

RELEASES = "/v1/procurement/ocds/releases"
RECORDS = "/v1/procurement/ocds/records"
# The late addendum moves the close to three days after it.
ADDENDUM_AT = TENDER_END - timedelta(days=1)
CLOSE = ADDENDUM_AT + timedelta(days=3)
OPENED_AT = CLOSE + timedelta(hours=2)
WINNING_PRICE = "238000.00"


async def feed(client, **params):
    """Every release of the feed, following `links.next`; each package checked by the validator."""
    releases, url, pages = [], RELEASES, 0
    while url:
        response = await client.get(url, params=params if pages == 0 else None)
        assert response.status_code == 200, response.text
        package = response.json()
        assert_valid(package)
        releases += package["releases"]
        url = package.get("links", {}).get("next")
        pages += 1
    return releases


async def record_of(client, ocid):
    response = await client.get(f"{RECORDS}/{ocid}")
    assert response.status_code == 200, response.text
    package = response.json()
    assert_valid(package)
    assert len(package["records"]) == 1
    return package["records"][0], response.text


async def registered(client, auth, name):
    vendor = await create_vendor(client, auth, name, status="active")
    return {"id": vendor["id"], "number": vendor["vendor_number"], "name": name}


async def bid_on(client, auth, solicitation, bidder, total, addenda=()):
    return await submit(client, auth, solicitation, bidder["id"], bid_body(total, addenda=addenda))


async def opened_process(client, auth, clock, session, **overrides):
    """A solicitation published at T0, with a late addendum, three bids (one withdrawn), then opened."""
    clock.set(T0)
    solicitation = await published(client, auth, **overrides)
    paving, asphalt, quitter = [
        await registered(client, auth, name)
        for name in ("Boyle Heights Paving LLC", "Lincoln Heights Asphalt Inc", "Late Thoughts LLC")
    ]
    await Records(session).certify(
        uuid.UUID(paving["id"]), "mbe", date(2029, 1, 1), (OPENED_AT + timedelta(days=10)).date()
    )
    clock.set(TENDER_START + timedelta(hours=1))
    gone = await bid_on(client, auth, solicitation, quitter, "199999.99")
    clock.set(ADDENDUM_AT)
    addendum = await client.post(
        f"{SOLICITATIONS}/{solicitation['id']}/addenda",
        json={"title": "Revised quantities", "description": "Item 1: 1,400 tons."},
        headers=auth(WRITE),
    )
    assert addendum.status_code == 201, addendum.text
    clock.set(ADDENDUM_AT + timedelta(hours=1))
    withdrawn = await client.post(
        f"{bids_url(solicitation)}/{gone['id']}/withdraw", headers=supplier(auth, quitter["id"])
    )
    assert withdrawn.status_code == 200, withdrawn.text
    clock.set(ADDENDUM_AT + timedelta(hours=2))
    winning = await bid_on(client, auth, solicitation, paving, WINNING_PRICE, addenda=[addendum.json()["id"]])
    # Submitted after the addendum without acknowledging it: nonresponsive at the opening.
    late = await bid_on(client, auth, solicitation, asphalt, SECRET_PRICE)
    return {
        "solicitation": solicitation,
        "paving": paving,
        "asphalt": asphalt,
        "quitter": quitter,
        "winning_bid": winning,
        "nonresponsive_bid": late,
    }


async def open_bids(client, auth, clock, solicitation):
    clock.set(OPENED_AT)
    response = await move_solicitation(client, auth, solicitation["id"], "opened", scopes=EVALUATE)
    assert response.status_code == 200, response.text


async def award_contract_and_pay(session: AsyncSession, process):
    """Award to the winner (intent, then in force), a contract, an amendment, payments."""
    solicitation, paving = process["solicitation"], process["paving"]
    award_id, contract_id = uuid.uuid4(), uuid.uuid4()
    intent_at, active_at = OPENED_AT + timedelta(days=1), OPENED_AT + timedelta(days=12)
    await session.execute(
        insert(AwardRow.__table__).values(  # type: ignore[attr-defined]
            id=award_id,
            solicitation_id=uuid.UUID(solicitation["id"]),
            bid_id=uuid.UUID(process["winning_bid"]["id"]),
            vendor_id=uuid.UUID(paving["id"]),
            rank=1,
            status="active",
            amount=Decimal(WINNING_PRICE),
            currency="USD",
            intent_notified_at=intent_at,
            protest_window_ends_on=(intent_at + timedelta(days=7)).date(),
            award_date=active_at.date(),
            version=2,
            created_at=intent_at,
            updated_at=active_at,
        )
    )
    created_at, amended_at = active_at + timedelta(days=1), active_at + timedelta(days=20)
    await session.execute(
        insert(ContractRow.__table__).values(  # type: ignore[attr-defined]
            id=contract_id,
            number=f"C-2030-{uuid.uuid4().int % 100000:05d}",
            award_id=award_id,
            solicitation_id=uuid.UUID(solicitation["id"]),
            vendor_id=uuid.UUID(paving["id"]),
            department="GSD",
            title="Civic Center street resurfacing materials",
            status="active",
            original_value_amount=Decimal(WINNING_PRICE),
            value_amount=Decimal("250000.00"),
            currency="USD",
            period_start=date(2030, 5, 1),
            period_end=date(2031, 6, 30),
            signed_date=date(2030, 4, 20),
            version=3,
            created_at=created_at,
            updated_at=amended_at,
        )
    )
    await session.execute(
        insert(AmendmentRow.__table__).values(  # type: ignore[attr-defined]
            id=uuid.uuid4(),
            contract_id=contract_id,
            number=1,
            description="Additional 50 tons of asphalt",
            value_change_amount=Decimal("12000.00"),
            new_period_end=date(2031, 6, 30),
            effective_date=amended_at.date(),
            made_by="buyer",
            made_at=amended_at,
        )
    )
    paid = [
        (paving["id"], None, "prime", "40000.00", date(2030, 6, 15)),
        (paving["id"], None, "prime", "-1500.00", date(2030, 6, 20)),  # a correction
        (process["asphalt"]["id"], paving["id"], "sub", "9000.00", date(2030, 6, 25)),
    ]
    payment_ids = []
    for days, (payee, prime, tier, amount, paid_date) in enumerate(paid, start=30):
        payment_ids.append(uuid.uuid4())
        await session.execute(
            insert(PaymentRow.__table__).values(  # type: ignore[attr-defined]
                id=payment_ids[-1],
                vendor_id=uuid.UUID(payee),
                prime_vendor_id=uuid.UUID(prime) if prime else None,
                contract_id=contract_id,
                department="GSD",
                category_scheme="nigp",
                category_code="745-40",
                amount=Decimal(amount),
                currency="USD",
                paid_date=paid_date,
                fiscal_year=2030,
                tier=tier,
                created_at=active_at + timedelta(days=days),
            )
        )
    return {"award_id": str(award_id), "contract_id": str(contract_id), "payment_ids": payment_ids}


def party(release, party_id):
    return next(party for party in release["parties"] if party["id"] == party_id)


def roles(release, party_id):
    return party(release, party_id)["roles"]


def classifications(release, party_id):
    return [(c["scheme"], c["id"]) for c in party(release, party_id)["details"]["classifications"]]


# The whole process


async def test_a_process_from_publication_to_payment_is_valid_ocds_and_compiles(
    vendors, auth, clock, session
):
    process = await opened_process(vendors, auth, clock, session)
    solicitation, paving, asphalt = process["solicitation"], process["paving"], process["asphalt"]
    await open_bids(vendors, auth, clock, solicitation)
    ids = await award_contract_and_pay(session, process)

    releases = await feed(vendors)
    ocid = solicitation["ocid"]
    assert [(release["id"].removeprefix(ocid), release["tag"]) for release in releases] == [
        ("-tender", ["tender"]),
        ("-addendum-1", ["tenderAmendment"]),
        ("-opening", ["tenderUpdate"]),
        (f"-award-{ids['award_id']}", ["award"]),
        (f"-award-{ids['award_id']}-active", ["awardUpdate"]),
        (f"-contract-{ids['contract_id']}", ["contract"]),
        (f"-contract-{ids['contract_id']}-amendment-1", ["contractAmendment"]),
        (f"-contract-{ids['contract_id']}-v3", ["contractUpdate"]),
        (f"-payment-{ids['payment_ids'][0]}", ["implementation"]),
        (f"-payment-{ids['payment_ids'][1]}", ["implementation"]),
    ]  # the sub-tier payment is the prime's, not the City's: no transaction of the contract
    dates = [release["date"] for release in releases]
    assert dates == sorted(dates) and len({release["id"] for release in releases}) == len(releases)

    tender = releases[0]["tender"]
    assert tender["id"] == solicitation["reference"] and tender["status"] == "active"
    assert tender["procurementMethod"] == "open" and tender["awardCriteria"] == "priceOnly"
    assert tender["tenderPeriod"]["endDate"] == "2030-04-03T16:00:00Z"  # before the addendum moved it
    assert tender["items"][0]["classification"] == {"scheme": "NIGP", "id": "745-40"}
    assert tender["items"][0]["additionalClassifications"] == [{"scheme": "UNSPSC", "id": "30111509"}]
    assert tender["value"] == {"amount": 250000.0, "currency": "USD"}
    assert releases[1]["tender"]["tenderPeriod"]["endDate"] == "2030-04-05T16:00:00Z"
    assert releases[1]["tender"]["amendments"][0]["rationale"] == "Revised quantities"
    assert roles(releases[0], "DEPT-GSD") == ["buyer", "procuringEntity"]
    assert releases[0]["buyer"] == {
        "id": "DEPT-GSD",
        "name": "City of Los Angeles, General Services Department",
    }

    opening = releases[2]
    assert opening["tender"]["numberOfTenderers"] == 2
    details = {bid["tenderers"][0]["id"]: bid for bid in opening["bids"]["details"]}
    assert set(details) == {paving["number"], asphalt["number"]}  # the withdrawn bid is not one
    assert details[paving["number"]]["value"] == {"amount": 238000.0, "currency": "USD"}
    assert details[paving["number"]]["status"] == "valid"
    assert details[asphalt["number"]]["status"] == "disqualified"  # it missed the addendum
    statistics = {s["measure"]: s for s in opening["bids"]["statistics"]}
    assert {m: s["value"] for m, s in statistics.items()} == {
        "bids": 2,
        "bidders": 2,
        "validBids": 1,
        "disqualifiedBidders": 1,
        "lowestValidBidValue": 238000.0,
        "highestValidBidValue": 238000.0,
        "certifiedMbeBids": 1,
    }
    assert classifications(opening, paving["number"]) == [("USA-LA-CERT", "MBE")]
    assert roles(opening, asphalt["number"]) == ["tenderer"]

    record, _ = await record_of(vendors, ocid)
    assert [release["id"] for release in record["releases"]] == [release["id"] for release in releases]
    compiled = record["compiledRelease"]
    assert compiled["tag"] == ["compiled"] and compiled["date"] == releases[-1]["date"]
    assert compiled["tender"]["tenderPeriod"]["endDate"] == "2030-04-05T16:00:00Z"
    assert compiled["tender"]["title"] == solicitation["title"]
    assert [award["status"] for award in compiled["awards"]] == ["active"]
    assert compiled["awards"][0]["relatedBid"] == process["winning_bid"]["id"]
    (contract,) = compiled["contracts"]
    assert contract["status"] == "active" and contract["awardID"] == ids["award_id"]
    assert contract["value"] == {"amount": 250000.0, "currency": "USD"}
    assert [a["description"] for a in contract["amendments"]] == ["Additional 50 tons of asphalt"]
    transactions = contract["implementation"]["transactions"]
    assert [t["value"]["amount"] for t in transactions] == [40000.0, -1500.0]
    assert transactions[0]["payer"]["id"] == "DEPT-GSD" and transactions[0]["payee"]["id"] == paving["number"]
    assert roles(compiled, "DEPT-GSD") == ["buyer", "procuringEntity", "payer"]
    assert roles(compiled, paving["number"]) == ["tenderer", "supplier", "payee"]
    assert roles(compiled, asphalt["number"]) == ["tenderer"]
    # The MBE certificate lapsed before the award took effect: the releases since show no
    # classification for the vendor. Nothing in OCDS empties a list once published (the extension's
    # list has one item or more), so the compiled release keeps the last one, dated by its description.
    certified_in = [
        release["id"]
        for release in releases
        for vendor in release["parties"]
        if vendor["id"] == paving["number"] and "details" in vendor
    ]
    assert certified_in == [release["id"] for release in releases[2:4]]  # the opening and the award
    (kept,) = party(compiled, paving["number"])["details"]["classifications"]
    lapsed = (OPENED_AT + timedelta(days=10)).date()
    assert kept["id"] == "MBE" and kept["description"].endswith(f"valid through {lapsed.isoformat()}")
    assert process["quitter"]["number"] not in json.dumps(record)


# Parties' classifications


async def test_a_vendor_holding_no_valid_certification_is_published_without_classifications(
    vendors, auth, clock, session
):
    # The organization classification extension asks for one classification or more: a vendor with
    # no certification valid on the release's day has no `details`, never an empty list.
    process = await opened_process(vendors, auth, clock, session)
    await open_bids(vendors, auth, clock, process["solicitation"])

    opening = (await feed(vendors))[-1]  # every package checked against the published extension
    uncertified = party(opening, process["asphalt"]["number"])
    assert uncertified["roles"] == ["tenderer"] and "details" not in uncertified
    assert classifications(opening, process["paving"]["number"]) == [("USA-LA-CERT", "MBE")]
    record, _ = await record_of(vendors, process["solicitation"]["ocid"])
    assert "details" not in party(record["compiledRelease"], process["asphalt"]["number"])


# Sealed bids


async def test_nothing_of_the_bids_appears_before_the_opening(vendors, auth, clock, session):
    process = await opened_process(vendors, auth, clock, session)
    solicitation = process["solicitation"]
    names = [process[who]["name"] for who in ("paving", "asphalt", "quitter")]

    clock.set(CLOSE + timedelta(minutes=1))  # closed, not yet opened
    releases = await feed(vendors)
    _, text = await record_of(vendors, solicitation["ocid"])
    for document in (json.dumps(releases), text):
        assert "731942" not in document and "238000" not in document and "199999" not in document
        assert not any(name in document for name in names)
        assert '"bids"' not in document and "tenderers" not in document  # no count either: it is hidden
    assert [release["tag"] for release in releases] == [["tender"], ["tenderAmendment"]]

    await open_bids(vendors, auth, clock, solicitation)
    _, text = await record_of(vendors, solicitation["ocid"])
    assert "731942.17" in text and all(name in text for name in names[:2])


async def test_a_disclosed_bid_count_is_published_as_it_stood_at_each_release(vendors, auth, clock, session):
    process = await opened_process(vendors, auth, clock, session, disclose_bid_count=True)
    releases = await feed(vendors)
    counts = [release["bids"]["statistics"] for release in releases]
    # At publication no bid yet; at the addendum one (withdrawn since).
    assert [[(s["measure"], s["value"]) for s in statistics] for statistics in counts] == [
        [("bids", 0)],
        [("bids", 1)],
    ]
    assert "731942" not in json.dumps(releases)
    assert not any("details" in release["bids"] for release in releases)
    assert process["paving"]["name"] not in json.dumps(releases)


# Drafts


async def test_drafts_never_appear(vendors, auth, clock):
    clock.set(T0)
    kept = await draft(vendors, auth, title="A draft still being written")
    dropped = await draft(vendors, auth, title="A draft given up")
    assert (
        await move_solicitation(vendors, auth, dropped["id"], "cancelled", reason="No longer needed")
    ).status_code == 200
    public = await published(vendors, auth)

    releases = await feed(vendors)
    assert [release["ocid"] for release in releases] == [public["ocid"]]
    for hidden in (kept, dropped):
        assert hidden["ocid"] not in json.dumps(releases)
        assert_problem(await vendors.get(f"{RECORDS}/{hidden['ocid']}"), 404, "not-found")
    assert_problem(await vendors.get(f"{RECORDS}/ocds-cityops-IFB-1999-0001"), 404, "not-found")


async def test_a_cancelled_tender_ends_with_a_cancellation(vendors, auth, clock):
    clock.set(T0)
    solicitation = await published(vendors, auth)
    clock.set(T0 + timedelta(days=2))
    assert (
        await move_solicitation(vendors, auth, solicitation["id"], "cancelled", reason="Funding withdrawn")
    ).status_code == 200
    record, _ = await record_of(vendors, solicitation["ocid"])
    assert [release["tag"] for release in record["releases"]] == [["tender"], ["tenderCancellation"]]
    assert record["compiledRelease"]["tender"]["status"] == "cancelled"


# Paging and since


async def test_pages_follow_in_order_and_since_keeps_later_releases(vendors, auth, clock, session):
    process = await opened_process(vendors, auth, clock, session)
    await open_bids(vendors, auth, clock, process["solicitation"])
    clock.set(OPENED_AT + timedelta(days=1))
    later_period = {"start": iso(OPENED_AT + timedelta(days=5)), "end": iso(OPENED_AT + timedelta(days=30))}
    other = await published(
        vendors, auth, title="Parking structure maintenance, Lincoln Heights", tender_period=later_period
    )

    everything = await feed(vendors)
    assert len(everything) == 4
    paged = await feed(vendors, page_size=1)
    assert [release["id"] for release in paged] == [release["id"] for release in everything]
    assert everything[-1]["ocid"] == other["ocid"]

    since = everything[1]["date"]
    later = await feed(vendors, since=since)
    assert [release["id"] for release in later] == [release["id"] for release in everything[2:]]


async def test_an_empty_feed_and_bad_parameters(vendors, auth, clock):
    # A package holds at least one release (the schema's minItems): with none to publish, no package.
    response = await vendors.get(RELEASES, params={"since": "2099-01-01T00:00:00Z"})
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await vendors.get(RELEASES, params={"page_token": "forged"}), 400, "invalid-page-token")
    assert_problem(await vendors.get(RELEASES, params={"since": "1700000000"}), 422, "validation-error")
    assert_problem(
        await vendors.get(RELEASES, params={"since": "2030-01-01T00:00:00"}), 422, "validation-error"
    )
    assert_problem(await vendors.get(RELEASES, params={"page_size": 0}), 422, "validation-error")


# Realistic data

# `cityops seed --scale 0.01`: 15 processes from publication to payments, about 1,800 releases.
SEED_SCALE = 0.01
SEED_TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def seeded_database(server_url):
    """A database of its own loaded by the seeder, which commits, as `cityops seed` loads one."""
    with migrated_database(server_url, "ocds_seed") as url:
        settings = VendorsSettings(database_url=url)
        asyncio.run(load_scale_data(url, SEED_SCALE, settings=settings, today=SEED_TODAY))
        yield url


async def test_the_whole_feed_of_a_seeded_database_and_every_record_are_valid(seeded_database):
    app = create_vendors_app(
        VendorsSettings(database_url=seeded_database, jwt_secret=JWT_SECRET, log_json=False)
    )
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://vendors.test") as client,
    ):
        releases = await feed(client, page_size=500)  # every page through the validator
        ocids = sorted({release["ocid"] for release in releases})
        records = [(await record_of(client, ocid))[0] for ocid in ocids]  # and every record

    assert len(ocids) == 15 and len(releases) > 1_000
    assert {"tender", "tenderUpdate", "award", "contract", "implementation"} <= {
        tag for release in releases for tag in release["tag"]
    }
    vendors = [party for release in releases for party in release["parties"] if "identifier" in party]
    # Both kinds of vendor party were checked: with certifications valid that day, and with none.
    assert any("details" in party for party in vendors) and any("details" not in party for party in vendors)
    assert sum(len(record["releases"]) for record in records) == len(releases)


# Merging


def test_the_merge_rules_are_those_of_the_release_schema_with_the_declared_extensions():
    from ocdsextensionregistry import ProfileBuilder
    from ocdsmerge.rules import get_merge_rules

    offline_session()
    builder = ProfileBuilder(STANDARD_TAG, EXTENSIONS, standard_base_url=standard_zip())
    assert get_merge_rules(builder.patched_release_schema()) == MERGE_RULES


# The validator itself


async def test_the_offline_validator_finds_what_the_schemas_forbid(vendors, auth, clock, session):
    process = await opened_process(vendors, auth, clock, session)
    await open_bids(vendors, auth, clock, process["solicitation"])
    package = (await vendors.get(RELEASES)).json()
    assert_valid(package)

    opening = package["releases"][2]
    opening["bids"]["details"][0]["status"] = "opened"  # not a bidStatus: checked by the bids extension
    opening["bids"]["details"][0]["value"]["amount"] = "238000.00"  # OCDS amounts are numbers
    package["releases"][0]["tag"] = ["published"]  # not a releaseTag
    report = validate(package)
    paths = {error["path"] for error in report["validation_errors"]}
    assert paths == {"releases/2/bids/details/0/value/amount"}, report["validation_errors"]
    closed = report["additional_closed_codelist_values"]
    assert {path: set(entry["values"]) for path, entry in closed.items()} == {
        "releases/tag": {"published"},
        "releases/bids/details/status": {"opened"},
    }
