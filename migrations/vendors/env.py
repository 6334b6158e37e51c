from services.common.migrations import run_env
from services.vendors.settings import VendorsSettings
from services.vendors.tables import metadata

run_env(metadata, VendorsSettings().database_url or "")
