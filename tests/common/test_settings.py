"""Settings: per-service variables over platform ones, platform ones read whatever the service's prefix."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import SettingsConfigDict

from services.common.settings import DEVELOPMENT_SIGNING_KEY, PlatformSettings, ServiceSettings


class ParksSettings(ServiceSettings):
    """A service as each one declares itself."""

    model_config = SettingsConfigDict(env_prefix="CITYOPS_PARKS_", extra="ignore", populate_by_name=True)

    service_name: str = "parks"
    port: int = 8009


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("CITYOPS_") or name in {
            "DATA_DIR",
            "LOG_LEVEL",
            "JWT_SECRET",
            "DATABASE_URL",
            "PORT",
        }:
            monkeypatch.delenv(name)


def test_defaults_need_no_environment():
    settings = ParksSettings()
    assert settings.port == 8009
    assert settings.database_url is None
    assert settings.data_dir == Path(".cityops")
    assert settings.jwt_audience == "cityops"
    assert settings.idempotency_ttl_hours == 24
    assert settings.log_json is True


def test_service_database_url_wins_over_the_shared_one(monkeypatch):
    monkeypatch.setenv("CITYOPS_DATABASE_URL", "postgresql://shared/cityops")
    monkeypatch.setenv("CITYOPS_PARKS_DATABASE_URL", "postgresql://own/parks")
    assert ParksSettings().require_database_url() == "postgresql://own/parks"


def test_shared_database_url_is_the_fallback(monkeypatch):
    monkeypatch.setenv("CITYOPS_DATABASE_URL", "postgresql://shared/cityops")
    assert ParksSettings().require_database_url() == "postgresql://shared/cityops"


def test_another_service_variables_do_not_leak_in(monkeypatch):
    monkeypatch.setenv("CITYOPS_VENDORS_DATABASE_URL", "postgresql://vendors/db")
    monkeypatch.setenv("CITYOPS_VENDORS_PORT", "9999")
    settings = ParksSettings()
    assert settings.database_url is None
    assert settings.port == 8009


def test_missing_database_says_how_to_configure_one():
    with pytest.raises(RuntimeError, match="CITYOPS_PARKS_DATABASE_URL or CITYOPS_DATABASE_URL"):
        ParksSettings().require_database_url()


def test_service_values_come_from_the_service_prefix(monkeypatch):
    monkeypatch.setenv("CITYOPS_PARKS_PORT", "9100")
    monkeypatch.setenv("CITYOPS_PARKS_DB_POOL_SIZE", "3")
    settings = ParksSettings()
    assert (settings.port, settings.db_pool_size) == (9100, 3)


def test_platform_values_are_read_unprefixed_by_every_service(monkeypatch, tmp_path):
    monkeypatch.setenv("CITYOPS_JWT_SECRET", "shared-secret")
    monkeypatch.setenv("CITYOPS_JWT_JWKS_URL", "https://idp.lacity.test/jwks")
    monkeypatch.setenv("CITYOPS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CITYOPS_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("CITYOPS_LOG_JSON", "false")
    for settings in (ParksSettings(), PlatformSettings()):
        assert settings.jwt_secret is not None
        assert settings.jwt_secret.get_secret_value() == "shared-secret"
        assert settings.jwt_jwks_url == "https://idp.lacity.test/jwks"
        assert settings.data_dir == tmp_path
        assert settings.log_level == "WARNING"
        assert settings.log_json is False


def test_generic_variable_names_configure_nothing(monkeypatch):
    # Containers often carry LOG_LEVEL, DATA_DIR or JWT_SECRET meant for something else.
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("DATA_DIR", "/elsewhere")
    monkeypatch.setenv("JWT_SECRET", "someone-elses")
    settings = ParksSettings()
    assert settings.log_level == "INFO"
    assert settings.data_dir == Path(".cityops")
    assert settings.jwt_secret is None


def test_keyword_arguments_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("CITYOPS_JWT_SECRET", "from-env")
    monkeypatch.setenv("CITYOPS_PARKS_DATABASE_URL", "postgresql://env/parks")
    settings = ParksSettings(jwt_secret="given", database_url="postgresql://given/parks")
    assert settings.jwt_secret is not None and settings.jwt_secret.get_secret_value() == "given"
    assert settings.database_url == "postgresql://given/parks"


def test_signing_key_prefers_the_secret_key_then_the_jwt_secret():
    assert ParksSettings(secret_key="sk", jwt_secret="jwt").signing_key == "sk"
    assert ParksSettings(jwt_secret="jwt").signing_key == "jwt"
    assert ParksSettings().signing_key == DEVELOPMENT_SIGNING_KEY


def test_secrets_do_not_show_in_reprs():
    settings = ParksSettings(jwt_secret="top-secret", secret_key="also-secret")
    assert "top-secret" not in repr(settings) and "also-secret" not in repr(settings)
