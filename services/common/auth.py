"""Bearer JWT validation and scope checks.

Development tokens are HS256 with CITYOPS_JWT_SECRET; production verifies RS/ES tokens against the
identity provider's JWKS (CITYOPS_JWT_JWKS_URL). Claims: `sub`, `scope` (space separated), `aud`,
`exp`, optional `dept` (a department user's department) and `vendor` (the vendor a supplier's user acts
for). Every service validates for itself; the gateway validates too.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

import jwt
import jwt.types
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.common.problems import Forbidden, Unauthorized
from services.common.settings import PlatformSettings

ALGORITHMS_HMAC = ["HS256"]
ALGORITHMS_JWKS = ["RS256", "ES256", "PS256"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject and scopes; a department user's `dept`; a supplier's `vendor`."""

    sub: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    dept: str | None = None
    vendor: str | None = None

    def has(self, *scopes: str) -> bool:
        return all(scope in self.scopes for scope in scopes)


class TokenVerifier:
    """Decodes and checks a bearer token; one per process, built from settings.

    A client sends the same token on every call until it expires, so each verified token is kept
    (bounded, least recently used out first) with its expiry, checked again on every hit: the signature
    is verified once per token, not once per request.

    With a JWKS, a token signed by a key not yet seen makes PyJWT fetch the provider's key set over
    blocking HTTP; that verification runs in a worker thread, so the event loop serves other requests
    meanwhile. The cache is only touched on the event loop's thread.
    """

    CACHE_SIZE = 4096
    JWKS_TIMEOUT_SECONDS = 5

    def __init__(self, settings: PlatformSettings) -> None:
        self.audience = settings.jwt_audience
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
        self._jwks = (
            jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True, timeout=self.JWKS_TIMEOUT_SECONDS)
            if settings.jwt_jwks_url
            else None
        )
        if self._secret is None and self._jwks is None:
            raise RuntimeError("Set CITYOPS_JWT_SECRET (development) or CITYOPS_JWT_JWKS_URL (production).")

    async def verify(self, token: str) -> Principal:
        remembered = self._remembered(token)
        if remembered is not None:
            return remembered
        if self._jwks is None:
            principal, expires_at = self._verify_signed(token)
        else:
            principal, expires_at = await asyncio.to_thread(self._verify_signed, token)
        self._verified[token] = (principal, expires_at)
        if len(self._verified) > self.CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    def _remembered(self, token: str) -> Principal | None:
        cached = self._verified.get(token)
        if cached is None:
            return None
        principal, expires_at = cached
        if time.time() >= expires_at:
            del self._verified[token]
            return None
        self._verified.move_to_end(token)
        return principal

    def _verify_signed(self, token: str) -> tuple[Principal, float]:
        try:
            claims = self._decode(token)
        except jwt.ExpiredSignatureError as exc:
            raise _invalid_token("The token has expired.") from exc
        except (jwt.PyJWTError, ValueError) as exc:
            raise _invalid_token("The token is not valid for this API.") from exc
        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise _invalid_token("The token's `scope` claim must be a space-separated string.")
        principal = Principal(
            sub=str(claims["sub"]),
            scopes=frozenset(scope.split()),
            dept=claims.get("dept"),
            vendor=claims.get("vendor"),
        )
        return principal, float(claims["exp"])

    def _decode(self, token: str) -> dict[str, Any]:
        options: jwt.types.Options = {"require": ["sub", "exp", "aud"]}
        if self._jwks is not None and jwt.get_unverified_header(token).get("alg") in ALGORITHMS_JWKS:
            key = self._jwks.get_signing_key_from_jwt(token).key
            return jwt.decode(token, key, algorithms=ALGORITHMS_JWKS, audience=self.audience, options=options)
        if self._secret is None:
            raise jwt.InvalidAlgorithmError("HS256 tokens are not accepted here")
        return jwt.decode(
            token, self._secret, algorithms=ALGORITHMS_HMAC, audience=self.audience, options=options
        )


def mint_token(
    secret: str,
    *,
    sub: str,
    scopes: str,
    dept: str | None = None,
    vendor: str | None = None,
    audience: str = "cityops",
    ttl_seconds: int = 8 * 3600,
) -> str:
    """A development token signed with the shared secret (what `cityops token` prints)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "scope": scopes,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if dept:
        claims["dept"] = dept
    if vendor:
        claims["vendor"] = vendor
    return jwt.encode(claims, secret, algorithm="HS256")


def _invalid_token(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


_bearer = HTTPBearer(
    auto_error=False, description="A JWT from the city identity provider (or `cityops token`)."
)


def _principal_dependency(scopes: tuple[str, ...]) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        if credentials is None:
            raise Unauthorized(
                "Send `Authorization: Bearer <token>`.",
                headers={"WWW-Authenticate": 'Bearer realm="cityops"'},
            )
        principal: Principal = await request.app.state.token_verifier.verify(credentials.credentials)
        missing = [scope for scope in scopes if scope not in principal.scopes]
        if missing:
            raise Forbidden(
                f"This operation needs the scope(s): {' '.join(missing)}.",
                headers={
                    "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(scopes)}"'
                },
                required_scopes=list(scopes),
            )
        return principal

    return dependency


async def _optional_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal | None:
    """None without a token; a token that is sent must still be valid (401 otherwise)."""
    if credentials is None:
        return None
    principal: Principal = await request.app.state.token_verifier.verify(credentials.credentials)
    return principal


# What every route behind a scope documents: 401 without a valid token, 403 without the scope.
AUTH_PROBLEMS = (Unauthorized, Forbidden)

# For open-government reads: anyone may call, and a token, when sent, decides what more its holder sees.
Viewer = Annotated[Principal | None, Depends(_optional_principal)]
# FastAPI documents a bearer scheme as required; an empty requirement beside it marks the token optional.
OPTIONAL_TOKEN: dict[str, Any] = {"security": [{}, {"HTTPBearer": []}]}


def requires(*scopes: str) -> Any:
    """`principal: Annotated[Principal, requires("procurement:read")]` in a route signature."""
    return Depends(_principal_dependency(scopes))
