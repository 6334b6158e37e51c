"""Who may do what in the real-estate registry: the scopes and the route dependencies that require them.

The public inventory (non-sensitive assets, public fields only) and the parcels, which are public record
at the County Assessor, are readable without a token (`Viewer`: a token is optional there, and one that is sent must be valid); everything else needs
`real_estate:read`, and every change `real_estate:write`.
"""

from __future__ import annotations

from typing import Annotated

from services.common.auth import Principal, optional_token, requires

READ = "real_estate:read"
WRITE = "real_estate:write"

# Route parameters: `actor: Writer` admits a token holding the scope, else 401/403.
Reader = Annotated[Principal, requires(READ)]
Writer = Annotated[Principal, requires(WRITE)]
# Public reads: anyone; a token, when sent, must be valid (401 otherwise).
Viewer = Annotated[Principal | None, optional_token(READ, WRITE)]
