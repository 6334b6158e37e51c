"""The sandbox clock end to end, as an integrator's test suite would use it: one solicitation from draft to
a contract with an amendment and a payment, in one sitting, over HTTP through the gateway to the real
processes. Nothing sleeps: the tender period, a late addendum's extension of the close and the protest
window of business days are passed by moving the platform's time forward with
`POST /v1/sandbox/clock/advance`, and every response then says the time is simulated.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

import httpx
import pytest

from services.common.clock import CITY_TIME_ZONE

from .harness import RunningPlatform, bearer, ok, problem, token

pytestmark = pytest.mark.e2e

P = "/v1/procurement"
CLOCK = "/v1/sandbox/clock"
SIMULATED = "CityOps-Simulated-Time"
STAFF = "procurement:read procurement:write procurement:evaluate"


def iso(moment: datetime) -> str:
    return moment.isoformat()


def la_morning(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=CITY_TIME_ZONE)


class SandboxClock:
    """The platform's time, read and moved through the gateway."""

    def __init__(self, client: httpx.Client, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    def now(self) -> datetime:
        return datetime.fromisoformat(ok(self.client.get(CLOCK, headers=self.headers))["now"])

    def advance(self, **body: str) -> datetime:
        moved = ok(self.client.post(f"{CLOCK}/advance", json=body, headers=self.headers))
        assert moved["simulated"] is True
        return datetime.fromisoformat(moved["now"])

    def advance_to(self, moment: datetime) -> datetime:
        return self.advance(to=iso(moment))


def register(client: httpx.Client, staff: dict[str, str], name: str) -> str:
    body = {
        "legal_name": name,
        "entity_type": "llc",
        "identifiers": [{"scheme": "LA-BTRC", "id": f"BTRC{uuid.uuid4().int % 10**10:010d}"}],
    }
    vendor = ok(client.post(f"{P}/vendors", json=body, headers=staff), 201)
    for status in ("submitted", "active"):
        ok(client.post(f"{P}/vendors/{vendor['id']}/transitions", json={"to": status}, headers=staff))
    return str(vendor["id"])


def bid(total: str, addenda: list[str]) -> dict:
    return {"acknowledged_addenda": addenda, "sealed": {"total": {"amount": total, "currency": "USD"}}}


def draft(client: httpx.Client, staff: dict[str, str], tag: str, opens: datetime, closes: datetime) -> dict:
    body = {
        "title": f"Crack sealing, Council District 1 ({tag})",
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
    }
    return ok(client.post(f"{P}/solicitations", json=body, headers=staff), 201)


def test_a_solicitation_from_draft_to_a_paid_contract_in_one_sitting_on_the_sandbox_clock(
    platform: RunningPlatform,
) -> None:
    platform.start()
    staff = bearer(token(platform, STAFF))
    operator = bearer(token(platform, "sandbox:clock"))

    with httpx.Client(base_url=platform.gateway_url, timeout=30.0) as client:
        clock = SandboxClock(client, operator)
        real = ok(client.get(CLOCK, headers=operator))
        assert real["simulated"] is False and real["ahead_by"] == "PT0S"
        problem(client.get(CLOCK, headers=staff), 403, "forbidden")

        tag = uuid.uuid4().hex[:6]
        paving, gravel, latecomer = (
            register(client, staff, f"{name} {tag} LLC")
            for name in ("Boyle Heights Paving", "Arroyo Gravel", "Always Late")
        )
        suppliers = {
            v: bearer(token(platform, "procurement:bid", vendor=v)) for v in (paving, gravel, latecomer)
        }

        # Drafted and published today; bids from tomorrow for a week.
        start = clock.now()
        opens, closes = start + timedelta(days=1), start + timedelta(days=8)
        solicitation = draft(client, staff, tag, opens, closes)
        url = f"{P}/solicitations/{solicitation['id']}"
        ok(client.post(f"{url}/transitions", json={"to": "published"}, headers=staff))
        problem(
            client.post(f"{url}/bids", json=bid("1.00", []), headers=suppliers[paving]),
            409,
            "outside-tender-period",
        )

        # The next day, the tender period is open; every response now says the time is simulated.
        clock.advance(by="P1DT1H")
        opened = client.get(url)
        assert ok(opened)["status"] == "open"
        assert datetime.fromisoformat(opened.headers[SIMULATED]) >= opens
        paving_bid = ok(client.post(f"{url}/bids", json=bid("190000.00", []), headers=suppliers[paving]), 201)

        # Time never moves back: not to an instant in its past, not by a negative duration.
        problem(
            client.post(f"{CLOCK}/advance", json={"to": iso(start)}, headers=operator),
            409,
            "clock-moves-forward-only",
        )
        problem(
            client.post(f"{CLOCK}/advance", json={"by": "-P1D"}, headers=operator), 422, "validation-error"
        )

        # A day before the close, an addendum: too late for bidders to read it in time, so the close moves
        # to three days after it. At the original close the solicitation is still open.
        issued_at = clock.advance_to(closes - timedelta(days=1))
        addendum = ok(
            client.post(
                f"{url}/addenda",
                json={"title": "Revised quantities", "description": "Item 1 is now 60 tons."},
                headers=staff,
            ),
            201,
        )
        extended = datetime.fromisoformat(addendum["close_extended_to"])
        assert extended - issued_at - timedelta(days=3) < timedelta(minutes=1)
        clock.advance_to(closes + timedelta(hours=1))
        assert ok(client.get(url))["status"] == "open"
        gravel_bid = ok(
            client.post(f"{url}/bids", json=bid("185000.00", [addendum["id"]]), headers=suppliers[gravel]),
            201,
        )

        # After the extended close a bid is late; the opening and the evaluation follow.
        clock.advance_to(extended + timedelta(minutes=1))
        problem(
            client.post(f"{url}/bids", json=bid("1.00", [addendum["id"]]), headers=suppliers[latecomer]),
            409,
            "outside-tender-period",
        )
        for step in ("opened", "evaluation"):
            ok(client.post(f"{url}/transitions", json={"to": step}, headers=staff))
        for receipt in (gravel_bid, paving_bid):
            for outcome in ("responsive", "responsible"):
                ok(
                    client.post(
                        f"{url}/bids/{receipt['id']}/determinations",
                        json={"outcome": outcome, "reason": "Bond, license and forms in order."},
                        headers=staff,
                    ),
                    201,
                )
        ranking = ok(client.get(f"{url}/ranking", headers=staff))
        assert [b["vendor_id"] for b in ranking["bids"]] == [gravel, paving]

        # The notice of intent opens a protest window of business days; the award waits it out.
        award = ok(client.post(f"{url}/awards", json={"bid_id": gravel_bid["id"]}, headers=staff), 201)
        award_url = f"{P}/awards/{award['id']}"
        window_ends = date.fromisoformat(award["protest_window_ends_on"])
        assert window_ends - clock.now().astimezone(CITY_TIME_ZONE).date() >= timedelta(days=5)
        problem(
            client.post(f"{award_url}/transitions", json={"to": "active"}, headers=staff),
            409,
            "protest-window-open",
        )
        clock.advance_to(la_morning(window_ends + timedelta(days=1)))
        awarded = ok(client.post(f"{award_url}/transitions", json={"to": "active"}, headers=staff))
        assert awarded["award_date"] == (window_ends + timedelta(days=1)).isoformat()
        assert ok(client.get(url))["status"] == "awarded"

        # The contract, from two weeks on, signed, amended, and paid a month into it.
        contract_start = window_ends + timedelta(days=15)
        contract = ok(
            client.post(
                f"{P}/contracts",
                json={
                    "award_id": award["id"],
                    "period": {
                        "start": contract_start.isoformat(),
                        "end": (contract_start + timedelta(days=364)).isoformat(),
                    },
                },
                headers=staff,
            ),
            201,
        )
        contract = ok(
            client.post(f"{P}/contracts/{contract['id']}/transitions", json={"to": "active"}, headers=staff)
        )
        amendment = ok(
            client.post(
                f"{P}/contracts/{contract['id']}/amendments",
                json={
                    "description": "Change order 1: two more streets.",
                    "value_change": {"amount": "15000.00", "currency": "USD"},
                },
                headers=staff | {"If-Match": f'"v{contract["version"]}"'},
            ),
            201,
        )
        assert amendment["number"] == 1

        paid_on = contract_start + timedelta(days=30)
        payment = {
            "vendor_id": gravel,
            "contract_id": contract["id"],
            "department": "BSS",
            "category": {"scheme": "nigp", "code": "745-40-10"},
            "amount": {"amount": "46250.00", "currency": "USD"},
            "paid_date": paid_on.isoformat(),
            "external_ref": f"E2E-{tag}-1",
        }
        # Dated in the platform's future until the clock gets there.
        problem(client.post(f"{P}/payments", json=payment, headers=staff), 422, "validation-error")
        clock.advance_to(la_morning(paid_on))
        ok(client.post(f"{P}/payments", json=payment, headers=staff), 201)

        final = ok(client.get(f"{P}/contracts/{contract['id']}"))
        assert final["status"] == "active" and final["value"]["amount"] == "200000.00"
        assert final["signed_date"] == (window_ends + timedelta(days=1)).isoformat()
        assert clock.now().astimezone(CITY_TIME_ZONE).date() == paid_on
