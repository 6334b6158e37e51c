"""The gateway's separate, larger body limit for bulk uploads (the procurement imports), and its settings."""

from __future__ import annotations

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from gateway.body_limit import BodySizeLimitMiddleware
from gateway.settings import GatewaySettings

SMALL, LARGE = 100, 1_000
UPLOADS = "/v1/procurement/imports"


async def counting_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body, as an upstream would, and says how long it was."""
    body = await Request(scope, receive).body()
    await JSONResponse({"length": len(body)})(scope, receive, send)


def client() -> httpx.AsyncClient:
    app = BodySizeLimitMiddleware(
        counting_app, max_bytes=SMALL, upload_max_bytes=LARGE, upload_paths=[UPLOADS]
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gateway.test")


def chunks(size: int, step: int = 64):
    async def stream():
        for start in range(0, size, step):
            yield b"x" * min(step, size - start)

    return stream()


async def test_uploads_to_the_upload_paths_get_the_larger_limit():
    async with client() as gateway:
        declared = await gateway.post(UPLOADS, content=b"x" * LARGE)
        assert declared.status_code == 200 and declared.json() == {"length": LARGE}
        streamed = await gateway.post(UPLOADS, content=chunks(LARGE))
        assert streamed.status_code == 200 and streamed.json() == {"length": LARGE}
        too_large = await gateway.post(UPLOADS, content=b"x" * (LARGE + 1))
        assert too_large.status_code == 413
        assert too_large.json()["max_bytes"] == LARGE


async def test_every_other_request_keeps_the_general_limit():
    async with client() as gateway:
        other_path = await gateway.post("/v1/procurement/payments", content=b"x" * (SMALL + 1))
        assert other_path.status_code == 413 and other_path.json()["max_bytes"] == SMALL
        other_method = await gateway.put(UPLOADS, content=b"x" * (SMALL + 1))
        assert other_method.status_code == 413
        nested = await gateway.post(UPLOADS + "/something", content=b"x" * (SMALL + 1))
        assert nested.status_code == 413
        assert (await gateway.post("/v1/procurement/payments", content=b"x" * SMALL)).status_code == 200


def test_the_upload_settings_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CITYOPS_GATEWAY_UPLOAD_MAX_BODY_BYTES", "5000")
    monkeypatch.setenv("CITYOPS_GATEWAY_UPLOAD_PATHS", "/v1/procurement/imports, /v1/real-estate/imports")
    settings = GatewaySettings(jwt_secret="x" * 32)
    assert settings.upload_max_body_bytes == 5000
    assert settings.upload_paths == ["/v1/procurement/imports", "/v1/real-estate/imports"]
    assert GatewaySettings.model_fields["upload_paths"].default_factory() == [UPLOADS]  # type: ignore[misc]
