"""The typed client other services use to read the real-estate registry (safety's establishments point at
assets): the contract models in, the kernel's HTTP policy (timeouts, retries of idempotent calls, a
circuit breaker, the request id passed on) underneath.

Make one per process with `AssetsClient.create(base_url, token)`, or hand it an `httpx.AsyncClient`
made by `services.common.http.create_client`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

from services.assets.contracts import Asset
from services.common.http import create_client

PREFIX = "/v1/real-estate"


class AssetNotFound(LookupError):
    """The registry has no asset with that id."""


class AssetsUnavailable(RuntimeError):
    """The registry did not answer, or answered with an error that is not about the asset."""


class AssetsClient:
    def __init__(self, http: httpx.AsyncClient, token: str | Callable[[], str]) -> None:
        self.http = http
        self._token = token

    @classmethod
    def create(cls, base_url: str, token: str | Callable[[], str]) -> AssetsClient:
        return cls(create_client(base_url), token)

    async def get_asset(self, asset_id: uuid.UUID) -> Asset:
        """The asset as the registry holds it (needs a token with `real_estate:read`)."""
        try:
            response = await self.http.get(f"{PREFIX}/assets/{asset_id}", headers=self._authorization())
        except httpx.HTTPError as exc:
            raise AssetsUnavailable(f"the real-estate registry did not answer: {exc}") from exc
        if response.status_code == 404:
            raise AssetNotFound(f"no asset has id {asset_id}")
        if response.status_code != 200:
            raise AssetsUnavailable(
                f"the real-estate registry answered {response.status_code}: {response.text[:200]}"
            )
        return Asset.model_validate_json(response.content)

    async def aclose(self) -> None:
        await self.http.aclose()

    def _authorization(self) -> dict[str, str]:
        token = self._token() if callable(self._token) else self._token
        return {"Authorization": f"Bearer {token}"}
