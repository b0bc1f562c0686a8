"""Alembic environment: the URL comes from the caller or from reachimpact.settings, never from alembic.ini."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import reachimpact.models  # noqa: F401 - fills SQLModel.metadata
from reachimpact.db import database_url, sqlalchemy_url
from reachimpact.models.schema_filters import include_name, include_object

config = context.config

# Programmatic callers (the tests) configure logging themselves; the CLI gets alembic.ini's loggers.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _url() -> str:
    given = config.attributes.get("database_url")
    return sqlalchemy_url(given) if given else database_url()


def _configure_options() -> dict:
    return {
        "target_metadata": target_metadata,
        "compare_type": True,
        "include_name": include_name,
        "include_object": include_object,
    }


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"}, **_configure_options()
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **_configure_options())
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, **_configure_options())
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
