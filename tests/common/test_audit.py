"""The audit trail is written in the change's own transaction: no change without its event, and back."""

from __future__ import annotations

import uuid

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.audit import REDACTED, diff
from tests.problems import assert_problem

from .conftest import bearer
from .kernel_app import PREFIX, audit, items

events = audit.table


async def events_for(engine, entity_id) -> list[dict]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(events).where(events.c.entity_id == str(entity_id)).order_by(events.c.id)
        )
        return [dict(row) for row in rows.mappings()]


async def test_committed_change_commits_its_event(kernel_schema):
    item_id = uuid.uuid4()
    async with AsyncSession(kernel_schema) as session:
        await session.execute(insert(items).values(id=item_id, tag="audit", name="a", rank=0, version=1))
        await audit.record(
            session, actor="clerk", action="create", entity="item", entity_id=item_id, reason="intake"
        )
        await session.commit()
    [event] = await events_for(kernel_schema, item_id)
    assert (event["actor"], event["action"], event["entity"], event["reason"]) == (
        "clerk",
        "create",
        "item",
        "intake",
    )
    assert event["changes"] == {}
    assert event["occurred_at"] is not None


async def test_rolled_back_change_leaves_no_event(session, kernel_schema):
    item_id = uuid.uuid4()
    await session.execute(insert(items).values(id=item_id, tag="audit", name="a", rank=0, version=1))
    await audit.record(session, actor="clerk", action="create", entity="item", entity_id=item_id)
    assert len((await session.execute(select(events).where(events.c.entity_id == str(item_id)))).all()) == 1

    await session.rollback()

    assert await events_for(kernel_schema, item_id) == []


async def test_failed_request_leaves_neither_change_nor_event(kernel, kernel_app, kernel_schema):
    tag = f"audit-{uuid.uuid4().hex[:8]}"
    async with kernel_schema.connect() as connection:
        before = await connection.scalar(select(func.count()).select_from(events))
    kernel_app.state.fail_next = True

    response = await kernel.post(f"{PREFIX}/items", json={"tag": tag, "name": "doomed"}, headers=bearer())

    assert_problem(response, 500, "internal-error")
    async with kernel_schema.connect() as connection:
        assert await connection.scalar(select(func.count()).where(items.c.tag == tag)) == 0
        assert await connection.scalar(select(func.count()).select_from(events)) == before


async def test_events_name_the_caller_and_the_request(kernel, kernel_schema):
    response = await kernel.post(
        f"{PREFIX}/items",
        json={"tag": "audit", "name": "traced"},
        headers={**bearer(sub="clerk-7"), "X-Request-ID": "audit-req-1"},
    )
    [event] = await events_for(kernel_schema, response.json()["id"])
    assert event["actor"] == "clerk-7"
    assert event["request_id"] == "audit-req-1"
    assert event["changes"] == {"tag": "audit", "name": "traced", "rank": 0}


async def test_audit_events_are_listed_by_entity_for_audit_readers(kernel):
    created = (
        await kernel.post(f"{PREFIX}/items", json={"tag": "audit", "name": "old"}, headers=bearer())
    ).json()
    await kernel.patch(
        f"{PREFIX}/items/{created['id']}", json={"name": "new"}, headers={**bearer(), "If-Match": '"v1"'}
    )

    params = {"entity": "item", "entity_id": created["id"], "page_size": 1}
    first = await kernel.get(f"{PREFIX}/audit-events", params=params, headers=bearer())
    assert first.status_code == 200
    second = await kernel.get(
        f"{PREFIX}/audit-events",
        params={**params, "page_token": first.json()["next_page_token"]},
        headers=bearer(),
    )
    actions = [event["action"] for event in first.json()["items"] + second.json()["items"]]
    assert actions == ["create", "update"]
    assert second.json()["items"][0]["changes"] == {"name": ["old", "new"]}

    refused = await kernel.get(f"{PREFIX}/audit-events", headers=bearer("kernel:read"))
    assert_problem(refused, 403, "forbidden")


def test_diff_lists_changed_fields_and_hides_secrets():
    before = {"name": "Acme", "tin": "12-3456789", "city": "LA"}
    after = {"name": "Acme Inc.", "tin": "98-7654321", "city": "LA", "dba": "Acme"}

    changes = diff(before, after, redact={"tin"})

    assert changes == {
        "name": ["Acme", "Acme Inc."],
        "tin": [REDACTED, REDACTED],
        "dba": [None, "Acme"],
    }
    assert "12-3456789" not in str(changes) and "98-7654321" not in str(changes)
