"""`cityops serve <process>`: one service or the gateway under uvicorn, as a container runs it."""

from __future__ import annotations

import os

import uvicorn

from cli.services import GATEWAY, ProcessSpec

# 127.0.0.1 for a developer's machine; the image sets CITYOPS_HOST=0.0.0.0.
DEFAULT_HOST = "127.0.0.1"


def serve(spec: ProcessSpec, *, host: str | None = None, port: int | None = None) -> None:
    uvicorn.run(
        spec.app_factory,
        factory=True,
        host=host or os.environ.get("CITYOPS_HOST", DEFAULT_HOST),
        port=port or spec.port(),
        loop="uvloop",
        http="httptools",
        # The gateway takes client addresses and scheme from X-Forwarded-* of the proxies in
        # CITYOPS_FORWARDED_ALLOW_IPS. A service judges those headers itself, against the same list
        # (services.common.forwarded), so it must see its real peer, which uvicorn would replace.
        proxy_headers=spec.name == GATEWAY.name,
        forwarded_allow_ips=spec.settings().forwarded_allow_ips,
        # The app configures logging (JSON, with request ids) and logs each request itself.
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
