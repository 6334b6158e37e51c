"""Bearer JWT validation and scope checks.

Development tokens are HS256 with CITYOPS_JWT_SECRET; production verifies RS/ES tokens against the
identity provider's JWKS (CITYOPS_JWT_JWKS_URL). Claims: `sub`, `scope` (space separated), `aud`,
`exp`, optional `dept` (a department user's department) and `vendor` (the vendor a supplier's user acts
for). Every service validates for itself; the gateway validates too.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

import jwt
import jwt.types
from fastapi import Depends, Request
from starlette.requests import HTTPConnection

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
        except (jwt.PyJWTError, ValueError, TypeError, OverflowError) as exc:
            # Signed or not, a token may hold values PyJWT trips over (an `exp` of 1e999, a list for `alg`).
            raise _invalid_token("The token is not valid for this API.") from exc
        return _principal_from(claims), _expiry_of(claims)

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


def _principal_from(claims: dict[str, Any]) -> Principal:
    """The caller the claims name. A signed token may still carry a claim of the wrong type (a list for
    `vendor`, an object for `dept`): that token is refused here, not crashed on later by the code that
    trusts `Principal`'s types."""
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise _invalid_token("The token's `scope` claim must be a space-separated string.")
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub:
        raise _invalid_token("The token's `sub` claim must be a non-empty string.")
    return Principal(
        sub=sub,
        scopes=frozenset(scope.split()),
        dept=_optional_text_claim(claims, "dept"),
        vendor=_optional_text_claim(claims, "vendor"),
    )


