"""The real-estate registry end to end, as a City system and the public would use it: every call over
HTTP through the gateway to the real assets process started by `cityops run`, with its demo sites.

Staff register a building, its parcel, and link the two with the ETag the server sent; move it to
excess and through a hold that returns to where it was; the merged OpenAPI document publishes the
service; and the public reads the inventory without a token, where a sensitive asset never shows.
"""

from __future__ import annotations

import httpx
import pytest

from .harness import RunningPlatform, bearer, ok, problem, token

pytestmark = pytest.mark.e2e

R = "/v1/real-estate"
STAFF = "real_estate:read real_estate:write audit:read"


def test_an_asset_s_registration_parcel_status_and_public_inventory_through_the_gateway(
    platform: RunningPlatform,
) -> None:
    platform.start()
    assert "Real-estate demo data loaded" in platform.output()
    assert "assets" in platform.children()
    staff = bearer(token(platform, STAFF))

    with httpx.Client(base_url=platform.gateway_url, timeout=10.0) as client:
        created = client.post(
            f"{R}/assets",
            json={
                "name": "Lincoln Heights Youth Center",
                "asset_type": "building",
                "predominant_use": "recreation_center",
                "legal_interest": "owned",
                "controlling_department": "RAP",
                "council_district": 1,
                "gross_sqft": 12_000,
                "rentable_sqft": 11_500,
                "location": {"type": "Point", "coordinates": [-118.2101, 34.0712]},
            },
            headers={**staff, "Idempotency-Key": "e2e-youth-center"},
        )
        asset = ok(created, 201)
        assert created.headers["location"] == f"{R}/assets/{asset['id']}"
        etag = created.headers["etag"]

        parcel = ok(client.post(f"{R}/parcels", json={"apn": "5205-030-900"}, headers=staff), 201)
        assert parcel["apn"] == "5205-030-900"
        problem(
            client.put(f"{R}/assets/{asset['id']}/parcels/5205030900", headers=staff),
            428,
            "precondition-required",
        )
        linked = client.put(
            f"{R}/assets/{asset['id']}/parcels/5205030900", headers={**staff, "If-Match": etag}
        )
        assert ok(linked)["apns"] == ["5205-030-900"]
        assert linked.headers["etag"] != etag
        problem(
            client.patch(
                f"{R}/assets/{asset['id']}", json={"floors": 2}, headers={**staff, "If-Match": etag}
            ),
            412,
            "precondition-failed",
        )

        moved = ok(client.post(f"{R}/assets/{asset['id']}/transitions", json={"to": "excess"}, headers=staff))
        assert moved["status"] == "excess"
        illegal = client.post(f"{R}/assets/{asset['id']}/transitions", json={"to": "disposed"}, headers=staff)
        problem(illegal, 409, "invalid-transition")
        assert "surplus" in illegal.json()["allowed_transitions"]
        held = client.post(
            f"{R}/assets/{asset['id']}/transitions",
            json={"to": "cannot_currently_be_disposed", "cannot_dispose_reason": "legal"},
            headers=staff,
        )
        assert ok(held)["cannot_dispose_reason"] == "legal"
        back = ok(client.post(f"{R}/assets/{asset['id']}/transitions", json={"to": "excess"}, headers=staff))
        assert (back["status"], back["apns"]) == ("excess", ["5205-030-900"])

        events = ok(client.get(f"{R}/audit-events", params={"entity_id": asset["id"]}, headers=staff))
        assert [event["action"] for event in events["items"]] == [
            "create",
            "link_parcel",
            "transition:excess",
            "transition:cannot_currently_be_disposed",
            "transition:excess",
        ]

        problem(client.get(f"{R}/assets"), 401, "unauthorized")
        public = client.get(f"{R}/inventory", params={"page_size": 500})
        items = {item["id"]: item for item in ok(public)["items"]}
        assert items[asset["id"]]["status"] == "excess"
        assert "is_sensitive" not in items[asset["id"]]
        names = {item["name"] for item in items.values()}
        assert "Lincoln Heights Jail" in names and "Emergency Operations Center" not in names
        public_one = ok(client.get(f"{R}/inventory/{asset['id']}"))
        assert public_one["apns"] == ["5205-030-900"]

        document = ok(client.get("/openapi.json"))
        assert f"{R}/inventory" in document["paths"] and "/v1/procurement/vendors" in document["paths"]


def test_the_features_api_through_the_gateway_hides_sensitive_sites_from_the_public(
    platform: RunningPlatform,
) -> None:
    """OGC API - Features through the gateway: links on the gateway's address, GeoJSON of the demo sites
    around Lincoln Heights and the Civic Center, the sensitive Emergency Operations Center only to staff."""
    platform.start()
    staff = bearer(token(platform, "real_estate:read"))
    # Downtown and Lincoln Heights: every demo site with a place.
    downtown = {"bbox": "-118.26,34.04,-118.20,34.08", "limit": 2}

    with httpx.Client(base_url=platform.gateway_url, timeout=10.0) as client:
        landing = ok(client.get(f"{R}/geo"))
        data = next(link["href"] for link in landing["links"] if link["rel"] == "data")
        assert data == f"{platform.gateway_url}{R}/geo/collections"
        assert [c["id"] for c in ok(client.get(data))["collections"]] == ["assets"]

        def names(headers: dict[str, str]) -> set[str]:
            """Every feature's name, following `next` links from the first page to the last."""
            response = client.get(f"{R}/geo/collections/assets/items", params=downtown, headers=headers)
            seen: set[str] = set()
            while True:
                page = ok(response)
                assert response.headers["content-type"] == "application/geo+json"
                seen |= {feature["properties"]["name"] for feature in page["features"]}
                following = [link["href"] for link in page["links"] if link["rel"] == "next"]
                if not following:
                    return seen
                assert following[0].startswith(platform.gateway_url)
                response = client.get(following[0], headers=headers)

        public = names({})
        assert "Lincoln Heights Jail" in public and "Emergency Operations Center" not in public
        assert names(staff) == public | {"Emergency Operations Center"}

        problem(
            client.get(f"{R}/geo/collections/assets/items", params={"bbox": "1,2,3"}),
            400,
            "invalid-parameter",
        )
        problem(client.get(f"{R}/geo/collections/parcels"), 404, "not-found")
        document = ok(client.get("/openapi.json"))
        assert f"{R}/geo/collections/{{collectionId}}/items" in document["paths"]
