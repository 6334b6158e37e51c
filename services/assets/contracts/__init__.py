"""The assets service's public wire models: what its routes return and what other services parse.

Pure pydantic, no ORM; one module per domain, all re-exported here so that consumers import
`services.assets.contracts` only.
"""

from services.assets.contracts.assets import *  # noqa: F403
from services.assets.contracts.features import *  # noqa: F403
from services.assets.contracts.geometry import *  # noqa: F403
from services.assets.contracts.leases import *  # noqa: F403
from services.assets.contracts.parcels import *  # noqa: F403
from services.assets.contracts.spaces import *  # noqa: F403
