"""Procurement end to end, as a City system and its suppliers would drive it: every call over HTTP through
the gateway to the real vendors process, on the server's own clock.

A solicitation is published with a tender period a few seconds long; suppliers bid, one withdraws, one is
late; no token, whatever its scopes, reads a sealed price before the opening; the tabulation lets anyone
check each receipt; evaluation ranks with a small-business preference while a WBE certificate counts for
nothing; the notice of intent is protested in time, which stays the award; the award is rejected and
passes to the next bid. Then payments are imported twice (the second changes nothing), the spend cube
agrees with totals computed here from the file, and the OCDS record passes the official validator.
Taking an award to a contract waits out a protest window of business days, which the in-process
lifecycle test (tests/vendors/test_lifecycle.py) covers with a movable clock.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from tests.vendors.ocds_validator import assert_valid

from .harness import RunningPlatform, bearer, ok, problem, token

pytestmark = pytest.mark.e2e

P = "/v1/procurement"
STAFF = "procurement:read procurement:write procurement:evaluate procurement:tax_reveal audit:read"
SEALED_PRICE = "187313.37"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def sleep_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


def register(client: httpx.Client, staff: dict[str, str], name: str, *certifications: str) -> str:
    """An active vendor with an LA business tax registration number and verified certificates."""
    body = {
        "legal_name": name,
        "entity_type": "llc",
        "identifiers": [{"scheme": "LA-BTRC", "id": f"BTRC{uuid.uuid4().int % 10**10:010d}"}],
    }
    vendor = ok(client.post(f"{P}/vendors", json=body, headers=staff), 201)
    for status in ("submitted", "active"):
        ok(client.post(f"{P}/vendors/{vendor['id']}/transitions", json={"to": status}, headers=staff))
    today = date.today()
    for number, kind in enumerate(certifications, start=1):
        certification = ok(
            client.post(
                f"{P}/vendors/{vendor['id']}/certifications",
                json={
                    "type": kind,
                    "agency_code": "LA-BCA",
                    "certificate_number": f"E2E-{uuid.uuid4().hex[:6]}-{number}",
                    "effective_date": (today - timedelta(days=30)).isoformat(),
                    "expiration_date": (today + timedelta(days=365)).isoformat(),
                },
                headers=staff,
            ),
            201,
        )
        ok(
            client.post(
                f"{P}/certifications/{certification['id']}/transitions",
                json={"to": "verified"},
                headers=staff,
            )
        )
    return str(vendor["id"])


def bid(total: str) -> dict:
    return {"acknowledged_addenda": [], "sealed": {"total": {"amount": total, "currency": "USD"}}}


def test_a_solicitation_through_the_gateway_from_publication_to_a_rejected_award_then_spend_and_ocds(
    platform: RunningPlatform,
) -> None:
    platform.start()
    staff = bearer(token(platform, STAFF))
    every_scope = bearer(token(platform, STAFF + " procurement:bid", vendor=str(uuid.uuid4())))

    with httpx.Client(base_url=platform.gateway_url, timeout=30.0) as client:
        tag = uuid.uuid4().hex[:6]
        paving = register(client, staff, f"Boyle Heights Paving {tag} LLC")
        gravel = register(client, staff, f"Arroyo Gravel {tag} LLC", "sbe", "wbe")
        striping = register(client, staff, f"Highland Park Striping {tag} LLC", "wbe")
        quitter = register(client, staff, f"Second Thoughts {tag} LLC")
        latecomer = register(client, staff, f"Always Late {tag} LLC")
        suppliers = {
            v: bearer(token(platform, "procurement:bid", vendor=v))
            for v in (paving, gravel, striping, quitter, latecomer)
        }

        # Published now, taking bids from 2 s to 12 s from now by the server's clock.
        opens = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        closes = opens + timedelta(seconds=10)
        solicitation = ok(
            client.post(
                f"{P}/solicitations",
                json={
                    "title": f"Crack sealing, Council District 14 ({tag})",
                    "type": "ifb",
                    "main_category": "works",
                    "buyer_department": "bss",
                    "estimated_value": {"amount": "200000.00", "currency": "USD"},
                    "funding_source": "local",
                    "items": [
                        {
                            "id": "1",
                            "description": "Crack sealant, hot-applied",
                            "classification": {"scheme": "nigp", "code": "745-40"},
                            "quantity": "40",
                            "unit": "ton",
                        }
                    ],
                    "tender_period": {"start": iso(opens), "end": iso(closes)},
                },
                headers=staff,
            ),
            201,
        )
        url = f"{P}/solicitations/{solicitation['id']}"
        ok(client.post(f"{url}/transitions", json={"to": "published"}, headers=staff))
        problem(
            client.post(f"{url}/bids", json=bid("1.00"), headers=suppliers[paving]),
            409,
            "outside-tender-period",
        )

        sleep_until(opens)
        receipts = {}
        for vendor_id, total in (
            (paving, "190000.00"),
            (gravel, "195000.00"),
            (striping, SEALED_PRICE),
            (quitter, "150000.00"),
        ):
            receipts[vendor_id] = ok(
                client.post(f"{url}/bids", json=bid(total), headers=suppliers[vendor_id]), 201
            )
        ok(client.post(f"{url}/bids/{receipts[quitter]['id']}/withdraw", headers=suppliers[quitter]))

        # Sealed: no list before the opening, and no price in anything a token with every scope reads.
        problem(client.get(f"{url}/bids", headers=every_scope), 403, "sealed-until-opening")
        for path in (
            url,
            f"{url}/bids/{receipts[striping]['id']}",
            f"{P}/ocds/records/{solicitation['ocid']}",
        ):
            response = client.get(path, headers=every_scope)
            assert SEALED_PRICE not in response.text and SEALED_PRICE.replace(".", "") not in response.text
        own = ok(client.get(f"{url}/bids/{receipts[striping]['id']}", headers=suppliers[striping]))
        assert own["sealed"]["total"]["amount"] == SEALED_PRICE

        sleep_until(closes + timedelta(seconds=1))
        problem(
            client.post(f"{url}/bids", json=bid("1.00"), headers=suppliers[latecomer]),
            409,
            "outside-tender-period",
        )

        # The public opening; every receipt checks out against the tabulation.
        ok(client.post(f"{url}/transitions", json={"to": "opened"}, headers=staff))
        tabulation = ok(client.get(f"{url}/tabulation"))
        rows = {row["bid_id"]: row for row in tabulation["bids"]}
        assert set(rows) == {receipts[v]["id"] for v in (paving, gravel, striping)}
        for vendor_id in (paving, gravel, striping):
            receipt = receipts[vendor_id]["receipt"]
            row = rows[receipt["bid_id"]]
            hashed = f"{row['bid_id']}\n{row['sealed_payload']}\n{row['submitted_at']}".encode()
            assert hashlib.sha256(hashed).hexdigest() == receipt["hash"] == row["receipt_hash"]

        # Evaluation: 195,000 less the SBE's 5% (185,250) ranks first; the WBE certificate changes nothing.
        ok(client.post(f"{url}/transitions", json={"to": "evaluation"}, headers=staff))
        for vendor_id in (paving, gravel, striping):
            for outcome in ("responsive", "responsible"):
                ok(
                    client.post(
                        f"{url}/bids/{receipts[vendor_id]['id']}/determinations",
                        json={"outcome": outcome, "reason": "Bond, license and forms in order."},
                        headers=staff,
                    ),
                    201,
                )
        ranking = ok(client.get(f"{url}/ranking", headers=staff))
        assert [(b["vendor_id"], b["evaluated_price"]["amount"]) for b in ranking["bids"]] == [
            (gravel, "185250.00"),
            (striping, SEALED_PRICE),
            (paving, "190000.00"),
        ]

        # The notice of intent, for the bid's own price; a timely protest stays it.
        first = ok(client.post(f"{url}/awards", json={"bid_id": receipts[gravel]["id"]}, headers=staff), 201)
        assert first["amount"]["amount"] == "195000.00"
        problem(
            client.post(f"{P}/awards/{first['id']}/transitions", json={"to": "active"}, headers=staff),
            409,
            "protest-window-open",
        )
        protest = ok(
            client.post(
                f"{P}/awards/{first['id']}/protests",
                json={"grounds": "The SBE certificate lists a different address."},
                headers=suppliers[striping],
            ),
            201,
        )
        assert protest["timely"] is True
        assert ok(client.get(f"{P}/awards/{first['id']}"))["status"] == "stayed"

        # Upheld: the award is rejected and passes to the next-ranked bid.
        ok(
            client.post(
                f"{P}/protests/{protest['id']}/transitions",
                json={"to": "upheld", "reason": "Address mismatch confirmed."},
                headers=staff,
            )
        )
        awards = ok(client.get(f"{P}/awards", params={"solicitation_id": solicitation["id"]}))["items"]
        assert [(a["vendor_id"], a["status"]) for a in awards] == [(gravel, "rejected"), (striping, "intent")]
        assert awards[1]["amount"]["amount"] == SEALED_PRICE

        # Payments, imported twice: the second import finds every line already there.
        lines = [
            (f"E2E-{tag}-{n}", vendor_id, department, code, amount, paid)
            for n, (vendor_id, department, code, amount, paid) in enumerate(
                [
                    (paving, "BSS", "745-40-10", "12000.50", "2025-08-14"),
                    (paving, "BSS", "745-40-10", "8000.25", "2025-11-03"),
                    (gravel, "GSD", "620-80-21", "5400.00", "2026-01-20"),
                    (striping, "BSS", "745-40-33", "3100.10", "2026-03-31"),
                    (striping, "DOT", "968-55-00", "920.00", "2026-05-02"),
                ]
            )
        ]
        names = {
            paving: f"Boyle Heights Paving {tag} LLC",
            gravel: f"Arroyo Gravel {tag} LLC",
            striping: f"Highland Park Striping {tag} LLC",
        }
        csv = "external_ref,vendor_name,department,category_code,amount,paid_date\n" + "".join(
            f"{ref},{names[v]},{dept},{code},{amount},{paid}\n" for ref, v, dept, code, amount, paid in lines
        )
        upload = {**staff, "Content-Type": "text/csv"}
        first_import = ok(
            client.post(f"{P}/imports", params={"kind": "payments"}, content=csv, headers=upload), 201
        )
        again = ok(client.post(f"{P}/imports", params={"kind": "payments"}, content=csv, headers=upload), 201)
        assert first_import["loaded"] == 5 and first_import["failed"] == 0, first_import
        assert again["loaded"] == 0 and again["already_present"] == 5, again

        expected: dict[str, Decimal] = defaultdict(Decimal)
        for _, _, department, _, amount, _ in lines:
            expected[department] += Decimal(amount)
        cube = ok(
            client.get(
                f"{P}/reports/spend-cube",
                params={
                    "dimension": "department",
                    "fiscal_year": 2026,
                    "vendor_id": [paving, gravel, striping],
                },
                headers=staff,
            )
        )
        got = {cell["department"]: Decimal(cell["amount"]["amount"]) for cell in cube["items"]}
        assert got == expected

        record = ok(client.get(f"{P}/ocds/records/{solicitation['ocid']}"))
        assert_valid(record)
        # The package names the address the client called, not the service's behind the gateway.
        assert record["uri"] == f"{platform.gateway_url}{P}/ocds/records/{solicitation['ocid']}"
        compiled = record["records"][0]["compiledRelease"]
        assert {party["id"] for party in compiled["parties"] if "tenderer" in party["roles"]} >= {
            p["id"] for p in compiled["parties"] if "supplier" in p.get("roles", [])
        }
        assert compiled["bids"]["details"], compiled["bids"]
