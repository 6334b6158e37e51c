"""What every OCDS package says about itself: the OCDS version, the extensions it uses, its publisher."""

from __future__ import annotations

from services.vendors.contracts import OcdsPublisher
from services.vendors.settings import VendorsSettings

VERSION = "1.1"
# The extensions the releases use, by the URL of their extension.json (as the extension registry lists
# them): bid statistics and details, and parties' classifications (the certifications).
BIDS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json"
)
ORGANIZATION_CLASSIFICATION_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/"
    "ocds_organizationClassification_extension/master/extension.json"
)
EXTENSIONS = [BIDS_EXTENSION, ORGANIZATION_CLASSIFICATION_EXTENSION]


def publisher(settings: VendorsSettings) -> OcdsPublisher:
    return OcdsPublisher(name=settings.ocds_publisher_name, uri=settings.ocds_publisher_uri)
