"""Tax profiles through the HTTP API: the TIN stored encrypted, shown masked, revealed only with the
scope and a reason, never logged or audited in clear, and one TIN per live vendor even under races."""

from __future__ import annotations

import asyncio
import logging
import uuid

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.attempts import AttemptLimit
from services.common.auth import Principal
from services.common.problems import InternalError
from services.vendors.contracts import TaxProfilePut
from services.vendors.db import audit
from services.vendors.registry.repository import vendors as vendors_table
from services.vendors.settings import VendorsSettings
from services.vendors.tax import repository, service
from services.vendors.tax.duplicate_attempts import DuplicateTinAttempts
from services.vendors.tax.vault import TinVault
from tests.problems import assert_problem
from tests.vendors.factories import READ, VENDORS, WRITE, create_vendor

WRITE_AND_REVEAL = f"{WRITE} procurement:tax_reveal"
SSN, SSN_DIGITS = "123-45-6789", "123456789"
EIN, EIN_DIGITS = "12-3456789", "123456789"
FINGERPRINT_KEY = b"f" * 32


def tax_url(vendor_id: str) -> str:
    return f"{VENDORS}/{vendor_id}/tax-profile"


async def put_tin(client, auth, vendor_id, tin_type="ssn", tin=SSN, if_match=None, scopes=WRITE):
    headers = auth(scopes) | ({"If-Match": if_match} if if_match else {})
    return await client.put(tax_url(vendor_id), json={"tin_type": tin_type, "tin": tin}, headers=headers)


async def reveal(
    client, auth, vendor_id, reason="1099-NEC filing", scopes="procurement:tax_reveal", **headers
):
    return await client.post(
        f"{tax_url(vendor_id)}/reveal", json={"reason": reason}, headers=auth(scopes) | headers
    )


