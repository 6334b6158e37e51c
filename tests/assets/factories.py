"""Builders for the assets tests: bodies of valid assets and parcels, made through the HTTP API the way
the City's systems would. Test modules import from here and from `tests.problems`, never from one
another; the fixtures are in tests/conftest.py (`assets`, `auth`) and this folder's conftest.py."""

from __future__ import annotations

from typing import Any

import httpx

P = "/v1/real-estate"
ASSETS = f"{P}/assets"
PARCELS = f"{P}/parcels"
INVENTORY = f"{P}/inventory"
AUDIT_EVENTS = f"{P}/audit-events"
GEO = f"{P}/geo"
ITEMS = f"{GEO}/collections/assets/items"

READ = "real_estate:read"
WRITE = "real_estate:read real_estate:write"

# Lincoln Heights Jail, 401 N Avenue 19: inside the City.
LHJ_POINT = {"type": "Point", "coordinates": [-118.2288, 34.0676]}
# Palmdale, where the City owns land: outside it.
PALMDALE_POINT = {"type": "Point", "coordinates": [-118.1165, 34.5794]}


def square(west: float = -118.2292, south: float = 34.0672, size: float = 0.0008) -> dict[str, Any]:
    """A closed, counter-clockwise square footprint."""
    east, north = west + size, south + size
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def point(longitude: float, latitude: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [longitude, latitude]}


def building_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Lincoln Heights Jail",
        "asset_type": "building",
        "predominant_use": "courthouse_jail",
        "legal_interest": "owned",
        "controlling_department": "GSD",
        "council_district": 1,
        "zoning": "C2-1",
        "street_number": "401",
        "street_name": "N Avenue 19",
        "zip_code": "90031",
        "gross_sqft": 229_000,
        "rentable_sqft": 200_000,
        "floors": 5,
        "year_built": 1931,
        "year_acquired": 1927,
        "historical_status": "local_hcm",
        "hcm_number": 587,
        "location": LHJ_POINT,
        "footprint": square(),
    }
    return body | overrides


def land_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Lincoln Heights parking lot 1",
        "asset_type": "land",
        "predominant_use": "parking_lot",
        "legal_interest": "owned",
        "controlling_department": "DOT",
        "council_district": 1,
        "land_area_acres": 0.42,
        "location": {"type": "Point", "coordinates": [-118.2101, 34.0725]},
    }
    return body | overrides


