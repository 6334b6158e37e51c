"""Who may do what in procurement: the scopes, the route dependencies that require them, and checks for
reads open to everyone.

Public procurement data is readable without a token (the kernel's `Viewer`); a token, when sent,
still decides what more its holder sees (drafts, askers' names).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.common.auth import Principal, requires
from services.common.problems import Forbidden
from services.vendors.settings import VendorsSettings

READ = "procurement:read"
WRITE = "procurement:write"
EVALUATE = "procurement:evaluate"
BID = "procurement:bid"

# Route parameters: `actor: Writer` admits a token holding the scope, else 401/403.
Reader = Annotated[Principal, requires(READ)]
Writer = Annotated[Principal, requires(WRITE)]
Evaluator = Annotated[Principal, requires(EVALUATE)]
Bidder = Annotated[Principal, requires(BID)]


def can(principal: Principal | None, scope: str) -> bool:
    return principal is not None and scope in principal.scopes


def require_scope(principal: Principal, scope: str, action: str) -> None:
    if scope not in principal.scopes:
        raise Forbidden(f"{action} needs the scope {scope}.", required_scopes=[scope])


async def vendors_settings(request: Request) -> VendorsSettings:
    settings: VendorsSettings = request.app.state.settings
    return settings


Settings = Annotated[VendorsSettings, Depends(vendors_settings)]