async def audit_events(client, auth, vendor_id):
    response = await client.get(
        "/v1/procurement/audit-events",
        params={"entity": "vendor", "entity_id": vendor_id},
        headers=auth("audit:read"),
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def assert_no_tin(text_: str, *forms: str) -> None:
    for form in forms or (SSN, SSN_DIGITS):
        assert form not in text_


# Creating, reading, replacing


async def test_put_creates_the_profile_with_location_etag_and_the_tin_masked(vendors, auth):
    vendor = await create_vendor(vendors, auth)

    response = await put_tin(vendors, auth, vendor["id"])

    assert response.status_code == 201
    assert response.headers["location"] == tax_url(vendor["id"])
    assert response.headers["etag"] == '"v1"'
    profile = response.json()
    assert profile["vendor_id"] == vendor["id"]
    assert profile["tin_type"] == "ssn"
    assert profile["tin_masked"] == "***-**-6789"
    assert profile["tin_last4"] == "6789"
    assert_no_tin(response.text)


@pytest.mark.parametrize(
    ("tin_type", "tin", "masked"),
    [
        ("ein", "12-3456789", "**-***6789"),
        ("ein", "123456789", "**-***6789"),
        ("ssn", "123456789", "***-**-6789"),
        ("itin", "912-70-1234", "***-**-1234"),
        ("foreign", " gb 123.456-789 ", "****6789"),
    ],
)
async def test_each_tin_type_is_accepted_with_or_without_dashes_and_masked_its_way(
    vendors, auth, tin_type, tin, masked
):
    vendor = await create_vendor(vendors, auth)
    response = await put_tin(vendors, auth, vendor["id"], tin_type, tin)
    assert response.status_code == 201, response.text
    assert response.json()["tin_masked"] == masked


async def test_get_returns_the_masked_profile_and_404s_without_one(vendors, auth):
    vendor = await create_vendor(vendors, auth)
    missing = await vendors.get(tax_url(vendor["id"]), headers=auth(READ))
    unknown = await vendors.get(tax_url(str(uuid.uuid4())), headers=auth(READ))
    await put_tin(vendors, auth, vendor["id"], "ein", EIN)

    response = await vendors.get(tax_url(vendor["id"]), headers=auth(READ))

    assert_problem(missing, 404, "not-found")
    assert_problem(unknown, 404, "not-found")
    assert response.status_code == 200
    assert response.headers["etag"] == '"v1"'
    assert response.json()["tin_masked"] == "**-***6789"
    assert_no_tin(response.text, EIN, EIN_DIGITS)


async def test_replacing_needs_if_match_and_refuses_a_stale_one(vendors, auth):
    vendor = await create_vendor(vendors, auth)
    await put_tin(vendors, auth, vendor["id"])

    without = await put_tin(vendors, auth, vendor["id"], "ein", EIN)
    stale = await put_tin(vendors, auth, vendor["id"], "ein", EIN, if_match='"v7"')
    malformed = await put_tin(vendors, auth, vendor["id"], "ein", EIN, if_match="yesterday")
    replaced = await put_tin(vendors, auth, vendor["id"], "ein", "98-7654321", if_match='"v1"')

    assert_problem(without, 428, "precondition-required")
    assert_problem(stale, 412, "precondition-failed")
    assert_problem(malformed, 400, "invalid-entity-tag")  # not an entity-tag (RFC 9110 §8.8.3)
    assert replaced.status_code == 200
    assert replaced.headers["etag"] == '"v2"'
    assert replaced.json()["tin_masked"] == "**-***4321"
    assert replaced.json()["tin_type"] == "ein"


async def test_if_match_on_a_profile_that_does_not_exist_yet_is_412(vendors, auth):
    vendor = await create_vendor(vendors, auth)
    response = await put_tin(vendors, auth, vendor["id"], if_match='"v1"')
    assert_problem(response, 412, "precondition-failed")
    assert (await vendors.get(tax_url(vendor["id"]), headers=auth(READ))).status_code == 404


async def test_putting_the_same_tin_again_changes_nothing(vendors, auth):
    vendor = await create_vendor(vendors, auth)
    await put_tin(vendors, auth, vendor["id"])

    again = await put_tin(vendors, auth, vendor["id"], tin=SSN_DIGITS, if_match='"v1"')

    assert again.status_code == 200
    assert again.headers["etag"] == '"v1"'
    actions = [event["action"] for event in await audit_events(vendors, auth, vendor["id"])]
    assert actions == ["create", "tax_profile.create"]


async def test_put_on_an_unknown_vendor_is_404(vendors, auth):
    response = await put_tin(vendors, auth, str(uuid.uuid4()))
    assert_problem(response, 404, "not-found")
    assert_no_tin(response.text)


# Validation: precise, and never an echo of the number


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"tin_type": "ssn", "tin": "123-45-678"}, ["body", "tin"]),
        ({"tin_type": "ssn", "tin": "000-45-6789"}, ["body", "tin"]),
        ({"tin_type": "ssn", "tin": "666-45-6789"}, ["body", "tin"]),
        ({"tin_type": "ssn", "tin": "123-00-6789"}, ["body", "tin"]),
        ({"tin_type": "ssn", "tin": "123 45 6789"}, ["body", "tin"]),
        # Other scripts' digits would escape duplicate detection: Arabic-Indic, then fullwidth.
        ({"tin_type": "ssn", "tin": "١٢٣-٤٥-٦٧٨٩"}, ["body", "tin"]),
        ({"tin_type": "ein", "tin": "１２-３４５６７８９"}, ["body", "tin"]),
        ({"tin_type": "ein", "tin": "00-3456789"}, ["body", "tin"]),
        ({"tin_type": "ein", "tin": "12-345678X"}, ["body", "tin"]),
        ({"tin_type": "itin", "tin": "123-45-6789"}, ["body", "tin"]),
        ({"tin_type": "itin", "tin": "912-45-6789"}, ["body", "tin"]),
        ({"tin_type": "foreign", "tin": "AB"}, ["body", "tin"]),
        ({"tin_type": "ssn", "tin": "1" * 41}, ["body", "tin"]),
        ({"tin_type": "vat", "tin": "123-45-6789"}, ["body", "tin_type"]),
        ({"tin_type": "ssn"}, ["body", "tin"]),
        ({"tin_type": "ssn", "tin": 123456789}, ["body", "tin"]),
        ({"tin_type": "ssn", "tin": "123-45-6789", "name": "x"}, ["body", "name"]),
    ],
)
async def test_an_invalid_tin_is_a_422_naming_the_field_without_echoing_it(vendors, auth, body, location):
    vendor = await create_vendor(vendors, auth)

    response = await vendors.put(tax_url(vendor["id"]), json=body, headers=auth(WRITE))

    problem = assert_problem(response, 422, "validation-error")
    assert [error["location"] for error in problem["errors"]] == [location]
    tin = str(body.get("tin", "never-sent"))
    assert tin not in response.text
    assert tin.replace("-", "") not in response.text


