"""What every service's alembic env.py does: its own schema, its own version table, only its tables.

The schema is created here, before alembic reads its version table from it, so that each service's
history lives in `<schema>.alembic_version` and services migrate on their own timelines.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from alembic.operations import ops
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from services.common.db import create_engine


def run_env(metadata: MetaData, database_url: str) -> None:
    config = context.config
    url = config.attributes.get("database_url") or database_url
    if context.is_offline_mode():
        raise RuntimeError("Offline (SQL script) migrations are not supported; run against a database.")
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection, metadata)
    else:
        asyncio.run(_migrate_online(url, metadata))


async def _migrate_online(url: str, metadata: MetaData) -> None:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate, metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def _migrate(connection: Connection, metadata: MetaData) -> None:
    schema = metadata.schema
    assert schema, "a service's metadata must carry its schema"
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        include_schemas=True,
        include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
        compare_type=True,
        compare_server_default=False,
        process_revision_directives=_skip_empty_revisions,
    )
    with context.begin_transaction():
        context.run_migrations()


def _skip_empty_revisions(context_: Any, _revision: Any, directives: list[Any]) -> None:
    if getattr(context_.config, "cmd_opts", None) and getattr(
        context_.config.cmd_opts, "autogenerate", False
    ):
        script = directives[0]
        if isinstance(script.upgrade_ops, ops.UpgradeOps) and script.upgrade_ops.is_empty():
            directives[:] = []