def _optional_text_claim(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is not None and not isinstance(value, str):
        raise _invalid_token(f"The token's `{name}` claim must be a string.")
    return value


def _expiry_of(claims: dict[str, Any]) -> float:
    """`exp` as seconds. PyJWT has checked it is in the future, but accepts a numeric string or a
    boolean for it; only a JSON number is one here."""
    exp = claims["exp"]
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise _invalid_token("The token's `exp` claim must be a number.")
    try:
        return float(exp)
    except OverflowError:
        raise _invalid_token("The token's `exp` claim is out of range.") from None


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


# Every scope of the platform, with what it allows: the OAuth2 scheme of every service's document lists
# them all, so that the gateway's merged document holds one scheme. A service's `access.py` names those
# it uses; a route requiring a scope missing here stops the app from building its document.
PLATFORM_SCOPES: dict[str, str] = {
    "procurement:read": "Read procurement records that are not public (drafts, vendors, payments, reports).",
    "procurement:write": "Register vendors, draft solicitations and contracts, record payments, import files.",
    "procurement:evaluate": "Open, evaluate and award solicitations; decide protests.",
    "procurement:bid": "A supplier's user (with a `vendor` claim): bid, ask questions, protest an award.",
    "procurement:tax_reveal": "Reveal and set full taxpayer identification numbers.",
    "real_estate:read": "Read the City's real estate records that are not public.",
    "real_estate:write": "Change the City's real estate records.",
    "safety:read": "Read workplace safety records (a `dept` claim limits them to a department).",
    "safety:write": "Record workplace safety incidents, cases and claims.",
    "safety:confidential": "Read the names in OSHA privacy cases.",
    "portfolio:read": "Read the reform portfolio that is not published.",
    "portfolio:write": "Change the reform portfolio.",
    "audit:read": "Read the audit trail of a service.",
    "sandbox:clock": "Move the sandbox clock forward (outside production).",
}


def _bearer_token(request: HTTPConnection) -> str | None:
    """The token of `Authorization: Bearer <token>`, or None when the header is missing or of another
    scheme (what FastAPI's `HTTPBearer(auto_error=False)` gave). Read here rather than through
    `HTTPBearer`, which would put its own unscoped scheme in the document: the kernel documents the
    OAuth2 scheme with each operation's scopes itself (`services.common.openapi`)."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


# The dependencies behind `requires(...)` and `requires_one_of(...)`: a route using one needs a token,
# which the kernel checks before it reads the route's body (`services.common.route_guard`).
_TOKEN_REQUIRED: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


@dataclass(frozen=True)
class TokenRule:
    """What an auth dependency asks of a request, as the OpenAPI document states it.

    `scopes`: all of them are needed. `one_of`: the token needs one of them, the service deciding which
    from the record (a bid is read by staff with `procurement:read`, or by its own supplier with
    `procurement:bid`). `optional`: anonymous callers are served; a token, when sent, must be valid."""

    scopes: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    optional: bool = False

    def security(self, scheme: str) -> list[dict[str, list[str]]]:
        """The operation's `security` requirements, alternatives in order."""
        alternatives = [[scope] for scope in self.one_of] or [list(self.scopes)]
        required = [{scheme: scopes} for scopes in alternatives]
        return [{}, *required] if self.optional else required


_TOKEN_RULES: weakref.WeakKeyDictionary[Callable[..., Any], TokenRule] = weakref.WeakKeyDictionary()


def token_rule(call: Callable[..., Any] | None) -> TokenRule | None:
    """The rule of an auth dependency (`requires`, `requires_one_of`, `optional_token`), else None."""
    return None if call is None else _TOKEN_RULES.get(call)


def needs_token(call: Callable[..., Any] | None) -> bool:
    """Whether `call` is the dependency of a `requires(...)`: its route refuses requests without a token."""
    return call is not None and call in _TOKEN_REQUIRED


async def verify_bearer(request: HTTPConnection) -> Principal:
    """The caller of a request whose route needs a token: 401 without a valid one."""
    token = _bearer_token(request)
    if token is None:
        raise _missing_token()
    principal: Principal = await request.app.state.token_verifier.verify(token)
    return principal


def _missing_token() -> Unauthorized:
    return Unauthorized(
        "Send `Authorization: Bearer <token>`.", headers={"WWW-Authenticate": 'Bearer realm="cityops"'}
    )


def _principal_dependency(
    scopes: tuple[str, ...], rule: TokenRule
) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def dependency(request: Request) -> Principal:
        token = _bearer_token(request)
        if token is None:
            raise _missing_token()
        principal: Principal = await request.app.state.token_verifier.verify(token)
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

    _TOKEN_REQUIRED.add(dependency)
    _TOKEN_RULES[dependency] = rule
    return dependency


def _optional_principal_dependency(rule: TokenRule) -> Callable[..., Coroutine[Any, Any, Principal | None]]:
    async def optional_principal(request: Request) -> Principal | None:
        """None without a token; a token that is sent must still be valid (401 otherwise)."""
        token = _bearer_token(request)
        if token is None:
            return None
        principal: Principal = await request.app.state.token_verifier.verify(token)
        return principal

    _TOKEN_RULES[optional_principal] = rule
    return optional_principal


# What every route behind a scope documents: 401 without a valid token, 403 without the scope.
AUTH_PROBLEMS = (Unauthorized, Forbidden)


def requires(*scopes: str) -> Any:
    """`principal: Annotated[Principal, requires("procurement:read")]` in a route signature: a token
    holding every one of `scopes` (401 without a valid token, 403 without a scope)."""
    return Depends(_principal_dependency(scopes, TokenRule(scopes=scopes)))


def requires_one_of(*scopes: str) -> Any:
    """A valid token (401 otherwise) that must hold one of `scopes`; which one depends on the record, so
    the service checks it (403) once it has read the record. The document lists each as an alternative."""
    return Depends(_principal_dependency((), TokenRule(one_of=scopes)))


def optional_token(*scopes: str) -> Any:
    """For open-government reads: anyone may call; a token, when sent, must be valid (401 otherwise) and
    its `scopes` decide what more its holder sees (drafts, askers' names). Documented as anonymous or
    one of `scopes`, so that generated clients send a token only when they have one."""
    return Depends(_optional_principal_dependency(TokenRule(one_of=scopes, optional=True)))


# An optional token that reveals nothing more by its scopes: it is only checked when sent.
Viewer = Annotated[Principal | None, optional_token()]
