"""Awards and protests through the HTTP API: the notice of intent to the top-ranked bid, the protest window
in business days, timely and untimely protests, the stay, decisions, the award passing to the next-ranked
bid, and the award taking effect with its solicitation.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.common.clock import add_business_days, is_business_day
from tests.problems import assert_problem
from tests.vendors.factories import (
    AWARDS,
    DAY_AFTER,
    EVALUATE,
    INTENT_AT,
    PROTESTS,
    SOLICITATIONS,
    VENDORS,
    WRITE,
    active_vendor,
    audit_actions,
    determine,
    issue_intent,
    move_award,
    move_solicitation,
    qualify,
    ranking,
    supplier,
    under_evaluation,
    with_intent,
)

WINDOW_ENDS = "2030-04-12"
LAST_MINUTE = datetime(2030, 4, 13, 6, 30, tzinfo=UTC)  # 23:30 on the 12th in Los Angeles


async def protest(client, auth, award, vendor_id, grounds="The low bidder's license lapsed in March."):
    return await client.post(
        f"{AWARDS}/{award['id']}/protests", json={"grounds": grounds}, headers=supplier(auth, vendor_id)
    )


async def decide(client, auth, protest_id, to, reason="Reviewed by the City Attorney.", headers=None):
    return await client.post(
        f"{PROTESTS}/{protest_id}/transitions",
        json={"to": to, "reason": reason},
        headers=headers or auth(EVALUATE),
    )


async def get_award(client, award_id):
    response = await client.get(f"{AWARDS}/{award_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def solicitation_status(client, auth, solicitation):
    response = await client.get(f"{SOLICITATIONS}/{solicitation['id']}", headers=auth(WRITE))
    return response.json()["status"]


# The notice of intent


async def test_the_intent_goes_to_the_top_bid_and_opens_a_window_of_business_days(vendors, auth, clock):
    solicitation, vendor_ids, bid_ids, award = await with_intent(
        vendors, auth, clock, ["90000.00", "95000.00"]
    )

    assert award["status"] == "intent" and award["rank"] == 1
    assert award["bid_id"] == bid_ids[0] and award["vendor_id"] == vendor_ids[0]
    assert award["amount"] == {"amount": "90000.00", "currency": "USD"}
    assert award["protest_window_ends_on"] == WINDOW_ENDS
    assert award["protest_window_open"] is True and award["award_date"] is None
    assert await solicitation_status(vendors, auth, solicitation) == "intent_to_award"
    # Public procurement information: no token needed.
    public = await vendors.get(f"{AWARDS}/{award['id']}")
    assert public.status_code == 200 and public.headers["etag"] == '"v1"'
    listed = await vendors.get(AWARDS, params={"solicitation_id": solicitation["id"], "status": "intent"})
    assert [item["id"] for item in listed.json()["items"]] == [award["id"]]
    assert await audit_actions(vendors, auth, "award", award["id"]) == ["intent"]
    assert "transition:intent_to_award" in await audit_actions(
        vendors, auth, "solicitation", solicitation["id"]
    )


async def test_the_intent_waits_for_a_complete_evaluation_and_confirms_the_top_bid(vendors, auth, clock):
    solicitation, _, (low, high) = await under_evaluation(vendors, auth, clock, ["90000.00", "95000.00"])
    url = f"{SOLICITATIONS}/{solicitation['id']}/awards"

    incomplete = await vendors.post(url, json={"bid_id": low}, headers=auth(EVALUATE))
    problem = assert_problem(incomplete, 409, "evaluation-incomplete")
    assert {bid["bid_id"] for bid in problem["bids"]} == {low, high}

    await qualify(vendors, auth, solicitation, low, high)
    buyer = await vendors.post(url, json={"bid_id": low}, headers=auth(WRITE))
    assert_problem(buyer, 403, "forbidden")
    stale = await vendors.post(url, json={"bid_id": high}, headers=auth(EVALUATE))
    assert assert_problem(stale, 409, "not-top-ranked")["top_ranked_bid_id"] == low

    await issue_intent(vendors, auth, solicitation, low)
    again = await vendors.post(url, json={"bid_id": low}, headers=auth(EVALUATE))
    assert assert_problem(again, 409, "conflict")["current_status"] == "intent_to_award"


async def test_with_no_qualified_bid_there_is_no_intent(vendors, auth, clock):
    solicitation, _, (bid_id,) = await under_evaluation(vendors, auth, clock, ["90000.00"])
    await determine(vendors, auth, solicitation, bid_id, "nonresponsive", "No bid bond.")

    response = await vendors.post(
        f"{SOLICITATIONS}/{solicitation['id']}/awards", json={"bid_id": bid_id}, headers=auth(EVALUATE)
    )

    assert "unsuccessful" in assert_problem(response, 409, "conflict")["detail"]


async def test_intent_to_award_and_awarded_follow_the_award_not_the_transitions_endpoint(
    vendors, auth, clock
):
    solicitation, _, _ = await under_evaluation(vendors, auth, clock, ["90000.00"])

    for target in ("intent_to_award", "awarded"):
        response = await move_solicitation(vendors, auth, solicitation["id"], target, scopes=EVALUATE)
        problem = assert_problem(response, 409, "invalid-transition")
        assert problem["allowed_transitions"] == ["cancelled", "unsuccessful"]


# Protests


async def test_a_timely_protest_stays_the_award_until_it_is_denied(vendors, auth, clock):
    solicitation, (winner, loser), _, award = await with_intent(
        vendors, auth, clock, ["90000.00", "95000.00"]
    )

    clock.set(LAST_MINUTE)
    filed = await protest(vendors, auth, award, loser)
    assert filed.status_code == 201, filed.text
    assert filed.headers["location"] == f"{PROTESTS}/{filed.json()['id']}"
    assert filed.json()["timely"] is True and filed.json()["status"] == "pending"
    assert (await get_award(vendors, award["id"]))["status"] == "stayed"

    clock.set(DAY_AFTER)
    blocked = await move_award(vendors, auth, award["id"], "active")
    assert assert_problem(blocked, 409, "protest-window-open")["pending_protests"] == [filed.json()["id"]]
    assert_problem(
        await decide(vendors, auth, filed.json()["id"], "denied", reason=None), 422, "validation-error"
    )
    by_supplier = await decide(vendors, auth, filed.json()["id"], "denied", headers=supplier(auth, loser))
    assert_problem(by_supplier, 403, "forbidden")

    denied = await decide(vendors, auth, filed.json()["id"], "denied")
    assert denied.status_code == 200, denied.text
    assert (
        denied.json()["status"] == "denied"
        and denied.json()["decision_reason"] == "Reviewed by the City Attorney."
    )
    assert (await get_award(vendors, award["id"]))["status"] == "intent"

    active = await move_award(vendors, auth, award["id"], "active")
    assert active.status_code == 200, active.text
    assert active.json()["status"] == "active" and active.json()["award_date"] == "2030-04-13"
    assert active.json()["vendor_id"] == winner
    assert await solicitation_status(vendors, auth, solicitation) == "awarded"
    assert await audit_actions(vendors, auth, "award", award["id"]) == [
        "intent",
        "transition:stayed",
        "transition:intent",
        "transition:active",
    ]


async def test_an_untimely_protest_is_recorded_and_dismissed(vendors, auth, clock):
    _, (_, loser), _, award = await with_intent(vendors, auth, clock, ["90000.00", "95000.00"])

    clock.set(DAY_AFTER)
    filed = await protest(vendors, auth, award, loser)

    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert body["timely"] is False and body["status"] == "dismissed"
    assert (
        body["decision_reason"]
        == f"Untimely: filed on 2030-04-13, after the protest window ended on {WINDOW_ENDS}."
    )
    assert (await get_award(vendors, award["id"]))["status"] == "intent"
    assert (await move_award(vendors, auth, award["id"], "active")).status_code == 200
    refiled = await decide(vendors, auth, body["id"], "upheld")
    assert assert_problem(refiled, 409, "invalid-transition")["allowed_transitions"] == []


async def test_who_may_protest(vendors, auth, clock):
    _, (winner, loser), _, award = await with_intent(vendors, auth, clock, ["90000.00", "95000.00"])
    stranger = await active_vendor(vendors, auth, name="Never Bid LLC")

    assert_problem(await protest(vendors, auth, award, stranger), 403, "forbidden")
    assert_problem(await protest(vendors, auth, award, winner), 409, "conflict")
    staff = await vendors.post(
        f"{AWARDS}/{award['id']}/protests", json={"grounds": "x"}, headers=auth(EVALUATE)
    )
    assert_problem(staff, 403, "forbidden")
    no_claim = await vendors.post(
        f"{AWARDS}/{award['id']}/protests", json={"grounds": "x"}, headers=auth("procurement:bid")
    )
    assert_problem(no_claim, 403, "forbidden")
    unknown = await vendors.post(
        f"{AWARDS}/{uuid.uuid4()}/protests", json={"grounds": "x"}, headers=supplier(auth, loser)
    )
    assert_problem(unknown, 404, "not-found")
    assert_problem(
        await vendors.post(
            f"{AWARDS}/{award['id']}/protests", json={"grounds": ""}, headers=supplier(auth, loser)
        ),
        422,
        "validation-error",
    )

    first = await protest(vendors, auth, award, loser)
    assert first.status_code == 201
    second = await protest(vendors, auth, award, loser, grounds="And the bond was short.")
    assert assert_problem(second, 409, "conflict")["protest_id"] == first.json()["id"]


async def test_an_upheld_protest_rejects_the_award_which_passes_to_the_next_ranked_bid(vendors, auth, clock):
    solicitation, (first, second, third), bids, award = await with_intent(
        vendors, auth, clock, ["90000.00", "95000.00", "99000.00"]
    )
    clock.set(INTENT_AT + timedelta(days=1))
    upheld_one = (await protest(vendors, auth, award, second)).json()
    moot_one = (await protest(vendors, auth, award, third)).json()

    clock.set(INTENT_AT + timedelta(days=3))  # Monday 8 April
    upheld = await decide(vendors, auth, upheld_one["id"], "upheld", reason="The license had lapsed.")

    assert upheld.status_code == 200, upheld.text
    rejected = await get_award(vendors, award["id"])
    assert rejected["status"] == "rejected"
    assert rejected["decision_reason"] == f"Protest {upheld_one['id']} was upheld: The license had lapsed."
    moot = await vendors.get(f"{PROTESTS}/{moot_one['id']}", headers=auth(EVALUATE))
    assert moot.json()["status"] == "dismissed" and moot.json()["decision_reason"].startswith("Moot")
    live = (
        await vendors.get(AWARDS, params={"solicitation_id": solicitation["id"], "status": "intent"})
    ).json()
    (passed,) = live["items"]
    assert passed["bid_id"] == bids[1] and passed["vendor_id"] == second and passed["rank"] == 2
    assert passed["amount"]["amount"] == "95000.00"
    assert passed["protest_window_ends_on"] == "2030-04-15"  # a new window, from the new notice
    assert await solicitation_status(vendors, auth, solicitation) == "intent_to_award"
    ranked = {bid["bid_id"]: bid for bid in (await ranking(vendors, auth, solicitation))["bids"]}
    assert ranked[bids[0]]["award_rejected"] is True and ranked[bids[0]]["qualified"] is False
    assert first == rejected["vendor_id"]


async def test_rejecting_the_last_qualified_bid_makes_the_solicitation_unsuccessful(vendors, auth, clock):
    solicitation, _, (low, high) = await under_evaluation(vendors, auth, clock, ["90000.00", "95000.00"])
    await qualify(vendors, auth, solicitation, low)
    await determine(vendors, auth, solicitation, high, "responsive")
    await determine(vendors, auth, solicitation, high, "not_responsible", "No public works license.")
    clock.set(INTENT_AT)
    award = await issue_intent(vendors, auth, solicitation, low)

    rejected = await move_award(
        vendors, auth, award["id"], "rejected", reason="The vendor declined the award."
    )

    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert await solicitation_status(vendors, auth, solicitation) == "unsuccessful"
    assert (await vendors.get(AWARDS, params={"solicitation_id": solicitation["id"]})).json()["items"] == [
        rejected.json()
    ]


async def test_award_moves_that_are_not_the_clients(vendors, auth, clock):
    _, _, _, award = await with_intent(vendors, auth, clock, ["90000.00", "95000.00"])

    assert_problem(await move_award(vendors, auth, award["id"], "rejected"), 422, "validation-error")
    for target in ("stayed", "intent", "cancelled"):
        problem = assert_problem(
            await move_award(vendors, auth, award["id"], target), 409, "invalid-transition"
        )
        assert problem["allowed_transitions"] == ["active", "rejected"]
    assert_problem(await move_award(vendors, auth, award["id"], "active", scopes=WRITE), 403, "forbidden")
    assert_problem(await move_award(vendors, auth, uuid.uuid4(), "active"), 404, "not-found")
    await move_award(vendors, auth, award["id"], "rejected", reason="Declined.")
    again = await move_award(vendors, auth, award["id"], "active")
    assert assert_problem(again, 409, "invalid-transition")["allowed_transitions"] == []


async def test_the_award_takes_effect_after_the_window_and_only_for_an_active_vendor(vendors, auth, clock):
    solicitation, (winner, runner_up), _, award = await with_intent(
        vendors, auth, clock, ["90000.00", "95000.00"]
    )

    clock.set(LAST_MINUTE)
    early = await move_award(vendors, auth, award["id"], "active")
    assert assert_problem(early, 409, "protest-window-open")["protest_window_ends_on"] == WINDOW_ENDS

    suspended = await vendors.post(
        f"{VENDORS}/{winner}/transitions",
        json={"to": "suspended", "reason": "Debarment review"},
        headers=auth(WRITE),
    )
    assert suspended.status_code == 200
    clock.set(DAY_AFTER)
    refused = await move_award(vendors, auth, award["id"], "active")
    assert assert_problem(refused, 409, "vendor-not-eligible")["vendor_status"] == "suspended"

    await move_award(vendors, auth, award["id"], "rejected", reason="Vendor suspended before the award date.")
    live = (
        await vendors.get(AWARDS, params={"solicitation_id": solicitation["id"], "status": "intent"})
    ).json()
    assert [item["vendor_id"] for item in live["items"]] == [runner_up]


async def test_a_withdrawn_protest_lifts_the_stay_and_only_its_vendor_withdraws_it(vendors, auth, clock):
    _, (_, second, third), _, award = await with_intent(
        vendors, auth, clock, ["90000.00", "95000.00", "99000.00"]
    )
    filed = (await protest(vendors, auth, award, second)).json()

    other = await decide(vendors, auth, filed["id"], "withdrawn", headers=supplier(auth, third))
    assert_problem(other, 403, "forbidden")
    withdrawn = await decide(
        vendors, auth, filed["id"], "withdrawn", reason=None, headers=supplier(auth, second)
    )

    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert (await get_award(vendors, award["id"]))["status"] == "intent"


async def test_cancelling_the_solicitation_cancels_the_award_and_its_protests(vendors, auth, clock):
    solicitation, (_, loser), _, award = await with_intent(vendors, auth, clock, ["90000.00", "95000.00"])
    filed = (await protest(vendors, auth, award, loser)).json()

    cancelled = await move_solicitation(
        vendors, auth, solicitation["id"], "cancelled", reason="Funding withdrawn."
    )

    assert cancelled.status_code == 200, cancelled.text
    assert (await get_award(vendors, award["id"]))["status"] == "cancelled"
    dismissed = await vendors.get(f"{PROTESTS}/{filed['id']}", headers=supplier(auth, loser))
    assert dismissed.json()["status"] == "dismissed"


async def test_protests_are_read_by_staff_and_by_their_own_vendor(vendors, auth, clock):
    _, (_, second, third), _, award = await with_intent(
        vendors, auth, clock, ["90000.00", "95000.00", "99000.00"]
    )
    mine = (await protest(vendors, auth, award, second)).json()
    theirs = (await protest(vendors, auth, award, third)).json()

    staff = await vendors.get(PROTESTS, params={"award_id": award["id"]}, headers=auth("procurement:read"))
    own = await vendors.get(PROTESTS, headers=supplier(auth, second))

    assert [item["id"] for item in staff.json()["items"]] == [mine["id"], theirs["id"]]
    assert [item["id"] for item in own.json()["items"]] == [mine["id"]]
    assert_problem(
        await vendors.get(f"{PROTESTS}/{theirs['id']}", headers=supplier(auth, second)), 403, "forbidden"
    )
    assert_problem(await vendors.get(PROTESTS), 401, "unauthorized")
    assert_problem(await vendors.get(PROTESTS, headers=auth(WRITE.split()[1])), 403, "forbidden")
    assert_problem(await vendors.get(f"{PROTESTS}/{uuid.uuid4()}", headers=auth(EVALUATE)), 404, "not-found")


async def test_award_lists_are_paged_and_checked(vendors, auth, clock):
    solicitation, _, _, award = await with_intent(vendors, auth, clock, ["90000.00"])

    first = await vendors.get(AWARDS, params={"page_size": 1})
    assert first.status_code == 200 and len(first.json()["items"]) == 1
    assert_problem(await vendors.get(AWARDS, params={"page_token": "forged"}), 400, "invalid-page-token")
    assert_problem(await vendors.get(AWARDS, params={"status": "pending"}), 422, "validation-error")
    assert_problem(await vendors.get(f"{AWARDS}/{uuid.uuid4()}"), 404, "not-found")
    mine = await vendors.get(
        AWARDS, params={"vendor_id": award["vendor_id"], "solicitation_id": solicitation["id"]}
    )
    assert [item["id"] for item in mine.json()["items"]] == [award["id"]]


# The City's business days


@pytest.mark.parametrize(
    ("start", "days", "end"),
    [
        (date(2030, 4, 5), 5, date(2030, 4, 12)),  # a weekend in between
        (date(2030, 11, 25), 5, date(2030, 12, 4)),  # Thanksgiving and the day after
        (date(2030, 3, 29), 1, date(2030, 4, 2)),  # Cesar Chavez Day, observed on Monday 1 April
        (date(2030, 7, 3), 1, date(2030, 7, 5)),  # Independence Day
        (date(2030, 4, 6), 1, date(2030, 4, 8)),  # a notice on a Saturday: the count starts Monday
    ],
)
def test_protest_windows_count_business_days(start, days, end):
    assert add_business_days(start, days) == end


def test_weekends_and_holidays_are_not_business_days():
    assert not is_business_day(date(2030, 4, 6))  # Saturday
    assert not is_business_day(date(2030, 12, 25))
    assert is_business_day(date(2030, 12, 26))
