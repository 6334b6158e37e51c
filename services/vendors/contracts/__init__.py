"""The vendors service's public wire models: what its routes return and what other services parse.

Pure pydantic, no ORM; one module per domain, all re-exported here so that consumers import
`services.vendors.contracts` only.
"""

from services.vendors.contracts.registry import *  # noqa: F403
