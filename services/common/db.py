"""Async database access: one engine per process, one session per request, one schema per service.

The session is opened per request by `get_session`; the service layer commits explicitly before the
response is built, so a failed commit surfaces as a problem response instead of after the fact.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import uuid_utils.compat as uuid_utils
from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, func, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def schema_registry(schema: str) -> registry:
    """A mapper registry whose metadata is bound to `schema`, with the naming convention.

    Each service declares `class <Service>Base(SQLModel, registry=schema_registry("<schema>"))`.
    SQLModel's default registry is global: two services imported into one process (tests, the cli)
    would otherwise share tables and confuse autogenerate.
    """
    return registry(metadata=MetaData(schema=schema, naming_convention=NAMING_CONVENTION))


def new_id() -> Any:
    """A UUIDv7: unique like a UUID4, but time-ordered, so keyset pages on id follow creation order."""
    return uuid_utils.uuid7()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Tracked(SQLModel):
    """Columns every mutable row carries: `version` (behind its ETag) and when it was made and changed.

    Mix in before the service's base: `class VendorRow(VendorsBase, Tracked, table=True)`.
    """

    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now()},
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now()},
    )


def async_url(url: str) -> str:
    """postgresql://… as given by users and pgserver, in the form SQLAlchemy's asyncpg dialect wants."""
    scheme = urlsplit(url).scheme
    if scheme in ("postgresql", "postgres"):
        return "postgresql+asyncpg" + url[len(scheme) :]
    return url


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10, **kwargs: Any) -> AsyncEngine:
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        **kwargs,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]


async def database_answers(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
