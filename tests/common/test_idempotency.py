"""Idempotency-Key: a retried POST returns the first response instead of acting twice."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import httpx
import jwt
import pytest
from sqlalchemy import func, select, text, update

from services.common.idempotency import LOCK_SPACE
from tests.problems import assert_problem

from .conftest import SECRET, bearer
from .kernel_app import PREFIX, create_kernel_app, idempotency_keys, items, kernel_settings
from .local_server import serve


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
    """Waits until a request holds an idempotency key's lock (the tests run one keyed request at a time)."""
    held = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :space AND granted")
    for _ in range(200):
        async with engine.connect() as connection:
            if await connection.scalar(held, {"space": LOCK_SPACE}):
                return
        await asyncio.sleep(0.01)
    pytest.fail("the first request never claimed its key")


async def test_a_key_whose_request_died_is_free_at_once(kernel, kernel_app, kernel_schema):
    """The database drops the connection of a request mid-way (its process died): the key is not held for
    minutes afterwards; the retry runs at once, and acts once."""
    tag, key = new_tag(), str(uuid.uuid4())
    kernel_app.state.hold = asyncio.Event()
    body = {"tag": tag, "name": "orphaned"}
    first = asyncio.create_task(create(kernel, body, key))
    try:
        await _until_claimed(kernel_schema, key)
        async with kernel_schema.begin() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND classid = :space AND granted"
                ),
                {"space": LOCK_SPACE},
            )
    finally:
        kernel_app.state.hold.set()
    assert (await first).status_code >= 500
    assert await count_items(kernel_schema, tag) == 0

    retry = await create(kernel, body, key)
    assert retry.status_code == 201, retry.text
    assert "idempotent-replayed" not in retry.headers
    assert await count_items(kernel_schema, tag) == 1


async def test_the_answer_commits_with_the_write(kernel, kernel_schema):
    """The stored answer is part of the write's transaction: once the write is there, so is its answer,
    and a retry after any failure past the commit replays it instead of acting again."""
    tag, key = new_tag(), str(uuid.uuid4())
    first = await create(kernel, {"tag": tag, "name": "atomic"}, key)
    async with kernel_schema.connect() as connection:
        item_xmin = await connection.scalar(
            text("SELECT xmin::text FROM kernel_test.items WHERE id = :id"), {"id": first.json()["id"]}
        )
        key_xmin = await connection.scalar(
            text("SELECT xmin::text FROM kernel_test.idempotency_keys WHERE key = :key"), {"key": key}
        )
    assert item_xmin == key_xmin  # written by one transaction
    retry = await create(kernel, {"tag": tag, "name": "atomic"}, key)
    assert retry.headers["idempotent-replayed"] == "true"
    assert await count_items(kernel_schema, tag) == 1


async def test_a_retry_with_an_unverified_token_is_never_replayed(kernel, kernel_schema):
    """A stored answer goes only to its verified caller: forged, unsigned or expired tokens carrying the
    victim's key and body are refused (401), never answered from the store."""
    tag, key = new_tag(), str(uuid.uuid4())
    body = {"tag": tag, "name": "victim"}
    assert (await create(kernel, body, key, sub="victim")).status_code == 201
    claims = {"sub": "victim", "aud": "cityops", "scope": "kernel:write", "exp": int(time.time()) + 600}
    forged = {
        "unsigned": jwt.encode(claims, key=None, algorithm="none"),
        "other key": jwt.encode(claims, "another-secret-" + "y" * 20, algorithm="HS256"),
        "expired": jwt.encode({**claims, "exp": int(time.time()) - 60}, SECRET, algorithm="HS256"),
    }
    for name, token in forged.items():
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        response = await kernel.post(f"{PREFIX}/items", json=body, headers=headers)
        assert response.status_code == 401, name
        assert "idempotent-replayed" not in response.headers, name
    assert await count_items(kernel_schema, tag) == 1


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
