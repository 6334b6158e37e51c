"""A service checks the bearer token before it reads a body, and refuses a body over its limit with a
413 problem, declared or streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator

from tests.problems import assert_problem

from .conftest import bearer, client_for
from .kernel_app import PREFIX

ITEMS = f"{PREFIX}/items"
JSON = {"Content-Type": "application/json"}


class CountedBody:
    """A streamed request body that counts how many of its chunks the service asked for."""

    def __init__(self, chunks: int, size: int = 1024) -> None:
        self.chunks, self.size, self.read = chunks, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.read += 1
            yield b"[" * self.size


async def test_without_a_token_a_body_is_refused_unread(kernel):
    body = CountedBody(chunks=50)

    response = await kernel.post(ITEMS, content=body, headers=JSON)

    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert body.read == 0


async def test_with_an_invalid_token_a_body_is_refused_unparsed(kernel):
    response = await kernel.post(
        ITEMS, content=b'{"tag": "x", ', headers={**JSON, "Authorization": "Bearer not.a.token"}
    )
    assert_problem(response, 401, "unauthorized")


async def test_without_a_token_an_invalid_body_is_401_not_422(kernel):
    response = await kernel.post(ITEMS, content=b'{"tag": "x", ', headers=JSON)
    assert_problem(response, 401, "unauthorized")


async def test_a_declared_body_over_the_limit_is_a_413_problem(make_kernel_app):
    app = await make_kernel_app(max_body_bytes=1000)
    async with client_for(app) as client:
        response = await client.post(
            ITEMS, json={"tag": "big", "name": "x" * 2000}, headers={**bearer(), "Idempotency-Key": "k-413"}
        )
    problem = assert_problem(response, 413, "payload-too-large")
    assert problem["max_bytes"] == 1000


async def test_a_streamed_body_over_the_limit_is_a_413_once_it_passes_it(make_kernel_app):
    app = await make_kernel_app(max_body_bytes=10_000)
    body = CountedBody(chunks=1000)
    async with client_for(app) as client:
        response = await client.post(ITEMS, content=body, headers={**JSON, **bearer()})
    assert_problem(response, 413, "payload-too-large")
    assert body.read <= 11  # stopped right past the limit, not read to the end


async def test_a_body_within_the_limit_is_served(make_kernel_app):
    app = await make_kernel_app(max_body_bytes=1000)
    async with client_for(app) as client:
        response = await client.post(ITEMS, json={"tag": "guard", "name": "fits"}, headers=bearer())
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "fits"
