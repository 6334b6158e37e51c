"""Optimistic concurrency: reads carry an ETag, changes need If-Match (428 without, 412 when stale)."""

from __future__ import annotations

from tests.problems import assert_problem

from .conftest import bearer
from .kernel_app import PREFIX


async def create_item(client) -> dict:
    response = await client.post(f"{PREFIX}/items", json={"tag": "etag", "name": "first"}, headers=bearer())
    assert response.status_code == 201
    assert response.headers["etag"] == '"v1"'
    return response.json()


async def rename(client, item_id: str, name: str, if_match: str | None):
    headers = bearer() if if_match is None else {**bearer(), "If-Match": if_match}
    return await client.patch(f"{PREFIX}/items/{item_id}", json={"name": name}, headers=headers)


async def test_get_carries_the_etag_of_the_current_version(kernel):
    item = await create_item(kernel)
    response = await kernel.get(f"{PREFIX}/items/{item['id']}", headers=bearer())
    assert response.headers["etag"] == '"v1"'


async def test_change_without_if_match_is_428_and_changes_nothing(kernel):
    item = await create_item(kernel)

    assert_problem(await rename(kernel, item["id"], "second", None), 428, "precondition-required")
    assert (await kernel.get(f"{PREFIX}/items/{item['id']}", headers=bearer())).json()["name"] == "first"


async def test_empty_if_match_counts_as_missing(kernel):
    item = await create_item(kernel)
    assert_problem(await rename(kernel, item["id"], "second", " "), 428, "precondition-required")


async def test_change_with_current_etag_succeeds_and_moves_the_etag(kernel):
    item = await create_item(kernel)

    response = await rename(kernel, item["id"], "second", '"v1"')
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"v2"'
    assert response.json()["version"] == 2


async def test_stale_etag_is_412_naming_the_current_one(kernel):
    item = await create_item(kernel)
    await rename(kernel, item["id"], "second", '"v1"')

    # A second writer still holding v1 loses instead of silently overwriting.
    response = await rename(kernel, item["id"], "third", '"v1"')
    body = assert_problem(response, 412, "precondition-failed")
    assert body["current_etag"] == '"v2"'
    assert (await kernel.get(f"{PREFIX}/items/{item['id']}", headers=bearer())).json()["name"] == "second"


async def test_star_matches_any_version(kernel):
    item = await create_item(kernel)
    await rename(kernel, item["id"], "second", '"v1"')

    response = await rename(kernel, item["id"], "third", "*")
    assert response.status_code == 200
    assert response.headers["etag"] == '"v3"'


async def test_weak_or_foreign_etags_are_412(kernel):
    item = await create_item(kernel)
    # Entity-tags by RFC 9110 §8.8.3, but none is the strong tag of a version (strong comparison).
    for if_match in ('W/"v1"', '"abc"', '"v0"', '"v-3"', '"1"', '""', '"V1"', '"v01"', '"abc", W/"v1"'):
        body = assert_problem(await rename(kernel, item["id"], "x", if_match), 412, "precondition-failed")
        assert body["current_etag"] == '"v1"'


async def test_a_value_that_is_not_an_entity_tag_is_400_and_changes_nothing(kernel):
    item = await create_item(kernel)
    # Unquoted (`v1`, `1`), half-quoted, trailing text, a star inside a list, a bad weak prefix.
    for if_match in ("v1", "1", "v", '"v1', 'v1"', '"v1" x', '"v1", *', 'w/"v1"', "W/v1", "'v1'", '"v1";'):
        body = assert_problem(await rename(kernel, item["id"], "x", if_match), 400, "invalid-entity-tag")
        assert "ETag" in body["detail"]
    assert (await kernel.get(f"{PREFIX}/items/{item['id']}", headers=bearer())).json()["version"] == 1


async def test_a_list_of_entity_tags_matches_when_it_names_the_current_version(kernel):
    item = await create_item(kernel)

    response = await rename(kernel, item["id"], "second", 'W/"v9", "abc" , "v1"')
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"v2"'


async def test_a_list_naming_two_versions_is_400(kernel):
    item = await create_item(kernel)
    assert_problem(await rename(kernel, item["id"], "x", '"v1", "v2"'), 400, "invalid-entity-tag")


async def test_invalid_body_is_422_before_the_precondition_is_judged(kernel):
    item = await create_item(kernel)
    response = await kernel.patch(
        f"{PREFIX}/items/{item['id']}", json={"name": ""}, headers={**bearer(), "If-Match": '"stale"'}
    )
    assert_problem(response, 422, "validation-error")


async def test_an_if_match_longer_than_any_of_our_tags_is_422_and_changes_nothing(kernel):
    item = await create_item(kernel)

    response = await rename(kernel, item["id"], "second", '"v1000000000000000000"')  # 22 characters

    assert assert_problem(response, 422, "validation-error")["errors"][0]["location"] == [
        "header",
        "If-Match",
    ]
    assert (await kernel.get(f"{PREFIX}/items/{item['id']}", headers=bearer())).json()["name"] == "first"
