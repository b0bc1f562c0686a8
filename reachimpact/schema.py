"""The database schema is Alembic's: bring a database to head, or ask how far it is from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import create_engine, pool

from reachimpact.db import PROJECT_ROOT, sqlalchemy_url

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["database_url"] = url
    # alembic.ini's logging set-up is for its own CLI; inside another program it would add a stderr
    # handler to the root logger.
    config.attributes["configure_logger"] = False
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def revisions(url: str) -> tuple[str | None, str]:
    """(the database's revision, None when it has no schema yet; the code's head revision)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    assert head is not None, "alembic/versions holds no revision"
    return current, head
