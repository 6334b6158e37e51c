"""Links a service writes point where the client called, not at the service's address behind the gateway,
and only a trusted proxy can say where that was."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from starlette.requests import Request

from services.common.forwarded import TrustedProxies, public_url
from services.common.settings import ServiceSettings
from services.common.unit_of_work import service_router

GATEWAY_PEER = "127.0.0.1"


def request(
    path: str = "/v1/procurement/ocds/releases",
    query: bytes = b"",
    peer: str = GATEWAY_PEER,
    trusted: TrustedProxies | None = None,
    **headers: str,
) -> Request:
    app = SimpleNamespace(state=SimpleNamespace(trusted_proxies=trusted or TrustedProxies()))
    return Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "http",
            "server": ("10.0.0.7", 8001),
            "client": (peer, 50123),
            "app": app,
            "path": path,
            "query_string": query,
            "headers": [(b"host", b"10.0.0.7:8001")]
            + [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()],
        }
    )


def test_behind_the_gateway_the_client_s_host_and_scheme_are_used():
    url = public_url(
        request(query=b"page_size=5", x_forwarded_host="api.lacity.example", x_forwarded_proto="https")
    )
    assert str(url) == "https://api.lacity.example/v1/procurement/ocds/releases?page_size=5"


def test_called_directly_the_service_keeps_its_own_address():
    assert str(public_url(request())) == "http://10.0.0.7:8001/v1/procurement/ocds/releases"


def test_the_first_of_appended_values_is_the_client_s():
    url = public_url(
        request(x_forwarded_host="api.lacity.example, 10.0.0.2:8000", x_forwarded_proto="https, http")
    )
    assert (url.scheme, url.netloc) == ("https", "api.lacity.example")


def test_a_scheme_other_than_http_or_https_is_ignored():
    assert public_url(request(x_forwarded_proto="javascript")).scheme == "http"


def test_forwarded_headers_from_a_peer_that_is_no_trusted_proxy_are_ignored():
    url = public_url(request(peer="203.0.113.9", x_forwarded_host="evil.example", x_forwarded_proto="https"))
    assert str(url) == "http://10.0.0.7:8001/v1/procurement/ocds/releases"


def test_configured_proxies_are_trusted_by_address_or_network():
    trusted = TrustedProxies(["10.0.0.0/24", "192.0.2.10"])
    for peer in ("10.0.0.2", "192.0.2.10"):
        assert public_url(
            request(peer=peer, trusted=trusted, x_forwarded_host="api.lacity.example")
        ).netloc == ("api.lacity.example")
    assert (
        public_url(request(trusted=trusted, x_forwarded_host="api.lacity.example")).netloc == "10.0.0.7:8001"
    )


def test_the_trusted_proxies_come_from_one_platform_setting(monkeypatch: pytest.MonkeyPatch):
    assert ServiceSettings().forwarded_allow_ips == ["127.0.0.1", "::1"]
    monkeypatch.setenv("CITYOPS_FORWARDED_ALLOW_IPS", "10.1.0.0/16, 10.2.0.5")
    assert ServiceSettings().forwarded_allow_ips == ["10.1.0.0/16", "10.2.0.5"]


async def test_a_service_ignores_forwarded_headers_from_an_untrusted_peer(make_kernel_app):
    """Through the whole app: the OCDS-style link a route writes follows the trust setting."""
    router = service_router()

    @router.get("/where")
    async def where_get(incoming: Request) -> dict[str, str]:
        return {"url": str(public_url(incoming))}

    app = await make_kernel_app(router, forwarded_allow_ips="10.9.9.9")
    transport = httpx.ASGITransport(app, client=("203.0.113.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://kernel.test") as client:
        response = await client.get("/v1/kernel/where", headers={"X-Forwarded-Host": "evil.example"})
    assert response.json() == {"url": "http://kernel.test/v1/kernel/where"}
