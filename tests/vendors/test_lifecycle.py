"""One solicitation from draft to contract, driven only through HTTP, the way the City's systems and its
suppliers would: several bidders, a late bid, a withdrawn bid, local and small-business preferences, a
protest inside the window and one outside it, a rejected award passing to the next bid, and the
contract with an amendment and subcontract commitments.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.problems import assert_problem
from tests.vendors.factories import (
    AWARDS,
    CONTRACTS,
    EVALUATE,
    PROTESTS,
    SOLICITATIONS,
    TENDER_END,
    TENDER_START,
    WRITE,
    active_vendor,
    audit_actions,
    bid_body,
    bids_url,
    certify,
    solicitation_body,
    supplier,
)


def la(day: int, hour: int) -> datetime:
    """A moment in April 2030, Los Angeles time (UTC−7 then)."""
    return datetime(2030, 4, day, hour + 7, 0, tzinfo=UTC)


async def register(client, auth, name, *certification_types):
    """A vendor registered, submitted and activated by the buyer, with verified certificates."""
    vendor_id = await active_vendor(client, auth, name)
    for certification_type in certification_types:
        await certify(
            client,
            auth,
            vendor_id,
            certification_type,
            effective_date="2029-07-01",
            expiration_date="2031-06-30",
        )
    return vendor_id


async def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


async def test_one_solicitation_from_draft_to_contract(vendors, auth, clock):
    buyer, evaluator = auth(WRITE), auth(EVALUATE)

    # The buyer drafts and publishes an invitation for bids.
    solicitation = await ok(await vendors.post(SOLICITATIONS, json=solicitation_body(), headers=buyer), 201)
    url = f"{SOLICITATIONS}/{solicitation['id']}"
    await ok(await vendors.post(f"{url}/transitions", json={"to": "published"}, headers=buyer))

    paving = await register(vendors, auth, "Boyle Heights Paving LLC")
    asphalt = await register(vendors, auth, "Lincoln Heights Asphalt LLC", "lbe")
    gravel = await register(vendors, auth, "Arroyo Gravel LLC", "sbe", "wbe")
    quitter = await register(vendors, auth, "Second Thoughts LLC")
    latecomer = await register(vendors, auth, "Always Late LLC")

    # Bids during the tender period; one is withdrawn.
    clock.set(TENDER_START + timedelta(hours=3))
    bids = {}
    for vendor_id, total in (
        (paving, "240000.00"),
        (asphalt, "255000.00"),
        (gravel, "250000.00"),
        (quitter, "199999.99"),
    ):
        bids[vendor_id] = (
            await ok(
                await vendors.post(
                    bids_url(solicitation), json=bid_body(total), headers=supplier(auth, vendor_id)
                ),
                201,
            )
        )["id"]
    await ok(
        await vendors.post(
            f"{bids_url(solicitation)}/{bids[quitter]}/withdraw", headers=supplier(auth, quitter)
        )
    )
    assert_problem(await vendors.get(f"{url}/ranking", headers=evaluator), 409, "conflict")

    # After the close, a late bid is refused by the server clock.
    clock.set(TENDER_END + timedelta(minutes=1))
    late = await vendors.post(
        bids_url(solicitation), json=bid_body("1.00"), headers=supplier(auth, latecomer)
    )
    assert_problem(late, 409, "outside-tender-period")

    # The public opening, then the evaluation.
    await ok(await vendors.post(f"{url}/transitions", json={"to": "opened"}, headers=evaluator))
    tabulation = await ok(await vendors.get(f"{url}/tabulation"))
    assert {bid["bid_id"] for bid in tabulation["bids"]} == {bids[paving], bids[asphalt], bids[gravel]}
    await ok(await vendors.post(f"{url}/transitions", json={"to": "evaluation"}, headers=evaluator))
    for vendor_id in (paving, asphalt, gravel):
        for outcome in ("responsive", "responsible"):
            await ok(
                await vendors.post(
                    f"{url}/bids/{bids[vendor_id]}/determinations",
                    json={"outcome": outcome, "reason": "Forms, bond and license in order."},
                    headers=evaluator,
                ),
                201,
            )

    # Preferences rank the bids: 255,000 less 8% (LBE) beats 250,000 less 5% (SBE) and 240,000. The WBE
    # certificate counts for nothing (Proposition 209).
    ranking = await ok(await vendors.get(f"{url}/ranking", headers=evaluator))
    assert [(bid["vendor_id"], bid["evaluated_price"]["amount"]) for bid in ranking["bids"]] == [
        (asphalt, "234600.00"),
        (gravel, "237500.00"),
        (paving, "240000.00"),
    ]
    assert [p["certification_type"] for p in ranking["bids"][1]["preferences"]] == ["sbe"]

    # Friday 5 April: the notice of intent, for the bid's own price, with a window to Friday 12 April.
    clock.set(la(5, 10))
    first = await ok(
        await vendors.post(f"{url}/awards", json={"bid_id": bids[asphalt]}, headers=evaluator), 201
    )
    assert first["amount"]["amount"] == "255000.00" and first["protest_window_ends_on"] == "2030-04-12"

    # Monday 8 April, inside the window: the low bidder protests, and the award is stayed.
    clock.set(la(8, 9))
    timely = await ok(
        await vendors.post(
            f"{AWARDS}/{first['id']}/protests",
            json={"grounds": "Lincoln Heights Asphalt has no workspace in the County: it is no LBE."},
            headers=supplier(auth, paving),
        ),
        201,
    )
    assert timely["timely"] is True
    assert (await ok(await vendors.get(f"{AWARDS}/{first['id']}")))["status"] == "stayed"

    # Tuesday 9 April: the protest is upheld; the award is rejected and passes to the next-ranked bid.
    clock.set(la(9, 10))
    await ok(
        await vendors.post(
            f"{PROTESTS}/{timely['id']}/transitions",
            json={"to": "upheld", "reason": "The LBE certificate was issued on a false address."},
            headers=evaluator,
        )
    )
    assert (await ok(await vendors.get(f"{AWARDS}/{first['id']}")))["status"] == "rejected"
    live = await ok(
        await vendors.get(AWARDS, params={"solicitation_id": solicitation["id"], "status": "intent"})
    )
    (second,) = live["items"]
    assert second["vendor_id"] == gravel and second["rank"] == 2
    assert second["amount"]["amount"] == "250000.00" and second["protest_window_ends_on"] == "2030-04-16"

    # Wednesday 17 April, after the new window: a protest is recorded, but dismissed as untimely.
    clock.set(la(17, 9))
    untimely = await ok(
        await vendors.post(
            f"{AWARDS}/{second['id']}/protests",
            json={"grounds": "Our price was the lowest."},
            headers=supplier(auth, paving),
        ),
        201,
    )
    assert untimely["timely"] is False and untimely["status"] == "dismissed"

    # The award takes effect; the solicitation is awarded.
    awarded = await ok(
        await vendors.post(f"{AWARDS}/{second['id']}/transitions", json={"to": "active"}, headers=evaluator)
    )
    assert awarded["status"] == "active" and awarded["award_date"] == "2030-04-17"
    assert (await ok(await vendors.get(url)))["status"] == "awarded"

    # The contract, signed, amended, with two subcontract commitments.
    contract = await ok(
        await vendors.post(
            CONTRACTS,
            json={"award_id": second["id"], "period": {"start": "2030-05-01", "end": "2031-04-30"}},
            headers=buyer,
        ),
        201,
    )
    assert contract["value"]["amount"] == "250000.00" and contract["vendor_id"] == gravel
    contract = await ok(
        await vendors.post(f"{CONTRACTS}/{contract['id']}/transitions", json={"to": "active"}, headers=buyer)
    )
    amendment = await ok(
        await vendors.post(
            f"{CONTRACTS}/{contract['id']}/amendments",
            json={
                "description": "Change order 1: Spring Street added.",
                "value_change": {"amount": "20000.00", "currency": "USD"},
                "new_period_end": "2031-06-30",
            },
            headers=buyer | {"If-Match": f'"v{contract["version"]}"'},
        ),
        201,
    )
    assert amendment["number"] == 1
    striping = await register(vendors, auth, "Highland Park Striping LLC", "slbe")
    trucking = await register(vendors, auth, "El Sereno Trucking LLC")
    for sub, amount, certification in ((striping, "25000.00", "slbe"), (trucking, "10000.00", None)):
        await ok(
            await vendors.post(
                f"{CONTRACTS}/{contract['id']}/subcontracts",
                json={
                    "sub_vendor_id": sub,
                    "amount": {"amount": amount, "currency": "USD"},
                    "certification_type": certification,
                },
                headers=buyer,
            ),
            201,
        )

    # What the public reads at the end, with no token.
    final = await ok(await vendors.get(f"{CONTRACTS}/{contract['id']}"))
    assert final["status"] == "active" and final["value"]["amount"] == "270000.00"
    assert final["period"]["end"] == "2031-06-30" and final["signed_date"] == "2030-04-17"
    subcontracts = await ok(await vendors.get(f"{CONTRACTS}/{contract['id']}/subcontracts"))
    assert [(s["sub_vendor_id"], s["certification_type"]) for s in subcontracts["items"]] == [
        (striping, "slbe"),
        (trucking, None),
    ]
    history = await ok(await vendors.get(AWARDS, params={"solicitation_id": solicitation["id"]}))
    assert [(a["vendor_id"], a["status"]) for a in history["items"]] == [
        (asphalt, "rejected"),
        (gravel, "active"),
    ]
    assert await audit_actions(vendors, auth, "solicitation", solicitation["id"]) == [
        "create",
        "transition:published",
        "transition:opened",
        "transition:evaluation",
        "transition:intent_to_award",
        "transition:awarded",
    ]
