"""The assets service's settings, read from CITYOPS_ASSETS_* (and the platform's CITYOPS_*)."""

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class AssetsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_ASSETS_", extra="ignore", populate_by_name=True)

    service_name: str = "assets"
    port: int = 8002
