"""Creating, migrating and dropping throw-away databases on the test server."""

from __future__ import annotations

import os
import socket
from functools import lru_cache

import psycopg
from psycopg import sql
from sqlalchemy import make_url

from reachimpact.db import PROJECT_ROOT, libpq_url, sqlalchemy_url
from reachimpact.schema import alembic_config
from reachimpact.schema import upgrade as migrate

# Callers take the schema helpers from here with the rest of a throw-away database's life.
__all__ = [
    "admin_url",
    "alembic_config",
    "create_database",
    "drop_database",
    "forget_dialer_jobs",
    "migrate",
    "url_for",
]

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _local_server_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@lru_cache
def admin_url() -> str:
    """libpq URL of a maintenance database on the test server.

    TEST_DATABASE_URL when set; else the server on 127.0.0.1:5432 when it answers; else an embedded
    pgserver under .data/test-pg.
    """
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        return libpq_url(configured)
    if _local_server_up():
        return LOCAL_SERVER
    import pgserver

    (PROJECT_ROOT / ".data").mkdir(exist_ok=True)
    server = pgserver.get_server(PROJECT_ROOT / ".data" / "test-pg", cleanup_mode="stop")
    return server.get_uri("postgres")


def url_for(name: str) -> str:
    """SQLAlchemy URL of database `name` on the test server."""
    return sqlalchemy_url(make_url(admin_url()).set(database=name).render_as_string(hide_password=False))


def create_database(name: str) -> str:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url_for(name)


def drop_database(name: str) -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# Tasks of ours whose jobs a test may leave queued; the next test's worker must not run them.
DIALER_TASKS = ("dialer.tick", "telephony.simulate_call", "telephony.machine_answered")


def forget_dialer_jobs(conn: psycopg.Connection) -> None:
    conn.execute("DELETE FROM procrastinate_jobs WHERE task_name = ANY(%s)", [list(DIALER_TASKS)])
