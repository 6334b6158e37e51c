"""Links a service writes point where the client called, not at the service's address behind the gateway."""

from __future__ import annotations

from starlette.requests import Request

from services.common.forwarded import public_url


def request(path: str = "/v1/procurement/ocds/releases", query: bytes = b"", **headers: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "http",
            "server": ("10.0.0.7", 8001),
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