# Who may do what


async def test_tax_profiles_need_a_token_and_the_right_scope(vendors, auth):
    vendor = await create_vendor(vendors, auth)
    await put_tin(vendors, auth, vendor["id"])
    url = tax_url(vendor["id"])
    body = {"tin_type": "ssn", "tin": SSN}

    assert_problem(await vendors.get(url), 401, "unauthorized")
    assert_problem(await vendors.put(url, json=body), 401, "unauthorized")
    assert_problem(await vendors.post(f"{url}/reveal", json={"reason": "x"}), 401, "unauthorized")
    assert_problem(await vendors.get(url, headers=auth("audit:read")), 403, "forbidden")
    assert_problem(await put_tin(vendors, auth, vendor["id"], if_match='"v1"', scopes=READ), 403, "forbidden")
    refused = assert_problem(await reveal(vendors, auth, vendor["id"], scopes=WRITE), 403, "forbidden")
    assert refused["required_scopes"] == ["procurement:tax_reveal"]


# Reveal


async def test_reveal_returns_the_full_tin_uncached_and_audits_who_and_why_without_it(vendors, auth):
    vendor = await create_vendor(vendors, auth)
    await put_tin(vendors, auth, vendor["id"], tin=SSN_DIGITS)

    response = await reveal(vendors, auth, vendor["id"], reason="  1099-NEC for FY2026  ")

    assert response.status_code == 200
    assert response.json() == {"vendor_id": vendor["id"], "tin_type": "ssn", "tin": SSN}
    assert response.headers["cache-control"] == "no-store"
    events = await audit_events(vendors, auth, vendor["id"])
    assert events[-1]["action"] == "tax_profile.reveal"
    assert events[-1]["reason"] == "1099-NEC for FY2026"
    assert events[-1]["actor"] == "tester"
    assert events[-1]["changes"] == {}


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 2001}])
async def test_reveal_needs_a_reason(vendors, auth, body):
    vendor = await create_vendor(vendors, auth)
    await put_tin(vendors, auth, vendor["id"])

    response = await vendors.post(
        f"{tax_url(vendor['id'])}/reveal", json=body, headers=auth("procurement:tax_reveal")
    )

    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["location"] == ["body", "reason"]
    assert [e["action"] for e in await audit_events(vendors, auth, vendor["id"])][-1] == "tax_profile.create"


async def test_reveal_without_a_profile_or_vendor_is_404(vendors, auth):
    vendor = await create_vendor(vendors, auth)
    assert_problem(await reveal(vendors, auth, vendor["id"]), 404, "not-found")
    assert_problem(await reveal(vendors, auth, str(uuid.uuid4())), 404, "not-found")


async def test_reveal_refuses_an_idempotency_key_so_no_tin_is_stored_for_replay(vendors, auth, session):
    vendor = await create_vendor(vendors, auth)
    await put_tin(vendors, auth, vendor["id"])
    key = f"reveal-{uuid.uuid4()}"

    response = await reveal(vendors, auth, vendor["id"], **{"Idempotency-Key": key})

    assert_problem(response, 400, "bad-request")
    stored = await session.scalar(
        text("SELECT count(*) FROM vendors.idempotency_keys WHERE key = :key"), {"key": key}
    )
    assert stored == 0