def structure_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Sixth Street Viaduct",
        "asset_type": "structure",
        "predominant_use": "roads_bridges",
        "legal_interest": "owned",
        "controlling_department": "BOE",
        "council_district": 14,
        "structure_quantity": 3500,
        "structure_unit": "linear_feet",
        "year_built": 2022,
    }
    return body | overrides


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_asset(
    client: httpx.AsyncClient, auth: Any, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    return ok(await client.post(ASSETS, json=body or building_body(), headers=auth(WRITE)), 201)


async def create_parcel(client: httpx.AsyncClient, auth: Any, apn: str, **fields: Any) -> dict[str, Any]:
    return ok(await client.post(PARCELS, json={"apn": apn, **fields}, headers=auth(WRITE)), 201)


async def move_asset(
    client: httpx.AsyncClient, auth: Any, asset_id: str, to: str, **fields: Any
) -> httpx.Response:
    return await client.post(
        f"{ASSETS}/{asset_id}/transitions", json={"to": to, **fields}, headers=auth(WRITE)
    )


async def link(client: httpx.AsyncClient, auth: Any, asset: dict[str, Any], apn: str) -> httpx.Response:
    """Links with the ETag the server issued for the asset's current version, quoted as it sent it."""
    current = await client.get(f"{ASSETS}/{asset['id']}", headers=auth(READ))
    return await client.put(
        f"{ASSETS}/{asset['id']}/parcels/{apn}", headers={**auth(WRITE), "If-Match": current.headers["etag"]}
    )


async def audit_actions(client: httpx.AsyncClient, auth: Any, entity: str, entity_id: str) -> list[str]:
    response = await client.get(
        AUDIT_EVENTS, params={"entity": entity, "entity_id": entity_id}, headers=auth("audit:read")
    )
    return [event["action"] for event in ok(response)["items"]]


SPACES = f"{P}/spaces"
OCCUPANCIES = f"{P}/occupancies"


def space_body(code: str = "3-301", **overrides: Any) -> dict[str, Any]:
    body = {"code": code, "name": f"Suite {code}", "floor": 3, "use": "office", "rentable_sqft": 5_000}
    return body | overrides


async def create_space(
    client: httpx.AsyncClient, auth: Any, asset_id: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post(
        f"{ASSETS}/{asset_id}/spaces", json=body or space_body(), headers=auth(WRITE)
    )
    return ok(response, 201)


async def occupy(
    client: httpx.AsyncClient, auth: Any, space_id: str, start: str, end: str | None = None, **fields: Any
) -> httpx.Response:
    """Records an occupancy of the space (by the Police Department unless `fields` names another)."""
    occupant = fields if {"department", "organization"} & fields.keys() else {"department": "LAPD", **fields}
    body = {**occupant, "start_date": start, **({"end_date": end} if end else {})}
    return await client.post(f"{SPACES}/{space_id}/occupancies", json=body, headers=auth(WRITE))


async def end_occupancy(
    client: httpx.AsyncClient, auth: Any, occupancy_id: str, end: str, **fields: Any
) -> httpx.Response:
    return await client.post(
        f"{OCCUPANCIES}/{occupancy_id}/end", json={"end_date": end, **fields}, headers=auth(WRITE)
    )


async def occupancy_on(
    client: httpx.AsyncClient, auth: Any, asset_id: str, day: str | None = None
) -> dict[str, Any]:
    params = {"as_of": day} if day else {}
    return ok(await client.get(f"{ASSETS}/{asset_id}/occupancy", params=params, headers=auth(READ)))


LEASES = f"{P}/leases"
CPI = f"{P}/cpi"
# CPI-U, Los Angeles-Long Beach-Anaheim, all items (BLS).
LA_CPI = "CUURS49ASA0"


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def lease_body(asset_id: str, **overrides: Any) -> dict[str, Any]:
    """The City letting part of Lincoln Heights Jail to an arts nonprofit for three years."""
    body = {
        "asset_id": asset_id,
        "direction": "city_as_landlord",
        "counterparty": {"name": "Lincoln Heights Arts Collective"},
        "commencement_date": "2025-01-01",
        "expiration_date": "2027-12-31",
        "base_monthly_rent": usd("10000.00"),
        "security_deposit": usd("20000.00"),
    }
    return body | overrides


def cpi_escalation(effective: str, base: str, index: str, floor: str, cap: str) -> dict[str, Any]:
    return {
        "kind": "cpi",
        "effective_date": effective,
        "series": LA_CPI,
        "base_month": base,
        "index_month": index,
        "floor_percent": floor,
        "cap_percent": cap,
    }


async def create_lease(
    client: httpx.AsyncClient, auth: Any, asset_id: str, **overrides: Any
) -> dict[str, Any]:
    return ok(await client.post(LEASES, json=lease_body(asset_id, **overrides), headers=auth(WRITE)), 201)


async def move_lease(
    client: httpx.AsyncClient, auth: Any, lease_id: str, to: str, **fields: Any
) -> httpx.Response:
    return await client.post(
        f"{LEASES}/{lease_id}/transitions", json={"to": to, **fields}, headers=auth(WRITE)
    )


async def record_cpi(client: httpx.AsyncClient, auth: Any, values: dict[str, str]) -> httpx.Response:
    """Records LA CPI values by month (`{"2025-10": "318.000"}`)."""
    body = {"values": [{"month": month, "value": value} for month, value in values.items()]}
    return await client.post(f"{CPI}/{LA_CPI}", json=body, headers=auth(WRITE))


async def rent_schedule(client: httpx.AsyncClient, auth: Any, lease_id: str) -> dict[str, Any]:
    return ok(await client.get(f"{LEASES}/{lease_id}/rent-schedule", headers=auth(READ)))
