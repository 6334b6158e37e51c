"""Evaluation through the HTTP API, and the rules behind it: determinations with reasons and the server's
own vendor-status check, best-value criteria and scores, the ranking with local and small-business
preferences, and every way one might try to make a race- or sex-conscious certification count
(Proposition 209) outside federally funded solicitations with a DBE goal.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.vendors.contracts import (
    PREFERENCE_TYPES,
    RACE_SEX_CONSCIOUS,
    CertificationType,
    FundingSource,
    check_preference_types,
)
from services.vendors.evaluation.preferences import credited_types, price_preference
from services.vendors.settings import VendorsSettings
from tests.problems import assert_problem
from tests.vendors.factories import (
    EVALUATE,
    SOLICITATIONS,
    TENDER_END,
    TENDER_START,
    VALID_IN_2030,
    VENDORS,
    WRITE,
    active_vendor,
    audit_actions,
    bid_body,
    bids_url,
    certify,
    determinations_url,
    determine,
    draft,
    move_solicitation,
    published,
    qualify,
    ranking,
    solicitation_body,
    submit,
    supplier,
    under_evaluation,
)

CRITERIA = [
    {"key": "price", "name": "Price", "kind": "price", "weight": 40},
    {"key": "technical", "name": "Technical approach", "kind": "non_price", "weight": 45},
    {"key": "experience", "name": "Experience on City projects", "kind": "non_price", "weight": 15},
]
# The due date is the close: 2030-04-03 16:00 UTC, 09:00 in Los Angeles.
DUE_DATE = "2030-04-03"
RACE_SEX_TYPES = sorted(t.value for t in RACE_SEX_CONSCIOUS)


def scores_url(solicitation, bid_id):
    return f"{SOLICITATIONS}/{solicitation['id']}/bids/{bid_id}/scores"


async def score(client, auth, solicitation, bid_id, criterion, points):
    response = await client.post(
        scores_url(solicitation, bid_id),
        json={"criterion": criterion, "points": points},
        headers=auth(EVALUATE),
    )
    assert response.status_code == 201, response.text
    return response.json()


def by_bid(ranked):
    return {bid["bid_id"]: bid for bid in ranked["bids"]}


# Preferences and the ranking on lowest price


async def test_lowest_price_ranks_on_evaluated_price_and_the_award_keeps_the_bid_price(vendors, auth, clock):
    solicitation, (_, local, small), bids = await under_evaluation(
        vendors, auth, clock, ["100000.00", "105000.00", "104000.00"]
    )
    lbe = (await certify(vendors, auth, local, "lbe", **VALID_IN_2030))["id"]
    await certify(vendors, auth, small, "sbe", **VALID_IN_2030)
    await qualify(vendors, auth, solicitation, *bids)

    ranked = await ranking(vendors, auth, solicitation)

    assert ranked["complete"] is True
    assert ranked["preferences_judged_on"] == DUE_DATE
    assert [bid["bid_id"] for bid in ranked["bids"]] == [bids[1], bids[2], bids[0]]
    first = ranked["bids"][0]
    assert first["rank"] == 1 and first["qualified"] is True
    assert first["price"] == {"amount": "105000.00", "currency": "USD"}
    assert first["preferences"] == [{"certification_type": "lbe", "certification_id": lbe, "percent": "8.00"}]
    assert first["preference_amount"]["amount"] == "8400.00"
    assert first["evaluated_price"]["amount"] == "96600.00"
    assert by_bid(ranked)[bids[2]]["evaluated_price"]["amount"] == "98800.00"
    assert by_bid(ranked)[bids[0]]["preferences"] == []

    # The award goes to the preferred bid, for what it bid: the preference only ranked it.
    award = await vendors.post(
        f"{SOLICITATIONS}/{solicitation['id']}/awards", json={"bid_id": bids[1]}, headers=auth(EVALUATE)
    )
    assert award.status_code == 201, award.text
    assert award.json()["amount"] == {"amount": "105000.00", "currency": "USD"}
    assert award.json()["vendor_id"] == local


async def test_preferences_add_up_within_a_percentage_cap_and_an_amount_cap(vendors, auth, clock):
    solicitation, (stacked, large), bids = await under_evaluation(
        vendors, auth, clock, ["100000.00", "2000000.00"]
    )
    for certification_type in ("lbe", "sbe", "ebe"):  # 8 + 5 + 5 = 18%, capped at 10%
        await certify(vendors, auth, stacked, certification_type, **VALID_IN_2030)
    await certify(
        vendors, auth, large, "lbe", **VALID_IN_2030
    )  # 8% of 2,000,000 is 160,000, capped at 150,000
    await qualify(vendors, auth, solicitation, *bids)

    ranked = by_bid(await ranking(vendors, auth, solicitation))

    assert len(ranked[bids[0]]["preferences"]) == 3
    assert ranked[bids[0]]["preference_amount"]["amount"] == "10000.00"
    assert ranked[bids[0]]["evaluated_price"]["amount"] == "90000.00"
    assert ranked[bids[1]]["preference_amount"]["amount"] == "150000.00"
    assert ranked[bids[1]]["evaluated_price"]["amount"] == "1850000.00"


@pytest.mark.parametrize(
    ("effective", "expiration", "verify", "counts"),
    [
        ("2030-01-01", DUE_DATE, True, True),  # its last valid day is the due date
        ("2029-01-01", "2030-04-02", True, False),  # expired the day before
        ("2030-04-04", "2031-04-04", True, False),  # effective only after the due date
        ("2030-01-01", "2031-12-31", False, False),  # never verified
    ],
)
async def test_a_certification_counts_only_if_verified_and_valid_on_the_due_date(
    vendors, auth, clock, effective, expiration, verify, counts
):
    solicitation, (vendor_id,), (bid_id,) = await under_evaluation(vendors, auth, clock, ["50000.00"])
    if verify:
        await certify(vendors, auth, vendor_id, "lbe", effective_date=effective, expiration_date=expiration)
    else:
        response = await vendors.post(
            f"{VENDORS}/{vendor_id}/certifications",
            json={
                "type": "lbe",
                "agency_code": "LA-BCA",
                "certificate_number": "BCA-PENDING-1",
                "effective_date": effective,
                "expiration_date": expiration,
            },
            headers=auth(WRITE),
        )
        assert response.status_code == 201, response.text

    bid = by_bid(await ranking(vendors, auth, solicitation))[bid_id]

    assert (bid["preference_amount"]["amount"] == "4000.00") is counts
    assert bool(bid["preferences"]) is counts


@pytest.mark.parametrize("funding", ["local", "state"])
async def test_race_and_sex_conscious_certifications_never_change_a_price_on_non_federal_work(
    vendors, auth, clock, funding
):
    solicitation, (certified, _), bids = await under_evaluation(
        vendors, auth, clock, ["99000.00", "100000.00"], funding_source=funding
    )
    for certification_type in RACE_SEX_TYPES:
        await certify(vendors, auth, certified, certification_type, **VALID_IN_2030)
    await qualify(vendors, auth, solicitation, *bids)

    ranked = by_bid(await ranking(vendors, auth, solicitation))

    assert ranked[bids[0]]["preferences"] == []
    assert ranked[bids[0]]["evaluated_price"]["amount"] == "99000.00"


async def test_dbe_credit_applies_only_on_federal_funding_with_a_dbe_goal(vendors, auth, clock):
    solicitation, (dbe, wbe, local, small), bids = await under_evaluation(
        vendors,
        auth,
        clock,
        ["100000.00", "100000.00", "100000.00", "100000.00"],
        funding_source="federal",
        dbe_goal_percent="12.50",
    )
    await certify(vendors, auth, dbe, "dbe", **VALID_IN_2030)
    await certify(vendors, auth, wbe, "wbe", **VALID_IN_2030)
    await certify(vendors, auth, wbe, "mbe", **VALID_IN_2030)
    await certify(vendors, auth, local, "lbe", **VALID_IN_2030)
    await certify(vendors, auth, small, "sbe", **VALID_IN_2030)
    await qualify(vendors, auth, solicitation, *bids)

    ranked = by_bid(await ranking(vendors, auth, solicitation))

    assert [p["certification_type"] for p in ranked[bids[0]]["preferences"]] == ["dbe"]
    assert ranked[bids[0]]["evaluated_price"]["amount"] == "95000.00"
    assert ranked[bids[1]]["preferences"] == []  # WBE and MBE never count, federal or not
    assert ranked[bids[2]]["preferences"] == []  # no geographic preference on federal funds
    assert ranked[bids[3]]["evaluated_price"]["amount"] == "95000.00"  # small business still counts


async def test_without_a_dbe_goal_a_federal_solicitation_gives_no_dbe_credit(vendors, auth, clock):
    solicitation, (dbe,), (bid_id,) = await under_evaluation(
        vendors, auth, clock, ["100000.00"], funding_source="federal"
    )
    await certify(vendors, auth, dbe, "dbe", **VALID_IN_2030)

    bid = by_bid(await ranking(vendors, auth, solicitation))[bid_id]

    assert bid["preferences"] == [] and bid["evaluated_price"]["amount"] == "100000.00"


# The Proposition 209 guard, structurally


@pytest.mark.parametrize("funding", ["local", "state"])
async def test_a_dbe_goal_is_refused_unless_the_funding_is_federal(vendors, auth, clock, funding):
    response = await vendors.post(
        SOLICITATIONS,
        json=(solicitation_body(funding_source=funding, dbe_goal_percent="10.00")),
        headers=auth(WRITE),
    )
    problem = assert_problem(response, 422, "validation-error")
    assert "federal" in str(problem["errors"])


async def test_a_dbe_goal_cannot_outlive_federal_funding_on_a_draft(vendors, auth, clock):
    solicitation = await draft(vendors, auth, funding_source="federal", dbe_goal_percent="10.00")
    url = f"{SOLICITATIONS}/{solicitation['id']}"
    assert solicitation["dbe_goal_percent"] == "10.00"

    to_local = await vendors.patch(
        url, json={"funding_source": "local"}, headers=auth(WRITE) | {"If-Match": '"v1"'}
    )
    assert_problem(to_local, 422, "validation-error")
    zero = await vendors.patch(
        url, json={"dbe_goal_percent": "0.00"}, headers=auth(WRITE) | {"If-Match": '"v1"'}
    )
    assert_problem(zero, 422, "validation-error")
    as_number = await vendors.patch(
        url, json={"dbe_goal_percent": 10}, headers=auth(WRITE) | {"If-Match": '"v1"'}
    )
    assert_problem(as_number, 422, "validation-error")

    both = await vendors.patch(
        url,
        json={"funding_source": "local", "dbe_goal_percent": None},
        headers=auth(WRITE) | {"If-Match": '"v1"'},
    )
    assert both.status_code == 200, both.text
    assert both.json()["dbe_goal_percent"] is None
    back = await vendors.patch(
        url, json={"dbe_goal_percent": "5.00"}, headers=auth(WRITE) | {"If-Match": '"v2"'}
    )
    assert_problem(back, 422, "validation-error")


async def test_the_database_refuses_a_dbe_goal_outside_federal_funding(vendors, auth, clock, session):
    solicitation = await draft(vendors, auth, funding_source="federal", dbe_goal_percent="10.00")

    with pytest.raises(IntegrityError, match="dbe_goal_federal_only"):
        async with session.begin_nested():
            await session.execute(
                text("UPDATE vendors.solicitations SET funding_source = 'local' WHERE id = :id"),
                {"id": solicitation["id"]},
            )


@pytest.mark.parametrize("name", [*RACE_SEX_TYPES, " MBE ", "Wbe", "DBE"])
def test_settings_naming_a_race_or_sex_conscious_type_stop_the_start(name):
    with pytest.raises(ValidationError, match="Proposition 209"):
        VendorsSettings(database_url="postgresql://x@127.0.0.1:9/x", preference_percents={name: "5"})


def test_the_environment_cannot_name_one_either(monkeypatch):
    monkeypatch.setenv("CITYOPS_VENDORS_PREFERENCE_PERCENTS", '{"lbe": 8, "wosb": 3}')
    with pytest.raises(ValidationError, match="Proposition 209"):
        VendorsSettings(database_url="postgresql://x@127.0.0.1:9/x")
    monkeypatch.setenv("CITYOPS_VENDORS_PREFERENCE_PERCENTS", '{"lbe": "9.5"}')
    assert VendorsSettings(database_url="postgresql://x@127.0.0.1:9/x").preference_percents == {
        "lbe": Decimal("9.5")
    }


@pytest.mark.parametrize("name", ["minority", "women_owned", "dvbe", "obe", "lbe_plus"])
def test_settings_name_only_the_types_fixed_in_code(name):
    with pytest.raises(ValidationError, match="fixed in code"):
        VendorsSettings(database_url="postgresql://x@127.0.0.1:9/x", preference_percents={name: "5"})


@pytest.mark.parametrize(
    "settings",
    [
        {"preference_percents": {"lbe": "8.125"}},
        {"preference_percents": {"lbe": "101"}},
        {"dbe_credit_percent": "5.001"},
        {"preference_cap_percent": "-1"},
    ],
)
def test_percentages_are_from_0_to_100_with_two_decimal_places_at_most(settings):
    with pytest.raises(ValidationError):
        VendorsSettings(database_url="postgresql://x@127.0.0.1:9/x", **settings)


def test_the_running_preferences_cannot_be_extended():
    settings = VendorsSettings(database_url="postgresql://x@127.0.0.1:9/x")
    with pytest.raises(TypeError):
        settings.preference_percents["mbe"] = Decimal(5)  # type: ignore[index]


def test_the_price_rule_ignores_race_and_sex_conscious_types_whatever_the_settings_hold():
    """Settings built without validation (as a bypass would) still cannot make them count."""
    forged = VendorsSettings.model_construct(
        preference_percents={"mbe": Decimal(50), "wbe": Decimal(50), "wosb": Decimal(50), "lbe": Decimal(8)},
        preference_cap_percent=Decimal(100),
        preference_cap_amount=Decimal(10**9),
        dbe_credit_percent=Decimal(50),
    )
    held = {t: uuid.uuid4() for t in (*RACE_SEX_CONSCIOUS, CertificationType.lbe)}

    local = price_preference(
        Decimal(1000), held, funding_source=FundingSource.local, dbe_goal_percent=None, settings=forged
    )
    federal_without_goal = price_preference(
        Decimal(1000), held, funding_source=FundingSource.federal, dbe_goal_percent=None, settings=forged
    )
    federal_with_goal = price_preference(
        Decimal(1000),
        held,
        funding_source=FundingSource.federal,
        dbe_goal_percent=Decimal(10),
        settings=forged,
    )

    assert [p.certification_type for p in local.applied] == [CertificationType.lbe]
    assert local.amount == Decimal("80.00")
    assert federal_without_goal.applied == []
    assert [p.certification_type for p in federal_with_goal.applied] == [CertificationType.dbe]


def test_no_race_or_sex_conscious_type_is_ever_credited():
    for funding in FundingSource:
        for goal in (None, Decimal(10)):
            credited = credited_types(funding, goal)
            assert credited & RACE_SEX_CONSCIOUS <= {CertificationType.dbe}
            assert (CertificationType.dbe in credited) is (
                funding is FundingSource.federal and goal is not None
            )
    assert not PREFERENCE_TYPES & RACE_SEX_CONSCIOUS


def test_the_fixed_preference_types_are_checked_at_import():
    with pytest.raises(RuntimeError, match="Proposition 209"):
        check_preference_types(frozenset({CertificationType.lbe, CertificationType.wbe}))


# Best value


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ([{**CRITERIA[0], "weight": 30}, *CRITERIA[1:]], "sum to 100"),
        ([{**CRITERIA[0]}, {**CRITERIA[1], "kind": "price"}, CRITERIA[2]], "exactly one"),
        ([{**CRITERIA[0], "kind": "non_price"}, *CRITERIA[1:]], "exactly one"),
        ([CRITERIA[0], CRITERIA[1], {**CRITERIA[2], "key": "technical"}], "unique"),
        ([{**CRITERIA[0], "weight": 0}, *CRITERIA[1:]], "greater than or equal"),
    ],
)
async def test_best_value_criteria_are_validated_on_the_draft(vendors, auth, clock, criteria, message):
    body = solicitation_body(evaluation_method="best_value", evaluation_criteria=criteria)

    problem = assert_problem(
        await vendors.post(SOLICITATIONS, json=body, headers=auth(WRITE)), 422, "validation-error"
    )

    assert message in str(problem["errors"])


async def test_criteria_belong_to_best_value_and_best_value_needs_them_to_publish(vendors, auth, clock):
    lowest = solicitation_body(evaluation_criteria=CRITERIA)
    assert_problem(
        await vendors.post(SOLICITATIONS, json=lowest, headers=auth(WRITE)), 422, "validation-error"
    )

    solicitation = await draft(vendors, auth, evaluation_method="best_value")
    refused = await move_solicitation(vendors, auth, solicitation["id"], "published")
    assert "evaluation_criteria" in assert_problem(refused, 409, "conflict")["detail"]

    patched = await vendors.patch(
        f"{SOLICITATIONS}/{solicitation['id']}",
        json={"evaluation_criteria": CRITERIA},
        headers=auth(WRITE) | {"If-Match": '"v1"'},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["evaluation_criteria"] == CRITERIA
    assert (await move_solicitation(vendors, auth, solicitation["id"], "published")).status_code == 200


async def test_best_value_ranks_on_total_points_with_computed_price_points(vendors, auth, clock):
    solicitation, _, (a, b, c) = await under_evaluation(
        vendors,
        auth,
        clock,
        ["100000.00", "125000.00", "80000.00"],
        evaluation_method="best_value",
        evaluation_criteria=CRITERIA,
    )
    await qualify(vendors, auth, solicitation, a, b, c)
    for bid_id, technical in ((a, "40"), (b, "44"), (c, "20")):
        await score(vendors, auth, solicitation, bid_id, "technical", technical)

    incomplete = await ranking(vendors, auth, solicitation)
    assert incomplete["complete"] is False
    assert all(bid["rank"] is None for bid in incomplete["bids"])
    assert "Not scored yet on `experience`." in incomplete["bids"][0]["open_issues"]

    for bid_id, experience in ((a, "10"), (b, "15"), (c, "5.5")):
        await score(vendors, auth, solicitation, bid_id, "experience", experience)
    ranked = await ranking(vendors, auth, solicitation)

    assert ranked["complete"] is True
    assert [(bid["bid_id"], bid["total_points"]) for bid in ranked["bids"]] == [
        (b, "84.60"),  # 80000 / 125000 × 40 = 25.60, + 44 + 15
        (a, "82.00"),  # 80000 / 100000 × 40 = 32.00, + 40 + 10
        (c, "65.50"),  # the lowest price takes all 40, + 20 + 5.5
    ]
    assert ranked["bids"][0]["points"] == [
        {"criterion": "price", "kind": "price", "points": "25.60"},
        {"criterion": "technical", "kind": "non_price", "points": "44.00"},
        {"criterion": "experience", "kind": "non_price", "points": "15.00"},
    ]


async def test_a_later_score_replaces_the_earlier_one_and_both_stay_on_record(vendors, auth, clock):
    solicitation, _, (bid_id,) = await under_evaluation(
        vendors, auth, clock, ["100000.00"], evaluation_method="best_value", evaluation_criteria=CRITERIA
    )
    await qualify(vendors, auth, solicitation, bid_id)
    first = await score(vendors, auth, solicitation, bid_id, "technical", "30")
    await score(vendors, auth, solicitation, bid_id, "technical", "35.25")
    await score(vendors, auth, solicitation, bid_id, "experience", "15")

    listed = await vendors.get(scores_url(solicitation, bid_id), headers=auth(EVALUATE))
    one = await vendors.get(
        f"{scores_url(solicitation, bid_id)}/{first['id']}", headers=auth("procurement:read")
    )
    ranked = by_bid(await ranking(vendors, auth, solicitation))[bid_id]

    assert [item["points"] for item in listed.json()["items"]] == ["30.00", "35.25", "15.00"]
    assert one.status_code == 200 and one.json()["scored_by"] == "tester"
    assert ranked["total_points"] == "90.25"
    assert "score" in await audit_actions(vendors, auth, "bid", bid_id)


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"criterion": "technical", "points": "45.01"}, ["body", "points"]),
        ({"criterion": "price", "points": "10"}, ["body", "criterion"]),
        ({"criterion": "design", "points": "10"}, ["body", "criterion"]),
        ({"criterion": "technical", "points": 10}, ["body", "points"]),
        ({"criterion": "technical", "points": "-1"}, ["body", "points"]),
    ],
)
async def test_scores_are_checked_against_the_criteria(vendors, auth, clock, body, location):
    solicitation, _, (bid_id,) = await under_evaluation(
        vendors, auth, clock, ["100000.00"], evaluation_method="best_value", evaluation_criteria=CRITERIA
    )

    response = await vendors.post(scores_url(solicitation, bid_id), json=body, headers=auth(EVALUATE))

    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["location"] == location


async def test_lowest_price_solicitations_take_no_scores(vendors, auth, clock):
    solicitation, _, (bid_id,) = await under_evaluation(vendors, auth, clock, ["100000.00"])

    response = await vendors.post(
        scores_url(solicitation, bid_id),
        json={"criterion": "technical", "points": "5"},
        headers=auth(EVALUATE),
    )

    assert_problem(response, 409, "conflict")


# Determinations


async def test_determinations_carry_reasons_and_the_latest_counts(vendors, auth, clock):
    solicitation, (vendor_id,), (bid_id,) = await under_evaluation(vendors, auth, clock, ["100000.00"])

    early = await determine(vendors, auth, solicitation, bid_id, "responsible")
    assert "responsiveness first" in assert_problem(early, 409, "conflict")["detail"]
    missing_reason = await vendors.post(
        determinations_url(solicitation, bid_id), json={"outcome": "responsive"}, headers=auth(EVALUATE)
    )
    assert_problem(missing_reason, 422, "validation-error")

    first = await determine(vendors, auth, solicitation, bid_id, "nonresponsive", "Bid bond missing.")
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"{determinations_url(solicitation, bid_id)}/{first.json()['id']}"
    assert by_bid(await ranking(vendors, auth, solicitation))[bid_id]["open_issues"] == [
        "Determined nonresponsive: Bid bond missing."
    ]

    cured = await determine(
        vendors, auth, solicitation, bid_id, "responsive", "Bond received at the opening."
    )
    responsible = await determine(vendors, auth, solicitation, bid_id, "responsible", "Licensed, insured.")
    assert cured.status_code == responsible.status_code == 201
    assert responsible.json()["vendor_status"] == "active"
    bid = by_bid(await ranking(vendors, auth, solicitation))[bid_id]
    assert bid["responsiveness"]["reason"] == "Bond received at the opening."
    assert bid["responsibility"]["outcome"] == "responsible"
    assert bid["rank"] == 1 and bid["qualified"] is True

    listed = await vendors.get(determinations_url(solicitation, bid_id), headers=auth("procurement:read"))
    assert [item["outcome"] for item in listed.json()["items"]] == [
        "nonresponsive",
        "responsive",
        "responsible",
    ]
    assert await audit_actions(vendors, auth, "bid", bid_id) == [
        "submit",
        "determine:responsiveness",
        "determine:responsiveness",
        "determine:responsibility",
    ]
    assert vendor_id == bid["vendor_id"]


async def test_responsibility_reads_the_vendor_status_on_the_server(vendors, auth, clock):
    solicitation, (vendor_id,), (bid_id,) = await under_evaluation(vendors, auth, clock, ["100000.00"])
    assert (await determine(vendors, auth, solicitation, bid_id, "responsive")).status_code == 201
    suspended = await vendors.post(
        f"{VENDORS}/{vendor_id}/transitions",
        json={"to": "suspended", "reason": "Insurance lapsed"},
        headers=auth(WRITE),
    )
    assert suspended.status_code == 200, suspended.text

    refused = await determine(vendors, auth, solicitation, bid_id, "responsible", "The client says so.")
    problem = assert_problem(refused, 409, "vendor-not-eligible")
    assert problem["vendor_status"] == "suspended"

    recorded = await determine(vendors, auth, solicitation, bid_id, "not_responsible", "Suspended.")
    assert recorded.status_code == 201 and recorded.json()["vendor_status"] == "suspended"


async def test_a_vendor_suspended_after_its_determination_drops_out_of_the_ranking(vendors, auth, clock):
    solicitation, (first, _), bids = await under_evaluation(vendors, auth, clock, ["90000.00", "95000.00"])
    await qualify(vendors, auth, solicitation, *bids)
    await vendors.post(
        f"{VENDORS}/{first}/transitions",
        json={"to": "suspended", "reason": "Exclusion match"},
        headers=auth(WRITE),
    )

    ranked = by_bid(await ranking(vendors, auth, solicitation))

    assert ranked[bids[0]]["rank"] is None and ranked[bids[0]]["qualified"] is False
    assert "suspended" in ranked[bids[0]]["open_issues"][0]
    assert ranked[bids[1]]["rank"] == 1


async def test_a_bid_that_missed_an_addendum_stays_nonresponsive(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    careless, careful = [await active_vendor(vendors, auth, name=n) for n in ("Careless LLC", "Careful Inc")]
    clock.set(TENDER_START + timedelta(hours=1))
    addendum = await vendors.post(
        f"{SOLICITATIONS}/{solicitation['id']}/addenda",
        json={"title": "Revised quantities", "description": "Item 1: 1,400 tons."},
        headers=auth(WRITE),
    )
    clock.set(TENDER_START + timedelta(hours=2))
    missed = await submit(vendors, auth, solicitation, careless, bid_body("90000.00"))
    await submit(vendors, auth, solicitation, careful, bid_body("95000.00", addenda=[addendum.json()["id"]]))
    clock.set(TENDER_END + timedelta(hours=1))
    for status in ("opened", "evaluation"):
        assert (
            await move_solicitation(vendors, auth, solicitation["id"], status, scopes=EVALUATE)
        ).status_code == 200

    cure = await determine(vendors, auth, solicitation, missed["id"], "responsive")
    assert addendum.json()["id"] in assert_problem(cure, 409, "conflict")["missing_addenda"]
    responsible = await determine(vendors, auth, solicitation, missed["id"], "responsible")
    assert_problem(responsible, 409, "conflict")
    bid = by_bid(await ranking(vendors, auth, solicitation))[missed["id"]]
    assert bid["evaluated"] is True and bid["rank"] is None
    assert bid["open_issues"][0].startswith("Nonresponsive at the opening")


async def test_evaluation_happens_in_evaluation_only_and_by_evaluators(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    vendor_id = await active_vendor(vendors, auth)
    clock.set(TENDER_START + timedelta(hours=1))
    bid = await submit(vendors, auth, solicitation, vendor_id)
    clock.set(TENDER_END + timedelta(hours=1))
    await move_solicitation(vendors, auth, solicitation["id"], "opened", scopes=EVALUATE)

    not_yet = await determine(vendors, auth, solicitation, bid["id"], "responsive")
    assert assert_problem(not_yet, 409, "not-under-evaluation")["current_status"] == "opened"
    await move_solicitation(vendors, auth, solicitation["id"], "evaluation", scopes=EVALUATE)
    buyer = await vendors.post(
        determinations_url(solicitation, bid["id"]),
        json={"outcome": "responsive", "reason": "ok"},
        headers=auth(WRITE),
    )
    assert_problem(buyer, 403, "forbidden")
    unknown = await determine(vendors, auth, solicitation, uuid.uuid4(), "responsive")
    assert_problem(unknown, 404, "not-found")


async def test_a_withdrawn_bid_is_not_evaluated(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    stays, leaves = [await active_vendor(vendors, auth, name=n) for n in ("Stays LLC", "Leaves LLC")]
    clock.set(TENDER_START + timedelta(hours=1))
    await submit(vendors, auth, solicitation, stays)
    withdrawn = await submit(vendors, auth, solicitation, leaves)
    await vendors.post(f"{bids_url(solicitation)}/{withdrawn['id']}/withdraw", headers=supplier(auth, leaves))
    clock.set(TENDER_END + timedelta(hours=1))
    for status in ("opened", "evaluation"):
        await move_solicitation(vendors, auth, solicitation["id"], status, scopes=EVALUATE)

    response = await determine(vendors, auth, solicitation, withdrawn["id"], "responsive")

    assert assert_problem(response, 409, "conflict")["current_status"] == "withdrawn"
    assert withdrawn["id"] not in by_bid(await ranking(vendors, auth, solicitation))


async def test_the_ranking_is_for_staff_and_waits_for_the_opening(vendors, auth, clock):
    solicitation = await published(vendors, auth)
    url = f"{SOLICITATIONS}/{solicitation['id']}/ranking"

    assert_problem(await vendors.get(url), 401, "unauthorized")
    vendor_id = await active_vendor(vendors, auth)
    assert_problem(await vendors.get(url, headers=supplier(auth, vendor_id)), 403, "forbidden")
    assert_problem(await vendors.get(url, headers=auth(EVALUATE)), 409, "conflict")
    assert_problem(
        await vendors.get(f"{SOLICITATIONS}/{uuid.uuid4()}/ranking", headers=auth(EVALUATE)), 404, "not-found"
    )