# Where the TIN must never appear


async def test_the_tin_appears_in_no_response_but_the_reveal(vendors, auth):
    first, second = await create_vendor(vendors, auth), await create_vendor(vendors, auth, "Second Firm LLC")
    created = await put_tin(vendors, auth, first["id"])
    responses = [
        created,
        await vendors.get(tax_url(first["id"]), headers=auth(READ)),
        await vendors.get(f"{VENDORS}/{first['id']}", headers=auth(READ)),
        await vendors.get(VENDORS, headers=auth(READ)),
        await put_tin(vendors, auth, second["id"], tin=SSN_DIGITS),  # the duplicate 409
        await put_tin(vendors, auth, first["id"]),  # the 428
        await vendors.get(f"{VENDORS}/{first['id']}/duplicate-candidates", headers=auth(READ)),
        await vendors.get("/v1/procurement/audit-events", headers=auth("audit:read")),
    ]
    for response in responses:
        assert_no_tin(response.text)
        assert_no_tin(str(response.headers))
    assert SSN in (await reveal(vendors, auth, first["id"])).text


async def test_audit_events_say_the_tin_changed_but_never_what_it_is(vendors, auth):
    vendor = await create_vendor(vendors, auth)
    await put_tin(vendors, auth, vendor["id"])
    await put_tin(vendors, auth, vendor["id"], "ein", EIN, if_match='"v1"')
    await reveal(vendors, auth, vendor["id"])

    events = await audit_events(vendors, auth, vendor["id"])

    assert [e["action"] for e in events] == [
        "create",
        "tax_profile.create",
        "tax_profile.update",
        "tax_profile.reveal",
    ]
    assert events[1]["changes"] == {"tin": ["[redacted]", "[redacted]"], "tin_type": [None, "ssn"]}
    assert events[2]["changes"] == {"tin": ["[redacted]", "[redacted]"], "tin_type": ["ssn", "ein"]}
    assert_no_tin(str(events), SSN, SSN_DIGITS, EIN, "6789")


async def test_the_tin_is_never_logged(vendors, auth, caplog):
    vendor = await create_vendor(vendors, auth)
    other = await create_vendor(vendors, auth, "Other Firm LLC")

    with caplog.at_level(logging.DEBUG):
        await put_tin(vendors, auth, vendor["id"])
        await put_tin(vendors, auth, other["id"], tin=SSN_DIGITS)  # duplicate: 409
        await put_tin(vendors, auth, other["id"], tin="123-45-678")  # invalid: 422
        await reveal(vendors, auth, vendor["id"])

    assert caplog.records, "the requests were logged"
    for record in caplog.records:
        assert_no_tin(record.getMessage())
        assert_no_tin(repr(record.__dict__))
        assert "12345678" not in repr(record.__dict__)


async def test_the_database_holds_ciphertext_last4_and_a_keyed_fingerprint_not_the_tin(
    vendors, auth, session, vendors_app
):
    vendor = await create_vendor(vendors, auth)
    await put_tin(vendors, auth, vendor["id"])

    row = await repository.get_profile(session, uuid.UUID(vendor["id"]))

    assert row is not None
    assert_no_tin(str(row))
    assert row.tin_last4 == "6789"
    vault: TinVault = vendors_app.state.tin_vault
    assert vault.decrypt(row.tin_ciphertext) == SSN_DIGITS
    assert row.tin_fingerprint == vault.fingerprint("ssn", SSN_DIGITS)
    assert row.tin_fingerprint != TinVault([Fernet.generate_key()], b"k" * 32).fingerprint("ssn", SSN_DIGITS)


# Keys


