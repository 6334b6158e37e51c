"""Applies each service's migrations (one alembic environment per service)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "migrations" / "alembic.ini"
SERVICES_WITH_MIGRATIONS = ("vendors", "assets")


def alembic_config(service: str, database_url: str | None = None) -> Config:
    """`database_url` None: the service's own configuration (CITYOPS_<SERVICE>_DATABASE_URL or shared)."""
    config = Config(str(ALEMBIC_INI), ini_section=service)
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade(
    database_url: str | None, services: tuple[str, ...] = SERVICES_WITH_MIGRATIONS, revision: str = "head"
) -> None:
    for service in services:
        command.upgrade(alembic_config(service, database_url), revision)


def downgrade(
    database_url: str | None, services: tuple[str, ...] = SERVICES_WITH_MIGRATIONS, revision: str = "base"
) -> None:
    for service in reversed(services):
        command.downgrade(alembic_config(service, database_url), revision)
