"""Who may do what in procurement: the scopes, the route dependencies that require them, and checks for
reads open to everyone.

Public procurement data is readable without a token (the kernel's `Viewer`); a token, when sent,
still decides what more its holder sees (drafts, askers' names).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.common.auth import Principal, optional_token, requires, requires_one_of
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
# A token holding one of the scopes, the service deciding from the record which one it asks for (403).
OpenedBidReader = Annotated[Principal, requires_one_of(READ, BID)]  # staff, or the bid's own supplier
EvaluationReader = Annotated[Principal, requires_one_of(READ, EVALUATE)]
ProtestReader = Annotated[Principal, requires_one_of(READ, EVALUATE, BID)]  # staff, or the protester
ProtestMover = Annotated[Principal, requires_one_of(EVALUATE, BID)]  # evaluators decide; protesters withdraw
SolicitationMover = Annotated[Principal, requires_one_of(WRITE, EVALUATE)]  # by the status moved to
# Public reads: anyone; a token holding one of these sees more (drafts, askers' names).
Viewer = Annotated[Principal | None, optional_token(READ, WRITE)]


def can(principal: Principal | None, scope: str) -> bool:
    return principal is not None and scope in principal.scopes


def require_scope(principal: Principal, scope: str, action: str) -> None:
    if scope not in principal.scopes:
        raise Forbidden(f"{action} needs the scope {scope}.", required_scopes=[scope])


async def vendors_settings(request: Request) -> VendorsSettings:
    settings: VendorsSettings = request.app.state.settings
    return settings


Settings = Annotated[VendorsSettings, Depends(vendors_settings)]