def test_a_tin_encrypted_under_an_old_key_decrypts_after_a_new_primary_key_is_added():
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    token = TinVault([old_key], FINGERPRINT_KEY).encrypt(SSN_DIGITS)

    rotated_vault = TinVault([new_key, old_key], FINGERPRINT_KEY)

    assert rotated_vault.decrypt(token) == SSN_DIGITS
    fresh = rotated_vault.encrypt(SSN_DIGITS)
    assert TinVault([new_key], FINGERPRINT_KEY).decrypt(fresh) == SSN_DIGITS  # the new key encrypts
    with pytest.raises(InternalError):
        TinVault([new_key], FINGERPRINT_KEY).decrypt(token)  # the old key is still needed...
    assert (
        TinVault([new_key], FINGERPRINT_KEY).decrypt(rotated_vault.rotate(token)) == SSN_DIGITS
    )  # ...until rotated


def test_keys_come_from_settings_or_are_derived_from_the_signing_key():
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    configured = TinVault.from_settings(
        VendorsSettings(
            tin_encryption_keys=f"{new_key.decode()}, {old_key.decode()}",
            tin_fingerprint_key="p" * 40,
            jwt_secret="irrelevant",
        )
    )
    assert configured.decrypt(TinVault([old_key], FINGERPRINT_KEY).encrypt(EIN_DIGITS)) == EIN_DIGITS

    derived = TinVault.from_settings(VendorsSettings(secret_key="one secret " * 4))
    again = TinVault.from_settings(VendorsSettings(secret_key="one secret " * 4))
    other = TinVault.from_settings(VendorsSettings(secret_key="another secret " * 4))
    token = derived.encrypt(SSN_DIGITS)
    assert again.decrypt(token) == SSN_DIGITS
    assert again.fingerprint("ssn", SSN_DIGITS) == derived.fingerprint("ssn", SSN_DIGITS)
    assert other.fingerprint("ssn", SSN_DIGITS) != derived.fingerprint("ssn", SSN_DIGITS)
    with pytest.raises(InternalError):
        other.decrypt(token)


@pytest.mark.parametrize(
    "settings",
    [
        {"tin_encryption_keys": "not-a-fernet-key"},
        {"tin_fingerprint_key": "short"},
        {"tin_encryption_keys": " , "},
    ],
)
def test_malformed_keys_stop_the_service_at_start_up(settings):
    with pytest.raises(ValueError):
        TinVault.from_settings(VendorsSettings(jwt_secret="x", **settings))


async def test_the_api_reads_a_tin_written_before_a_key_rotation(vendors, auth, vendors_app):
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    original = vendors_app.state.tin_vault
    vendor = await create_vendor(vendors, auth)
    try:
        vendors_app.state.tin_vault = TinVault([old_key], FINGERPRINT_KEY)
        await put_tin(vendors, auth, vendor["id"], "ein", EIN)
        vendors_app.state.tin_vault = TinVault([new_key, old_key], FINGERPRINT_KEY)

        response = await reveal(vendors, auth, vendor["id"])
    finally:
        vendors_app.state.tin_vault = original

    assert response.status_code == 200
    assert response.json()["tin"] == EIN


# One TIN per live vendor


async def test_a_second_vendor_with_the_same_tin_is_a_409_naming_the_first_to_who_may_read_tins(
    vendors, auth
):
    first, second = await create_vendor(vendors, auth), await create_vendor(vendors, auth, "Heights Masonry")
    await put_tin(vendors, auth, first["id"], "ein", EIN)

    response = await put_tin(vendors, auth, second["id"], "ein", EIN_DIGITS, scopes=WRITE_AND_REVEAL)

    problem = assert_problem(response, 409, "duplicate-tin")
    assert problem["existing_vendor_id"] == first["id"]
    assert problem["existing_vendor_number"] == first["vendor_number"]
    assert first["vendor_number"] in problem["detail"]
    assert_no_tin(response.text, EIN, EIN_DIGITS)
    assert (await vendors.get(tax_url(second["id"]), headers=auth(READ))).status_code == 404


