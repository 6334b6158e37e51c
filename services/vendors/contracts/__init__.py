"""The vendors service's public wire models: what its routes return and what other services parse.

Pure pydantic, no ORM; one module per domain, all re-exported here so that consumers import
`services.vendors.contracts` only.
"""

from services.vendors.contracts.agreements import *  # noqa: F403
from services.vendors.contracts.awards import *  # noqa: F403
from services.vendors.contracts.bids import *  # noqa: F403
from services.vendors.contracts.certifications import *  # noqa: F403
from services.vendors.contracts.dates import *  # noqa: F403
from services.vendors.contracts.duplicates import *  # noqa: F403
from services.vendors.contracts.evaluation import *  # noqa: F403
from services.vendors.contracts.imports import *  # noqa: F403
from services.vendors.contracts.ocds import *  # noqa: F403
from services.vendors.contracts.payments import *  # noqa: F403
from services.vendors.contracts.registry import *  # noqa: F403
from services.vendors.contracts.reports import *  # noqa: F403
from services.vendors.contracts.solicitations import *  # noqa: F403
from services.vendors.contracts.tax import *  # noqa: F403
