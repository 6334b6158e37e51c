"""Real servers for the gateway tests: the vendors and assets services, test upstreams and gateways, each a uvicorn
server on its own port and thread, so every test goes over real HTTP.

The vendors service gets a database of its own here: requests through the gateway commit, and must not
leave rows behind in the database other tests roll back in.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from gateway.app import create_app as create_gateway_app
from gateway.settings import GatewaySettings
from gateway.upstreams import Upstream
from services.assets.app import create_app as create_assets_app
from services.assets.settings import AssetsSettings
from services.common.auth import mint_token
from services.vendors.app import create_app as create_vendors_app
from services.vendors.settings import VendorsSettings
from tests.conftest import migrated_database

from .gateway_testkit import EchoUpstream, slow_upstream

# The gateway tests sign their own tokens: `token` below overrides the suite's fixture of that name.
JWT_SECRET = "gateway-test-secret-" + "y" * 20
ALL_SCOPES = "procurement:read procurement:write audit:read"
ALLOWED_ORIGIN = "https://permits.example.city"
MAX_BODY_BYTES = 1024 * 1024
DEADLINE_SECONDS = 1.5
SLOW_UPSTREAM_DELAY = 5.0


class Server:
    """A uvicorn server for `app` on a free loopback port, in a thread, until `stop()`."""

    def __init__(self, app: Any) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        # proxy_headers off: like a gateway at the edge, the servers take no client's word for who
        # the client is (uvicorn trusts X-Forwarded-For from 127.0.0.1 by default).
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
            proxy_headers=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def start(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture(scope="session")
def serve() -> Iterator[Callable[[Any], Server]]:
    """`serve(app)` → a started Server; all are stopped at the end of the session."""
    servers: list[Server] = []

    def start(app: Any) -> Server:
        servers.append(Server(app).start())
        return servers[-1]

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture(scope="session")
def gateway_database_url(server_url: str) -> Iterator[str]:
    with migrated_database(server_url, "gateway_test") as url:
        yield url


@pytest.fixture(scope="session")
def vendors_snapshot(tmp_path_factory: pytest.TempPathFactory, gateway_database_url: str) -> Path:
    """The vendors document as `make openapi` would commit it, generated from the app itself."""
    settings = VendorsSettings(database_url=gateway_database_url, jwt_secret=JWT_SECRET, log_json=False)
    path = tmp_path_factory.mktemp("snapshots") / "vendors-openapi.json"
    path.write_text(json.dumps(create_vendors_app(settings).openapi()))
    return path


@pytest.fixture(scope="session")
def vendors_server(serve: Callable[[Any], Server], gateway_database_url: str) -> Server:
    settings = VendorsSettings(database_url=gateway_database_url, jwt_secret=JWT_SECRET, log_json=False)
    return serve(create_vendors_app(settings))


@pytest.fixture(scope="session")
def assets_server(serve: Callable[[Any], Server], gateway_database_url: str) -> Server:
    settings = AssetsSettings(database_url=gateway_database_url, jwt_secret=JWT_SECRET, log_json=False)
    return serve(create_assets_app(settings))


@pytest.fixture(scope="session")
def echo() -> EchoUpstream:
    return EchoUpstream()


@pytest.fixture(scope="session")
def echo_server(serve: Callable[[Any], Server], echo: EchoUpstream) -> Server:
    return serve(echo.app)


@pytest.fixture(scope="session")
def slow_server(serve: Callable[[Any], Server]) -> Server:
    return serve(slow_upstream(SLOW_UPSTREAM_DELAY))


@pytest.fixture(scope="session")
def dead_url() -> str:
    """An address where nothing listens: a port taken from the system and released again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def _upstream(name: str, prefix: str, url: str, snapshot: Path | None = None) -> Upstream:
    return Upstream(name, prefix, url, snapshot or Path(f"/nonexistent/{name}-openapi.json"))


def _settings(**overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "jwt_secret": JWT_SECRET,
        "log_json": False,
        "log_level": "WARNING",
        "max_body_bytes": MAX_BODY_BYTES,
        "rate_limit": "100000/minute",
        "upstream_connect_timeout": 0.5,
        "upstream_read_timeout": DEADLINE_SECONDS,
        "upstream_deadline": DEADLINE_SECONDS,
        "readiness_timeout": 1.0,
        "breaker_reset_seconds": 30,
    }
    values.update(overrides)
    return GatewaySettings(**values)


@pytest.fixture(scope="session")
def gateway_url(
    serve: Callable[[Any], Server],
    vendors_server: Server,
    vendors_snapshot: Path,
    echo_server: Server,
    slow_server: Server,
    dead_url: str,
) -> str:
    """The gateway in front of vendors, the echo upstream, a slow one and a dead one."""
    upstreams = [
        _upstream("vendors", "/v1/procurement", vendors_server.url, vendors_snapshot),
        _upstream("echo", EchoUpstream.prefix, echo_server.url),
        _upstream("slow", "/v1/slow", slow_server.url),
        _upstream("dead", "/v1/dead", dead_url),
    ]
    app = create_gateway_app(_settings(cors_origins=[ALLOWED_ORIGIN]), upstreams)
    return serve(app).url


@pytest.fixture(scope="session")
def strict_gateway_url(serve: Callable[[Any], Server], vendors_server: Server, vendors_snapshot: Path) -> str:
    """A gateway in front of vendors only, allowing 3 requests a minute per client."""
    upstreams = [_upstream("vendors", "/v1/procurement", vendors_server.url, vendors_snapshot)]
    return serve(create_gateway_app(_settings(rate_limit="3/minute"), upstreams)).url


@pytest.fixture
def token() -> Callable[..., str]:
    """`token("procurement:read", sub=...)` → a bearer token the gateways and vendors service accept."""

    def make(scopes: str = ALL_SCOPES, sub: str = "gateway-tester", ttl: int = 600) -> str:
        return mint_token(JWT_SECRET, sub=sub, scopes=scopes, ttl_seconds=ttl)

    return make


@pytest.fixture
def auth(token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    def make(scopes: str = ALL_SCOPES, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(scopes, **kwargs)}"}

    return make


@pytest.fixture
async def gateway(gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=20) as client:
        yield client
