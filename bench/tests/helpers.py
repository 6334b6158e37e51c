from __future__ import annotations

from typing import Any

import httpx

VENDORS = "/v1/procurement/vendors"


async def every_page(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, Any] | None = None
) -> list[list[dict[str, Any]]]:
    """The items of each page of the vendor list, following `next_page_token` to the end."""
    pages: list[list[dict[str, Any]]] = []
    token: str | None = None
    while True:
        query = {**(params or {}), **({"page_token": token} if token else {})}
        response = await client.get(VENDORS, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        token = body["next_page_token"]
        if token is None:
            return pages
