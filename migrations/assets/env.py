from services.assets.settings import AssetsSettings
from services.assets.tables import metadata
from services.common.migrations import run_env

run_env(metadata, AssetsSettings().database_url or "")
