"""Idempotency-Key: a retried POST returns the first response instead of acting twice."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, insert, select, update

from services.common.idempotency import IN_FLIGHT_LEASE

from .conftest import SECRET, bearer
from .kernel_app import PREFIX, create_kernel_app, idempotency_keys, items, kernel_settings
from .local_server import serve
from .test_problems import assert_problem


def new_tag() -> str:
    return f"idem-{uuid.uuid4().hex[:12]}"


async def create(client, body: dict, key: str | None, **token: str):
    headers = bearer(**token)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post(f"{PREFIX}/items", json=body, headers=headers)


async def count_items(engine, tag: str) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).where(items.c.tag == tag)))


async def test_retry_returns_the_first_response_and_acts_once(kernel, kernel_schema):
    tag, key = new_tag(), str(uuid.uuid4())
    first = await create(kernel, {"tag": tag, "name": "once"}, key)
    retry = await create(kernel, {"tag": tag, "name": "once"}, key)

    assert first.status_code == retry.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["etag"] == first.headers["etag"]
    assert retry.headers["content-type"] == "application/json"
    assert await count_items(kernel_schema, tag) == 1


async def test_without_a_key_every_post_acts(kernel, kernel_schema):
    tag = new_tag()
    for _ in range(2):
        assert (await create(kernel, {"tag": tag, "name": "twice"}, None)).status_code == 201
    assert await count_items(kernel_schema, tag) == 2


async def test_same_key_with_another_body_is_422(kernel, kernel_schema):
    tag, key = new_tag(), str(uuid.uuid4())
    await create(kernel, {"tag": tag, "name": "one"}, key)

    response = await create(kernel, {"tag": tag, "name": "another"}, key)
    assert_problem(response, 422, "unprocessable-entity")
    assert "different request body" in response.json()["detail"]
    assert await count_items(kernel_schema, tag) == 1


async def test_retry_while_the_first_runs_is_409_with_retry_after(kernel, kernel_app, kernel_schema):
    tag, key = new_tag(), str(uuid.uuid4())
    kernel_app.state.hold = asyncio.Event()
    body = {"tag": tag, "name": "slow"}

    first = asyncio.create_task(create(kernel, body, key))
    try:
        await _until_claimed(kernel_schema, key)
        retry = await create(kernel, body, key)
        assert_problem(retry, 409, "conflict")
        assert retry.headers["retry-after"] == "1"
    finally:
        kernel_app.state.hold.set()
    assert (await first).status_code == 201
    assert (await create(kernel, body, key)).headers["idempotent-replayed"] == "true"
    assert await count_items(kernel_schema, tag) == 1


async def _until_claimed(engine, key: str) -> None:
    for _ in range(200):
        async with engine.connect() as connection:
            if await connection.scalar(select(func.count()).where(idempotency_keys.c.key == key)):
                return
        await asyncio.sleep(0.01)
    pytest.fail("the first request never claimed its key")


async def test_a_key_left_in_flight_by_a_dead_process_frees_after_its_lease(
    kernel, kernel_app, kernel_schema
):
    """A process that dies mid-request never releases its key: the lease, not the 24 hours, bounds the 409s."""
    tag, key = new_tag(), str(uuid.uuid4())
    raw = json.dumps({"tag": tag, "name": "orphaned"}).encode()
    signing_key = kernel_app.state.settings.signing_key.encode()
    async with kernel_schema.begin() as connection:
        # What a claim leaves behind when its process is killed before answering.
        await connection.execute(
            insert(idempotency_keys).values(
                principal="tester",
                key=key,
                method="POST",
                path=f"{PREFIX}/items",
                request_hash=hmac.new(signing_key, raw, hashlib.sha256).hexdigest(),
                expires_at=func.now() + IN_FLIGHT_LEASE,
            )
        )

    async def send() -> httpx.Response:
        headers = {**bearer(), "Idempotency-Key": key, "Content-Type": "application/json"}
        return await kernel.post(f"{PREFIX}/items", content=raw, headers=headers)

    assert_problem(await send(), 409, "conflict")
    async with kernel_schema.begin() as connection:  # the lease runs out
        await connection.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.key == key)
            .values(expires_at=func.now() - func.make_interval(0, 0, 0, 0, 0, 1))
        )
    retry = await send()
    assert retry.status_code == 201, retry.text
    assert await count_items(kernel_schema, tag) == 1


async def test_a_running_request_holds_its_key_for_the_lease_only(kernel, kernel_app, kernel_schema):
    tag, key = new_tag(), str(uuid.uuid4())
    kernel_app.state.hold = asyncio.Event()
    first = asyncio.create_task(create(kernel, {"tag": tag, "name": "slow"}, key))
    try:
        await _until_claimed(kernel_schema, key)
        async with kernel_schema.connect() as connection:
            held_for = await connection.scalar(
                select(idempotency_keys.c.expires_at - idempotency_keys.c.created_at).where(
                    idempotency_keys.c.key == key
                )
            )
        assert held_for.total_seconds() == pytest.approx(IN_FLIGHT_LEASE.total_seconds(), abs=5)
    finally:
        kernel_app.state.hold.set()
    assert (await first).status_code == 201


async def test_failed_first_request_leaves_nothing_so_a_retry_runs(kernel, kernel_app, kernel_schema):
    tag, key = new_tag(), str(uuid.uuid4())
    body = {"tag": tag, "name": "flaky"}
    kernel_app.state.fail_next = True

    failed = await create(kernel, body, key)
    assert_problem(failed, 500, "internal-error")
    # Nothing half-written: the row written before the crash was rolled back, the key released.
    assert await count_items(kernel_schema, tag) == 0

    retry = await create(kernel, body, key)
    assert retry.status_code == 201
    assert "idempotent-replayed" not in retry.headers
    assert await count_items(kernel_schema, tag) == 1


async def test_rejected_request_is_not_stored(kernel, kernel_schema):
    tag, key = new_tag(), str(uuid.uuid4())
    body = {"tag": tag, "name": "needs write"}

    refused = await create(kernel, body, key, scopes="kernel:read")
    assert refused.status_code == 403
    accepted = await create(kernel, body, key)
    assert accepted.status_code == 201
    assert "idempotent-replayed" not in accepted.headers


async def test_keys_are_scoped_per_caller(kernel, kernel_schema):
    tag, key = new_tag(), str(uuid.uuid4())
    body = {"tag": tag, "name": "shared key"}

    alice = await create(kernel, body, key, sub="alice")
    bob = await create(kernel, body, key, sub="bob")
    assert alice.status_code == bob.status_code == 201
    assert "idempotent-replayed" not in bob.headers
    assert alice.json()["id"] != bob.json()["id"]
    # And a caller's other body under the same key is still refused only for that caller.
    assert (await create(kernel, {**body, "name": "x"}, key, sub="alice")).status_code == 422


async def test_expired_key_can_be_used_again(kernel, kernel_schema):
    tag, key = new_tag(), str(uuid.uuid4())
    await create(kernel, {"tag": tag, "name": "day one"}, key)
    async with kernel_schema.begin() as connection:
        stored = await connection.scalar(
            select(idempotency_keys.c.expires_at - idempotency_keys.c.created_at).where(
                idempotency_keys.c.key == key
            )
        )
        # Kept 24 hours; then the key is free for a new request.
        assert stored.total_seconds() == pytest.approx(24 * 3600, abs=5)
        await connection.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.key == key)
            .values(expires_at=func.now() - func.make_interval(0, 0, 0, 0, 0, 1))
        )

    response = await create(kernel, {"tag": tag, "name": "day two"}, key)
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers
    assert await count_items(kernel_schema, tag) == 2


async def test_key_longer_than_255_is_a_validation_problem(kernel):
    response = await create(kernel, {"tag": new_tag(), "name": "x"}, "k" * 256)
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["location"] == ["header", "Idempotency-Key"]


@pytest.fixture(scope="module")
def served_kernel(database_url, kernel_schema) -> Iterator[str]:
    """The kernel service behind a real HTTP server, where a client can retry the instant it has an answer."""
    app = create_kernel_app(kernel_settings(database_url, SECRET))
    with serve(app, lifespan="on") as base_url:
        yield base_url


async def test_retry_the_instant_the_answer_arrives_is_a_replay(served_kernel):
    async with httpx.AsyncClient(base_url=served_kernel) as client:
        for _ in range(15):
            key, body = str(uuid.uuid4()), {"tag": new_tag(), "name": "quick"}
            first = await create(client, body, key)
            retry = await create(client, body, key)
            assert first.status_code == 201
            assert retry.status_code == 201, retry.text
            assert retry.headers["idempotent-replayed"] == "true"


async def test_retry_the_instant_a_refusal_arrives_runs(served_kernel):
    async with httpx.AsyncClient(base_url=served_kernel) as client:
        for _ in range(15):
            key, body = str(uuid.uuid4()), {"tag": new_tag(), "name": "quick"}
            assert (await create(client, body, key, scopes="kernel:read")).status_code == 403
            retry = await create(client, body, key)
            assert retry.status_code == 201, retry.text
            assert "idempotent-replayed" not in retry.headers