async def test_without_the_reveal_scope_a_duplicate_is_refused_without_naming_the_holder(vendors, auth):
    first, second = await create_vendor(vendors, auth), await create_vendor(vendors, auth, "Heights Masonry")
    await put_tin(vendors, auth, first["id"], "ein", EIN)

    response = await put_tin(vendors, auth, second["id"], "ein", EIN, scopes=WRITE)

    problem = assert_problem(response, 409, "duplicate-tin")
    assert "existing_vendor_id" not in problem and "existing_vendor_number" not in problem
    assert first["vendor_number"] not in response.text and first["id"] not in response.text
    assert_no_tin(response.text, EIN, EIN_DIGITS)


async def test_every_refused_duplicate_leaves_an_audit_event_though_the_request_rolls_back(
    vendors, auth, engine
):
    first, second = await create_vendor(vendors, auth), await create_vendor(vendors, auth, "Heights Masonry")
    await put_tin(vendors, auth, first["id"], "ein", EIN)

    for _ in range(2):
        assert_problem(
            await put_tin(vendors, auth, second["id"], "ein", EIN, scopes=WRITE), 409, "duplicate-tin"
        )

    # Read on a connection of its own: the events are committed, not held in the test's transaction.
    async with engine.connect() as connection:
        rows = (
            (
                await connection.execute(
                    select(audit.table).where(
                        audit.table.c.entity_id == second["id"],
                        audit.table.c.action == "tax_profile.duplicate_tin",
                    )
                )
            )
            .mappings()
            .all()
        )
    assert len(rows) == 2
    assert {row["actor"] for row in rows} == {"tester"}
    assert rows[0]["changes"] == {"existing_vendor_id": first["id"]}
    assert_no_tin(str([dict(row) for row in rows]), EIN, EIN_DIGITS)


@pytest.fixture
def duplicate_budget_of_two(vendors_app):
    """The app's duplicate-TIN budget, two refusals an hour, for one test."""
    kept = vendors_app.state.tin_duplicate_attempts
    vendors_app.state.tin_duplicate_attempts = DuplicateTinAttempts(AttemptLimit("2/hour", what="attempts"))
    yield
    vendors_app.state.tin_duplicate_attempts = kept


async def test_past_its_budget_of_refused_duplicates_a_caller_gets_429_for_every_tin_write(
    vendors, auth, duplicate_budget_of_two
):
    holder, target = await create_vendor(vendors, auth), await create_vendor(vendors, auth, "Heights Masonry")
    await put_tin(vendors, auth, holder["id"], "ein", EIN)
    prober = {"scopes": WRITE, "sub": "prober"}

    for _ in range(2):
        response = await vendors.put(
            tax_url(target["id"]), json={"tin_type": "ein", "tin": EIN}, headers=auth(**prober)
        )
        assert_problem(response, 409, "duplicate-tin")
    # Spent: a guess that would confirm the TIN and one that would not get the same answer.
    for tin in (EIN, "98-7654321"):
        response = await vendors.put(
            tax_url(target["id"]), json={"tin_type": "ein", "tin": tin}, headers=auth(**prober)
        )
        assert_problem(response, 429, "rate-limited")
        assert int(response.headers["retry-after"]) > 0

    other_caller = await vendors.put(
        tax_url(target["id"]), json={"tin_type": "ein", "tin": "98-7654321"}, headers=auth(WRITE, sub="clerk")
    )
    assert other_caller.status_code == 201, other_caller.text


async def test_the_same_digits_as_another_tin_type_are_another_tin(vendors, auth):
    first, second = await create_vendor(vendors, auth), await create_vendor(vendors, auth, "Heights Masonry")
    await put_tin(vendors, auth, first["id"], "ein", EIN)
    response = await put_tin(vendors, auth, second["id"], "ssn", SSN)
    assert response.status_code == 201, response.text


async def test_changing_a_tin_to_one_another_vendor_holds_is_a_409(vendors, auth):
    first, second = await create_vendor(vendors, auth), await create_vendor(vendors, auth, "Heights Masonry")
    await put_tin(vendors, auth, first["id"], "ein", EIN)
    await put_tin(vendors, auth, second["id"], "ein", "98-7654321")

    response = await put_tin(vendors, auth, second["id"], "ein", EIN, if_match='"v1"')

    assert_problem(response, 409, "duplicate-tin")
    kept = await vendors.get(tax_url(second["id"]), headers=auth(READ))
    assert kept.json()["tin_masked"] == "**-***4321"


