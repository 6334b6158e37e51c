from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class VendorsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_VENDORS_", extra="ignore", populate_by_name=True)

    service_name: str = "vendors"
    port: int = 8001
