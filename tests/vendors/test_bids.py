"""Sealed bids through the HTTP API, and what the database holds: the bid window by the server clock,
replacement and withdrawal, sealing against every reader but the bidder, receipts, the public opening
and the tabulation anyone can verify.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from services.common.problems import InternalError
from services.vendors.bids.sealing import Sealer
from services.vendors.contracts import BidSealedContent
from services.vendors.settings import MalformedSealingKeys, VendorsSettings
from tests.conftest import ALL_SCOPES
from tests.problems import assert_problem
from tests.vendors.factories import (
    EVALUATE,
    READ,
    SECRET_PRICE,
    SOLICITATIONS,
    T0,
    TENDER_END,
    TENDER_START,
    WRITE,
    active_vendor,
    audit_actions,
    bid_body,
    bids_url,
    move_solicitation,
    published,
    solicitation_body,
    submit,
    supplier,
)

EVERY_SCOPE = ALL_SCOPES + " procurement:bid"
# Every row of a table as text, for a reader with the database and nothing else.
DUMPS = {
    table: f"SELECT coalesce(string_agg(t::text, ' '), '') FROM vendors.{table} AS t"  # noqa: S608 (constants)
    for table in ("bids", "solicitation_sealing_keys", "audit_events")
}


async def open_solicitation(client, auth, clock, **overrides):
    solicitation = await published(client, auth, **overrides)
    clock.set(TENDER_START + timedelta(hours=1))
    return solicitation


def recompute_receipt(bid_id, sealed_payload, submitted_at):
    return hashlib.sha256(f"{bid_id}\n{sealed_payload}\n{submitted_at}".encode()).hexdigest()


async def test_a_full_procurement_from_draft_to_a_verified_tabulation(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    url = f"{SOLICITATIONS}/{solicitation['id']}"
    paving, asphalt, gravel, quitter = [
        await active_vendor(vendors, auth, name=name)
        for name in (
            "Boyle Heights Paving LLC",
            "Lincoln Heights Asphalt Inc",
            "Arroyo Gravel Co",
            "Late Thoughts LLC",
        )
    ]

    # Before the period opens, no bid is taken.
    early = await vendors.post(bids_url(solicitation), json=bid_body(), headers=supplier(auth, paving))
    problem = assert_problem(early, 409, "outside-tender-period")
    assert problem["tender_period"]["start"] == TENDER_START.isoformat().replace("+00:00", "Z")

    clock.set(TENDER_START + timedelta(hours=2, microseconds=123456))
    first = await submit(
        vendors, auth, solicitation, paving, bid_body("240000.00", [("1", "180000.00"), ("2", "60000.00")])
    )
    assert first["status"] == "submitted"
    assert first["sealed"] is None  # the submission response never echoes prices
    assert first["receipt"]["submitted_at"] == "2030-03-14T18:00:00.123456Z"
    assert first["receipt"]["hash"] == recompute_receipt(
        first["id"], first["receipt"]["sealed_payload"], first["receipt"]["submitted_at"]
    )

    clock.set(TENDER_START + timedelta(days=1))
    second = await submit(vendors, auth, solicitation, asphalt, bid_body("255500.00"))
    withdrawn = await submit(vendors, auth, solicitation, quitter, bid_body("199999.99"))
    assert (
        await vendors.post(
            f"{bids_url(solicitation)}/{withdrawn['id']}/withdraw", headers=supplier(auth, quitter)
        )
    ).status_code == 200

    # The first bidder lowers its price: a replacement, with a new receipt.
    clock.set(TENDER_START + timedelta(days=2))
    replaced = await vendors.put(
        f"{bids_url(solicitation)}/{first['id']}",
        json=bid_body("238000.00", [("1", "178000.00"), ("2", "60000.00")]),
        headers=supplier(auth, paving) | {"If-Match": '"v1"'},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["receipt"]["hash"] != first["receipt"]["hash"]
    final_first = replaced.json()

    # A late addendum: the close moves, and bids after it must acknowledge it.
    clock.set(TENDER_END - timedelta(days=1))
    addendum = (
        await vendors.post(
            f"{url}/addenda",
            json={"title": "Revised quantities", "description": "Item 1: 1,400 tons."},
            headers=auth(WRITE),
        )
    ).json()
    new_close = TENDER_END - timedelta(days=1) + timedelta(days=3)
    assert addendum["close_extended_to"] == new_close.isoformat().replace("+00:00", "Z")

    clock.set(TENDER_END + timedelta(hours=1))  # after the original close, before the extended one
    forgetful = await submit(vendors, auth, solicitation, gravel, bid_body("230000.00"))
    acknowledged = await vendors.put(
        f"{bids_url(solicitation)}/{second['id']}",
        json=bid_body("255500.00", addenda=[addendum["id"]]),
        headers=supplier(auth, asphalt) | {"If-Match": '"v1"'},
    )
    assert acknowledged.status_code == 200, acknowledged.text
    assert (await vendors.get(url)).json()["bid_count"] is None  # hidden until the opening

    # After the close: no late bid, and the public opening.
    clock.set(new_close)
    late = await vendors.post(bids_url(solicitation), json=bid_body(), headers=supplier(auth, quitter))
    assert assert_problem(late, 409, "outside-tender-period")["current_status"] == "closed"
    assert_problem(await vendors.get(f"{url}/tabulation"), 409, "conflict")

    clock.set(new_close + timedelta(hours=1))
    opened = await move_solicitation(vendors, auth, solicitation["id"], "opened", scopes=EVALUATE)
    assert opened.status_code == 200, opened.text
    assert opened.json()["status"] == "opened"
    assert opened.json()["bid_count"] == 3

    tabulation = await vendors.get(f"{url}/tabulation")  # public: no token
    assert tabulation.status_code == 200, tabulation.text
    table = tabulation.json()
    assert table["bid_count"] == 3
    rows = {row["bid_id"]: row for row in table["bids"]}
    assert withdrawn["id"] not in rows
    assert [row["bid_id"] for row in table["bids"]] == [forgetful["id"], final_first["id"], second["id"]]
    assert [row["total"]["amount"] for row in table["bids"]] == ["230000.00", "238000.00", "255500.00"]
    assert [row["vendor_name"] for row in table["bids"]] == [
        "Arroyo Gravel Co",
        "Boyle Heights Paving LLC",
        "Lincoln Heights Asphalt Inc",
    ]
    assert all(row["late"] is False for row in table["bids"])
    assert rows[forgetful["id"]]["status"] == "nonresponsive"
    assert rows[forgetful["id"]]["missing_addenda"] == [addendum["id"]]
    assert rows[second["id"]]["status"] == "opened" and rows[second["id"]]["acknowledged_addenda"] == [
        addendum["id"]
    ]
    # The first bid was replaced before the addendum existed: nothing is missing.
    assert rows[final_first["id"]]["status"] == "opened" and rows[final_first["id"]]["missing_addenda"] == []

    # Anyone can check each receipt and each total with what the tabulation publishes.
    released = Fernet(table["released_key"].encode())
    for receipt in (final_first["receipt"], acknowledged.json()["receipt"], forgetful["receipt"]):
        row = rows[receipt["bid_id"]]
        assert row["receipt_hash"] == receipt["hash"]
        assert recompute_receipt(row["bid_id"], row["sealed_payload"], row["submitted_at"]) == receipt["hash"]
        content = released.decrypt(row["sealed_payload"].encode())
        assert f'"amount":"{row["total"]["amount"]}"'.encode() in content
    # The superseded first receipt no longer matches: the replacement is what was opened.
    assert rows[first["id"]]["receipt_hash"] != first["receipt"]["hash"]

    assert await audit_actions(vendors, auth, "bid", first["id"]) == ["submit", "replace"]
    assert await audit_actions(vendors, auth, "bid", withdrawn["id"]) == ["submit", "withdraw"]


async def test_sealed_prices_are_refused_to_every_scope_and_absent_from_the_database(
    vendors, auth, clock, session
):
    solicitation = await open_solicitation(vendors, auth, clock)
    bidder, rival = (
        await active_vendor(vendors, auth),
        await active_vendor(vendors, auth, name="Rival Roads Inc"),
    )
    idempotency_key = str(uuid.uuid4())
    response = await vendors.post(
        bids_url(solicitation),
        json=bid_body(
            SECRET_PRICE, documents=[{"title": "Cost breakdown", "url": "https://files.example/cost.pdf"}]
        ),
        headers=supplier(auth, bidder) | {"Idempotency-Key": idempotency_key},
    )
    assert response.status_code == 201, response.text
    bid = response.json()
    assert SECRET_PRICE not in response.text
    bid_url = f"{bids_url(solicitation)}/{bid['id']}"

    # Every token but the bidder's own is refused, before the opening.
    for headers in (
        auth(EVERY_SCOPE),
        auth(EVERY_SCOPE, vendor=rival),
        supplier(auth, rival),
        auth(READ + " procurement:evaluate procurement:write"),
    ):
        assert_problem(await vendors.get(bid_url, headers=headers), 403, "sealed-until-opening")
        assert_problem(
            await vendors.get(bids_url(solicitation), headers=headers), 403, "sealed-until-opening"
        )
    assert_problem(
        await vendors.get(bids_url(solicitation), headers=supplier(auth, bidder)), 403, "sealed-until-opening"
    )
    assert_problem(await vendors.get(bid_url), 401, "unauthorized")

    own = await vendors.get(bid_url, headers=supplier(auth, bidder))
    assert own.status_code == 200, own.text
    assert own.json()["sealed"]["total"] == {"amount": SECRET_PRICE, "currency": "USD"}
    assert own.json()["sealed"]["financial_documents"][0]["title"] == "Cost breakdown"

    # Whoever reads the database sees ciphertext, a wrapped key, and no price in any table.
    for table in DUMPS:
        dump = await session.scalar(text(DUMPS[table]))
        assert SECRET_PRICE not in dump, table
        assert "Cost breakdown" not in dump, table
    stored_response = await session.scalar(
        text("SELECT convert_from(response_body, 'UTF8') FROM vendors.idempotency_keys WHERE key = :key"),
        {"key": idempotency_key},
    )
    assert bid["id"] in stored_response and SECRET_PRICE not in stored_response
    row = (
        (await session.execute(text("SELECT * FROM vendors.bids WHERE id = :id"), {"id": bid["id"]}))
        .mappings()
        .one()
    )
    assert row["opened_total_amount"] is None and row["opened_content"] is None
    assert row["sealed_payload"] == bid["receipt"]["sealed_payload"]
    key = (
        (
            await session.execute(
                text("SELECT * FROM vendors.solicitation_sealing_keys WHERE solicitation_id = :id"),
                {"id": solicitation["id"]},
            )
        )
        .mappings()
        .one()
    )
    assert key["released_key"] is None
    with pytest.raises(ValueError):
        Fernet(key["wrapped_key"].encode())  # only wrapped: not a key that opens anything


async def test_bid_count_is_hidden_unless_the_solicitation_discloses_it(vendors, auth, clock):
    hidden = await open_solicitation(vendors, auth, clock)
    disclosed = await published(vendors, auth, disclose_bid_count=True)
    vendor_id = await active_vendor(vendors, auth)
    await submit(vendors, auth, hidden, vendor_id)
    await submit(vendors, auth, disclosed, vendor_id)

    assert (await vendors.get(f"{SOLICITATIONS}/{hidden['id']}", headers=auth(EVERY_SCOPE))).json()[
        "bid_count"
    ] is None
    assert (await vendors.get(f"{SOLICITATIONS}/{disclosed['id']}")).json()["bid_count"] == 1


async def test_who_may_bid(vendors, auth, clock):
    solicitation = await open_solicitation(vendors, auth, clock)
    url = bids_url(solicitation)
    assert_problem(await vendors.post(url, json=bid_body()), 401, "unauthorized")
    assert_problem(await vendors.post(url, json=bid_body(), headers=auth(ALL_SCOPES)), 403, "forbidden")
    assert_problem(
        await vendors.post(url, json=bid_body(), headers=auth("procurement:bid")), 403, "forbidden"
    )
    assert_problem(
        await vendors.post(url, json=bid_body(), headers=supplier(auth, uuid.uuid4())), 403, "forbidden"
    )
    assert_problem(
        await vendors.post(url, json=bid_body(), headers=auth("procurement:bid", vendor="not-a-uuid")),
        403,
        "forbidden",
    )

    response = await vendors.post(
        "/v1/procurement/vendors",
        json={"legal_name": "Draft Works", "entity_type": "llc"},
        headers=auth(WRITE),
    )
    problem = assert_problem(
        await vendors.post(url, json=bid_body(), headers=supplier(auth, response.json()["id"])),
        409,
        "conflict",
    )
    assert problem["vendor_status"] == "draft"


async def test_one_live_bid_per_vendor_and_a_new_one_after_withdrawal(vendors, auth, clock):
    solicitation = await open_solicitation(vendors, auth, clock)
    vendor_id = await active_vendor(vendors, auth)
    first = await submit(vendors, auth, solicitation, vendor_id)

    problem = assert_problem(
        await vendors.post(bids_url(solicitation), json=bid_body(), headers=supplier(auth, vendor_id)),
        409,
        "conflict",
    )
    assert problem["bid_id"] == first["id"]

    withdraw_url = f"{bids_url(solicitation)}/{first['id']}/withdraw"
    withdrawn = await vendors.post(withdraw_url, headers=supplier(auth, vendor_id))
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["receipt"] is None
    assert_problem(
        await vendors.post(withdraw_url, headers=supplier(auth, vendor_id)), 409, "invalid-transition"
    )
    own = (
        await vendors.get(f"{bids_url(solicitation)}/{first['id']}", headers=supplier(auth, vendor_id))
    ).json()
    assert own["sealed"] is None  # destroyed at withdrawal

    again = await submit(vendors, auth, solicitation, vendor_id, bid_body("990.00"))
    assert again["id"] != first["id"]


async def test_an_idempotent_retry_returns_the_first_receipt(vendors, auth, clock):
    solicitation = await open_solicitation(vendors, auth, clock)
    vendor_id = await active_vendor(vendors, auth)
    headers = supplier(auth, vendor_id) | {"Idempotency-Key": str(uuid.uuid4())}
    first = await vendors.post(bids_url(solicitation), json=bid_body(), headers=headers)
    again = await vendors.post(bids_url(solicitation), json=bid_body(), headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json()["receipt"] == first.json()["receipt"]
    assert again.headers["idempotent-replayed"] == "true"


async def test_a_bid_must_fit_the_solicitation(vendors, auth, clock):
    solicitation = await open_solicitation(vendors, auth, clock)
    vendor_id = await active_vendor(vendors, auth)
    url, headers = bids_url(solicitation), supplier(auth, vendor_id)

    problem = assert_problem(
        await vendors.post(
            url, json=bid_body("10.00", [("9", "10.00")], addenda=[str(uuid.uuid4())]), headers=headers
        ),
        422,
        "validation-error",
    )
    assert {tuple(error["location"]) for error in problem["errors"]} == {
        ("body", "acknowledged_addenda", 0),
        ("body", "sealed", "line_prices", 0, "item_id"),
    }
    eur = {"acknowledged_addenda": [], "sealed": {"total": {"amount": "10.00", "currency": "EUR"}}}
    problem = assert_problem(await vendors.post(url, json=eur, headers=headers), 422, "validation-error")
    assert problem["errors"][0]["location"] == ["body", "sealed", "total", "currency"]
    for bad in (
        bid_body("10.00", [("1", "4.00"), ("2", "5.00")]),
        bid_body("10.00", [("1", "5.00"), ("1", "5.00")]),
        {"sealed": {"total": {"amount": 10.0, "currency": "USD"}}},
        {"sealed": {"total": {"amount": "-1.00", "currency": "USD"}}},
        {
            "sealed": {
                "total": {"amount": "1.00", "currency": "USD"},
                "financial_documents": [{"title": "x", "url": "ftp://x"}],
            }
        },
        {"acknowledged_addenda": []},
    ):
        assert_problem(await vendors.post(url, json=bad, headers=headers), 422, "validation-error")
    # Nothing was left behind by the refusals.
    assert (await submit(vendors, auth, solicitation, vendor_id))["status"] == "submitted"


async def test_replacement_preconditions(vendors, auth, clock):
    solicitation = await open_solicitation(vendors, auth, clock)
    vendor_id, rival = (
        await active_vendor(vendors, auth),
        await active_vendor(vendors, auth, name="Rival Roads Inc"),
    )
    bid = await submit(vendors, auth, solicitation, vendor_id)
    url = f"{bids_url(solicitation)}/{bid['id']}"

    assert_problem(
        await vendors.put(url, json=bid_body("900.00"), headers=supplier(auth, vendor_id)),
        428,
        "precondition-required",
    )
    assert_problem(
        await vendors.put(
            url, json=bid_body("900.00"), headers=supplier(auth, vendor_id) | {"If-Match": '"v9"'}
        ),
        412,
        "precondition-failed",
    )
    assert_problem(
        await vendors.put(url, json=bid_body("900.00"), headers=supplier(auth, rival) | {"If-Match": '"v1"'}),
        403,
        "forbidden",
    )
    assert_problem(
        await vendors.put(
            f"{bids_url(solicitation)}/{uuid.uuid4()}",
            json=bid_body(),
            headers=supplier(auth, vendor_id) | {"If-Match": '"v1"'},
        ),
        404,
        "not-found",
    )
    assert_problem(await vendors.post(f"{url}/withdraw", headers=supplier(auth, rival)), 403, "forbidden")

    clock.set(TENDER_END)
    assert_problem(
        await vendors.put(
            url, json=bid_body("900.00"), headers=supplier(auth, vendor_id) | {"If-Match": '"v1"'}
        ),
        409,
        "outside-tender-period",
    )
    assert_problem(
        await vendors.post(f"{url}/withdraw", headers=supplier(auth, vendor_id)), 409, "outside-tender-period"
    )
    own = await vendors.get(url, headers=supplier(auth, vendor_id))
    assert own.json()["sealed"]["total"]["amount"] == "1000.00" and own.json()["version"] == 1


async def test_no_bids_on_drafts_or_unknown_solicitations(vendors, auth, clock):
    vendor_id = await active_vendor(vendors, auth)
    draft = (await vendors.post(SOLICITATIONS, json=solicitation_body(), headers=auth(WRITE))).json()
    assert_problem(
        await vendors.post(bids_url(draft), json=bid_body(), headers=supplier(auth, vendor_id)),
        404,
        "not-found",
    )
    assert_problem(
        await vendors.post(
            f"{SOLICITATIONS}/{uuid.uuid4()}/bids", json=bid_body(), headers=supplier(auth, vendor_id)
        ),
        404,
        "not-found",
    )
    assert_problem(await vendors.get(f"{SOLICITATIONS}/{draft['id']}/tabulation"), 404, "not-found")


async def test_the_opening_waits_for_the_close_and_happens_once(vendors, auth, clock):
    solicitation = await open_solicitation(vendors, auth, clock)
    vendor_id = await active_vendor(vendors, auth)
    bid = await submit(vendors, auth, solicitation, vendor_id, bid_body(SECRET_PRICE))

    problem = assert_problem(
        await move_solicitation(vendors, auth, solicitation["id"], "opened", scopes=EVALUATE),
        409,
        "invalid-transition",
    )
    assert problem["current_status"] == "open"
    clock.set(TENDER_END)
    assert_problem(
        await move_solicitation(vendors, auth, solicitation["id"], "opened", scopes=WRITE), 403, "forbidden"
    )
    assert (
        await move_solicitation(vendors, auth, solicitation["id"], "opened", scopes=EVALUATE)
    ).status_code == 200
    assert_problem(
        await move_solicitation(vendors, auth, solicitation["id"], "opened", scopes=EVALUATE),
        409,
        "invalid-transition",
    )

    # After the opening: staff read the bids, the bidder still reads its own, others need the read scope.
    listed = await vendors.get(bids_url(solicitation), headers=auth(READ))
    assert listed.status_code == 200, listed.text
    assert [item["sealed"]["total"]["amount"] for item in listed.json()["items"]] == [SECRET_PRICE]
    assert listed.json()["items"][0]["status"] == "opened"
    one = await vendors.get(f"{bids_url(solicitation)}/{bid['id']}", headers=auth(READ))
    assert one.status_code == 200 and one.json()["sealed"]["total"]["amount"] == SECRET_PRICE
    assert (
        await vendors.get(f"{bids_url(solicitation)}/{bid['id']}", headers=supplier(auth, vendor_id))
    ).status_code == 200
    assert_problem(
        await vendors.get(bids_url(solicitation), headers=auth("procurement:bid")), 403, "forbidden"
    )
    assert_problem(
        await vendors.get(f"{bids_url(solicitation)}/{uuid.uuid4()}", headers=auth(READ)), 404, "not-found"
    )


async def test_an_opening_with_no_bids_publishes_an_empty_tabulation(vendors, auth, clock):
    solicitation = await open_solicitation(vendors, auth, clock)
    clock.set(TENDER_END)
    assert (
        await move_solicitation(vendors, auth, solicitation["id"], "opened", scopes=EVALUATE)
    ).status_code == 200

    table = (await vendors.get(f"{SOLICITATIONS}/{solicitation['id']}/tabulation")).json()
    assert table["bids"] == [] and table["bid_count"] == 0
    assert Fernet(table["released_key"].encode())  # a real key, released
    unsuccessful = await move_solicitation(
        vendors, auth, solicitation["id"], "unsuccessful", reason="No bids", scopes=EVALUATE
    )
    assert unsuccessful.status_code == 200 and unsuccessful.json()["status"] == "unsuccessful"


def test_configured_master_keys_rotate_and_malformed_ones_stop_the_start():
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    content = BidSealedContent(total={"amount": "12.00", "currency": "USD"})
    before = Sealer.from_settings(VendorsSettings(bid_sealing_keys=old_key))
    wrapped = before.new_wrapped_key()
    sealed = before.seal(wrapped, content, T0)

    after = Sealer.from_settings(VendorsSettings(bid_sealing_keys=f"{new_key}, {old_key}"))
    assert after.open(wrapped, sealed) == content
    assert after.master_key_id != before.master_key_id
    assert len(sealed) == len(
        before.seal(wrapped, BidSealedContent(total={"amount": "9999999.00", "currency": "USD"}), T0)
    )
    alone = Sealer.from_settings(VendorsSettings(bid_sealing_keys=new_key))
    with pytest.raises(InternalError):
        alone.open(wrapped, sealed)
    with pytest.raises(MalformedSealingKeys) as refused:
        VendorsSettings(bid_sealing_keys=f"{new_key},not-a-fernet-key")
    assert "not-a-fernet-key" not in str(refused.value) and new_key not in str(refused.value)