async def test_a_merged_vendor_cannot_be_given_a_tax_profile(vendors, auth):
    merged, survivor = await create_vendor(vendors, auth), await create_vendor(vendors, auth, "Survivor LLC")
    response = await vendors.post(
        f"{VENDORS}/{merged['id']}/merge",
        json={"survivor_id": survivor["id"], "reason": "registered twice"},
        headers=auth(WRITE) | {"If-Match": '"v1"'},
    )
    assert response.status_code == 200, response.text

    problem = assert_problem(await put_tin(vendors, auth, merged["id"]), 409, "conflict")
    assert problem["merged_into_id"] == survivor["id"]


# Races: these commit for real (two transactions must see each other), then clean up after themselves


@pytest.fixture
async def committed(vendors_app, engine, auth):
    """A client whose requests commit (no rolled-back session); what it creates is deleted afterwards."""
    created: list[str] = []
    transport = httpx.ASGITransport(vendors_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vendors.test") as client:

        async def make(name):
            vendor = await create_vendor(client, auth, name)
            created.append(vendor["id"])
            return vendor

        yield client, make
    async with engine.begin() as connection:
        await connection.execute(delete(audit.table).where(audit.table.c.entity_id.in_(created)))
        await connection.execute(
            delete(vendors_table).where(vendors_table.c.id.in_([uuid.UUID(i) for i in created]))
        )


async def test_two_concurrent_puts_of_one_tin_cannot_both_win(committed, auth):
    client, make = committed
    first, second = await make("Race One LLC"), await make("Race Two LLC")

    responses = await asyncio.gather(
        *(
            client.put(tax_url(v["id"]), json={"tin_type": "ein", "tin": EIN}, headers=auth(WRITE_AND_REVEAL))
            for v in (first, second)
        )
    )

    assert sorted(r.status_code for r in responses) == [201, 409]
    loser = next(r for r in responses if r.status_code == 409).json()
    winner = next(r for r in responses if r.status_code == 201).json()
    assert loser["existing_vendor_id"] == winner["vendor_id"]


async def test_the_unique_index_turns_a_lost_race_into_the_same_409(committed, vendors_app, engine):
    """Another transaction saves the TIN after this one checked: the unique index decides, and the
    loser still hears which vendor holds the TIN."""
    _, make = committed
    first, second = await make("Race One LLC"), await make("Race Two LLC")
    vault: TinVault = vendors_app.state.tin_vault
    body = TaxProfilePut(tin_type="ein", tin=EIN)

    async with AsyncSession(engine) as winner, AsyncSession(engine) as loser:
        await service.PROFILES.insert(
            winner,
            {
                "vendor_id": uuid.UUID(first["id"]),
                "tin_type": "ein",
                "tin_ciphertext": vault.encrypt(EIN_DIGITS),
                "tin_last4": "6789",
                "tin_fingerprint": vault.fingerprint("ein", EIN_DIGITS),
            },
            actor="t",
        )  # not committed yet: invisible to the loser's duplicate check
        losing = asyncio.create_task(
            service.put(
                loser, vault, uuid.UUID(second["id"]), body, service.Precondition(False), Principal("t")
            )
        )
        await _until_waiting_on_a_lock(engine)
        await winner.commit()

        with pytest.raises(service.DuplicateTin) as refused:
            await losing

    assert refused.value.extra == {
        "existing_vendor_id": first["id"],
        "existing_vendor_number": first["vendor_number"],
    }


async def _until_waiting_on_a_lock(engine):
    """Polls pg_stat_activity (there is no event to await) until a backend waits on a lock, or fails."""
    for _ in range(500):
        async with engine.connect() as connection:
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the second transaction never waited on the first")
