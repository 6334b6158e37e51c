"""Bearer JWTs: 401 for a missing or bad token, 403 for a missing scope, both problem+json with
WWW-Authenticate; shared-secret tokens in development, JWKS-verified RSA tokens in production."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.problems import assert_problem

from .conftest import SECRET, bearer, client_for
from .kernel_app import PREFIX
from .local_server import serve

WHOAMI = f"{PREFIX}/whoami"


def claims(**overrides) -> dict:
    now = int(time.time())
    return {"sub": "svc", "scope": "kernel:read", "aud": "cityops", "iat": now, "exp": now + 60} | overrides


def header_for(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_valid_token_identifies_the_caller(kernel):
    response = await kernel.get(WHOAMI, headers=bearer("kernel:read audit:read", sub="ops", dept="GSD"))
    assert response.status_code == 200
    assert response.json() == {"sub": "ops", "scopes": ["audit:read", "kernel:read"], "dept": "GSD"}


async def test_missing_token_is_401_with_a_bearer_challenge(kernel):
    response = await kernel.get(WHOAMI)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


# Each token is made when its test runs, not when the tests are collected: minted at collection, a
# token with a minute to live has expired by the time a long suite reaches it.
@pytest.mark.parametrize(
    ("make_token", "detail"),
    [
        (lambda: jwt.encode(claims(), "another-secret-" + "x" * 20, algorithm="HS256"), "not valid"),
        (lambda: jwt.encode(claims(exp=int(time.time()) - 5), SECRET, algorithm="HS256"), "expired"),
        (lambda: jwt.encode(claims(aud="another-platform"), SECRET, algorithm="HS256"), "not valid"),
        (
            lambda: jwt.encode({k: v for k, v in claims().items() if k != "exp"}, SECRET, algorithm="HS256"),
            "not valid",
        ),
        (lambda: jwt.encode(claims(scope=["kernel:read"]), SECRET, algorithm="HS256"), "space-separated"),
        (lambda: jwt.encode(claims(), key="", algorithm="none"), "not valid"),
        (lambda: "not.a.jwt", "not valid"),
    ],
    ids=[
        "bad-signature",
        "expired",
        "wrong-audience",
        "no-expiry",
        "scope-not-a-string",
        "alg-none",
        "garbage",
    ],
)
async def test_invalid_tokens_are_401_with_invalid_token_challenge(kernel, make_token, detail):
    response = await kernel.get(WHOAMI, headers=header_for(make_token()))
    body = assert_problem(response, 401, "unauthorized")
    assert detail in body["detail"]
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_missing_scope_is_403_naming_it(kernel):
    response = await kernel.get(WHOAMI, headers=bearer("audit:read"))
    body = assert_problem(response, 403, "forbidden")
    assert body["required_scopes"] == ["kernel:read"]
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert 'scope="kernel:read"' in response.headers["www-authenticate"]


class IdentityProvider:
    """An RSA key pair and a JWKS document naming its public half."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict:
        document = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {**document, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def token(self, **overrides) -> str:
        return jwt.encode(claims(**overrides), self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[tuple[IdentityProvider, str]]:
    """The city identity provider: its JWKS served over real HTTP from a local server."""
    provider = IdentityProvider("city-key-1")

    async def jwks(_):
        return JSONResponse({"keys": [provider.jwk()]})

    with serve(Starlette(routes=[Route("/.well-known/jwks.json", jwks)])) as base_url:
        yield provider, f"{base_url}/.well-known/jwks.json"


async def test_jwks_verified_rsa_token_is_accepted(make_kernel_app, identity_provider):
    provider, jwks_url = identity_provider
    app = await make_kernel_app(jwt_secret=None, jwt_jwks_url=jwks_url)

    async with client_for(app) as client:
        response = await client.get(WHOAMI, headers=header_for(provider.token(sub="payroll-system")))
    assert response.status_code == 200, response.text
    assert response.json()["sub"] == "payroll-system"


async def test_jwks_rejects_foreign_expired_and_shared_secret_tokens(make_kernel_app, identity_provider):
    provider, jwks_url = identity_provider
    impostor = IdentityProvider(provider.kid)  # same key id, another key: the signature must fail
    app = await make_kernel_app(jwt_secret=None, jwt_jwks_url=jwks_url)

    async with client_for(app) as client:
        for token in (
            impostor.token(),
            provider.token(exp=int(time.time()) - 5),
            provider.token(aud="elsewhere"),
            IdentityProvider("unknown-kid").token(),
            # With only a JWKS configured, development tokens signed with a shared secret are refused.
            jwt.encode(claims(), SECRET, algorithm="HS256"),
        ):
            response = await client.get(WHOAMI, headers=header_for(token))
            assert_problem(response, 401, "unauthorized")


async def test_jwks_and_shared_secret_together_accept_both(make_kernel_app, identity_provider):
    provider, jwks_url = identity_provider
    app = await make_kernel_app(jwt_jwks_url=jwks_url)

    async with client_for(app) as client:
        assert (await client.get(WHOAMI, headers=header_for(provider.token()))).status_code == 200
        assert (await client.get(WHOAMI, headers=bearer("kernel:read"))).status_code == 200


async def test_while_a_key_set_is_fetched_other_requests_are_served(make_kernel_app):
    """A token from a key not seen yet makes the service fetch the JWKS; the event loop is not held."""
    provider = IdentityProvider("rotated-key")
    served = threading.Event()

    async def slow_jwks(_):
        await asyncio.sleep(1.0)
        served.set()
        return JSONResponse({"keys": [provider.jwk()]})

    with serve(Starlette(routes=[Route("/jwks.json", slow_jwks)])) as base_url:
        app = await make_kernel_app(jwt_jwks_url=f"{base_url}/jwks.json")
        async with client_for(app) as client:
            fetching = asyncio.create_task(client.get(WHOAMI, headers=header_for(provider.token())))
            await asyncio.sleep(0.2)  # the first request now waits for the key set
            meanwhile = await client.get(WHOAMI, headers=bearer("kernel:read"))
            assert meanwhile.status_code == 200
            assert not served.is_set()
            assert (await fetching).status_code == 200


async def test_a_service_without_any_key_refuses_to_start(make_kernel_app):
    with pytest.raises(RuntimeError, match="CITYOPS_JWT_SECRET"):
        await make_kernel_app(jwt_secret=None, jwt_jwks_url=None)


async def test_a_remembered_token_still_expires():
    """Verified tokens are cached per process; the cache must not outlive the token's `exp`."""
    from services.common.auth import TokenVerifier, mint_token
    from services.common.problems import Unauthorized
    from services.common.settings import PlatformSettings

    verifier = TokenVerifier(PlatformSettings(jwt_secret=SECRET))
    token = mint_token(SECRET, sub="clerk", scopes="procurement:read", ttl_seconds=2)
    assert (await verifier.verify(token)).sub == "clerk"
    assert (await verifier.verify(token)).sub == "clerk"  # served from the cache

    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    await asyncio.sleep(max(0.0, expires_at - time.time()) + 0.05)
    with pytest.raises(Unauthorized):
        await verifier.verify(token)


def signed_raw(payload: str, header: str = '{"alg":"HS256","typ":"JWT"}', secret: str = SECRET) -> str:
    """A token signed over the JSON exactly as written, for values `jwt.encode` would refuse to make."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{part(header.encode())}.{part(payload.encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{part(signature)}"


# Validly signed tokens whose claims have the wrong type: each is a 401, never a 500.
@pytest.mark.parametrize(
    "make_token",
    [
        lambda: jwt.encode(claims(vendor=["VND-1"]), SECRET, algorithm="HS256"),
        lambda: jwt.encode(claims(vendor={"id": 1}), SECRET, algorithm="HS256"),
        lambda: jwt.encode(claims(dept=42), SECRET, algorithm="HS256"),
        lambda: jwt.encode(claims(dept=["GSD"]), SECRET, algorithm="HS256"),
        lambda: jwt.encode(claims(sub=""), SECRET, algorithm="HS256"),
        lambda: jwt.encode(claims(exp=str(int(time.time()) + 60)), SECRET, algorithm="HS256"),
        lambda: signed_raw(
            f'{{"sub":"svc","scope":"kernel:read","aud":"cityops","exp":{int(time.time()) + 60},'
            '"sub":{"nested":true}}'
        ),
        lambda: signed_raw('{"sub":"svc","scope":"kernel:read","aud":"cityops","exp":1e999}'),
        lambda: signed_raw('{"sub":"svc","scope":"kernel:read","aud":"cityops","exp":' + "9" * 400 + "}"),
        lambda: signed_raw(
            f'{{"sub":"svc","aud":"cityops","exp":{int(time.time()) + 60}}}', header='{"alg":["HS256"]}'
        ),
    ],
    ids=[
        "vendor-list",
        "vendor-object",
        "dept-number",
        "dept-list",
        "sub-empty",
        "exp-string",
        "sub-object",
        "exp-infinite",
        "exp-huge",
        "alg-list",
    ],
)
async def test_claims_of_the_wrong_type_are_401_not_500(kernel, make_token):
    response = await kernel.get(WHOAMI, headers=header_for(make_token()))
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
