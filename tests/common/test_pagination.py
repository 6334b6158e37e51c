"""Keyset pages with opaque signed tokens: bounded sizes, tamper-proof, bound to their query, complete."""

from __future__ import annotations

import base64
import uuid

import pytest

from tests.problems import assert_problem

from .conftest import bearer, client_for
from .kernel_app import PREFIX


def new_tag() -> str:
    return f"page-{uuid.uuid4().hex[:12]}"


async def create_items(client, tag: str, ranks: list[int]) -> list[str]:
    ids = []
    for rank in ranks:
        response = await client.post(
            f"{PREFIX}/items", json={"tag": tag, "name": f"item {rank}", "rank": rank}, headers=bearer()
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


async def list_page(client, **params):
    return await client.get(f"{PREFIX}/items", params=params, headers=bearer())


async def walk(client, tag: str, page_size: int, order: str = "rank", between_pages=None) -> list[dict]:
    seen: list[dict] = []
    token = None
    while True:
        params = {"tag": tag, "page_size": page_size, "order": order}
        if token:
            params["page_token"] = token
        response = await list_page(client, **params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= page_size
        seen.extend(page["items"])
        token = page["next_page_token"]
        if token is None:
            return seen
        if between_pages is not None:
            await between_pages()


@pytest.mark.parametrize(("page_size", "status"), [(0, 422), (-1, 422), (501, 422), (1, 200), (500, 200)])
async def test_page_size_is_bounded(kernel, page_size, status):
    response = await list_page(kernel, tag="any", page_size=page_size)
    assert response.status_code == status, response.text
    if status == 422:
        assert_problem(response, 422, "validation-error")


async def test_default_page_size_is_50_and_the_last_page_has_no_token(kernel):
    tag = new_tag()
    await create_items(kernel, tag, list(range(51)))

    first = (await list_page(kernel, tag=tag)).json()
    assert len(first["items"]) == 50
    second = (await list_page(kernel, tag=tag, page_token=first["next_page_token"])).json()
    assert len(second["items"]) == 1
    assert second["next_page_token"] is None


async def test_paging_visits_every_row_once_in_order_with_ties_broken_by_id(kernel):
    tag = new_tag()
    # Many equal ranks: the id must break ties or rows would repeat or vanish across page edges.
    ids = await create_items(kernel, tag, [3, 1, 2, 1, 3, 1, 2, 2, 1, 3, 1])

    for page_size in (1, 2, 3, 4, 11, 12):
        seen = await walk(kernel, tag, page_size)
        assert sorted(item["id"] for item in seen) == sorted(ids)
        keys = [(item["rank"], uuid.UUID(item["id"])) for item in seen]
        assert keys == sorted(keys)


async def test_paging_by_timestamp_visits_every_row_once(kernel):
    tag = new_tag()
    ids = await create_items(kernel, tag, list(range(7)))

    seen = await walk(kernel, tag, 2, order="created")
    assert [item["id"] for item in seen] == ids


async def test_rows_inserted_while_paging_neither_repeat_nor_hide_others(kernel):
    tag = new_tag()
    original = await create_items(kernel, tag, [10, 20, 30, 40, 50, 60, 70, 80])
    inserted: list[str] = []
    ranks = iter([5, 45, 95, 15, 75])  # before, inside and after the pages already served

    async def insert_one():
        inserted.extend(await create_items(kernel, tag, [next(ranks, 99)]))

    seen = await walk(kernel, tag, 3, between_pages=insert_one)

    seen_ids = [item["id"] for item in seen]
    assert len(seen_ids) == len(set(seen_ids)), "a row was served twice"
    assert set(original) <= set(seen_ids), "a row that existed before paging was skipped"
    assert set(seen_ids) <= set(original) | set(inserted)
    ranks_seen = [item["rank"] for item in seen]
    assert ranks_seen == sorted(ranks_seen)


async def test_tampered_token_is_a_400_problem(kernel):
    tag = new_tag()
    await create_items(kernel, tag, [1, 2, 3])
    token = (await list_page(kernel, tag=tag, page_size=1)).json()["next_page_token"]
    payload, _, signature = token.rpartition(".")
    # Moves the position to rank 99 while keeping the signature: the server must notice.
    forged_payload = base64.urlsafe_b64encode(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).replace(b"[1,", b"[99,")
    ).rstrip(b"=")
    assert forged_payload.decode() != payload

    for bad in (forged_payload.decode() + "." + signature, token[:-2] + "xx", "not-a-token", token + "a"):
        response = await list_page(kernel, tag=tag, page_size=1, page_token=bad)
        body = assert_problem(response, 400, "invalid-page-token")
        assert "malformed" in body["detail"]


async def test_token_reused_with_other_filters_is_a_400_problem(kernel):
    tag = new_tag()
    await create_items(kernel, tag, [1, 2, 3])
    token = (await list_page(kernel, tag=tag, page_size=1)).json()["next_page_token"]

    for params in ({"tag": new_tag()}, {"tag": tag, "order": "created"}):
        response = await list_page(kernel, page_size=1, page_token=token, **params)
        body = assert_problem(response, 400, "invalid-page-token")
        assert "other filters" in body["detail"]


async def test_token_survives_a_change_of_page_size(kernel):
    tag = new_tag()
    ids = await create_items(kernel, tag, [1, 2, 3, 4])
    token = (await list_page(kernel, tag=tag, page_size=1)).json()["next_page_token"]

    rest = (await list_page(kernel, tag=tag, page_size=10, page_token=token)).json()
    assert [item["id"] for item in rest["items"]] == ids[1:]


async def test_token_signed_by_another_deployment_is_refused(kernel, make_kernel_app):
    tag = new_tag()
    await create_items(kernel, tag, [1, 2])
    token = (await list_page(kernel, tag=tag, page_size=1)).json()["next_page_token"]
    other = await make_kernel_app(secret_key="another-deployment-signing-key")

    async with client_for(other) as client:
        response = await list_page(client, tag=tag, page_size=1, page_token=token)
    assert_problem(response, 400, "invalid-page-token")
