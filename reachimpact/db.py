"""The one engine and session factory, shared by pages, API, jobs and tools.

With no DATABASE_URL an embedded PostgreSQL (the `pgserver` package) is started under .data/, so a
fresh clone runs without a database server installed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import lru_cache
from pathlib import Path

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine, create_engine, make_url, text
from sqlmodel import Session

from reachimpact.settings import get_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EMBEDDED_DATA_DIR = PROJECT_ROOT / ".data" / "pg"
EMBEDDED_DB_NAME = "reachimpact"


def sqlalchemy_url(url: str) -> str:
    """Any postgres URL spelling → the psycopg 3 dialect SQLAlchemy needs."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """Any postgres URL spelling → a plain libpq URL (for psycopg and procrastinate)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _embedded_url() -> str:
    import pgserver  # imported lazily: only development without DATABASE_URL needs it

    # Its start-up chatter (a dozen INFO lines per process) hides the app's own output.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    EMBEDDED_DATA_DIR.parent.mkdir(parents=True, exist_ok=True)
    # 'stop': the server stops when the last process using it (app, worker, CLI) exits.
    server = pgserver.get_server(EMBEDDED_DATA_DIR, cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DB_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DB_NAME};")
    return server.get_uri(EMBEDDED_DB_NAME)


@lru_cache
def database_url() -> str:
    """The SQLAlchemy URL of the application database."""
    configured = get_settings().database_url
    return sqlalchemy_url(configured or _embedded_url())


@lru_cache
def get_engine() -> Engine:
    return create_engine(database_url(), pool_pre_ping=True, pool_size=5, max_overflow=10)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# The async path, for the few hot routes where a thread hop and the ORM cost more than the work itself
# (Twilio's status callbacks). An asyncio pool belongs to the event loop that opened it, and a process
# may run several loops (the app's, a test client's, a job's), so there is one pool per running loop.
_async_pools: dict[asyncio.AbstractEventLoop, AsyncConnectionPool[AsyncConnection]] = {}


async def _async_pool() -> AsyncConnectionPool[AsyncConnection]:
    loop = asyncio.get_running_loop()
    pool = _async_pools.get(loop)
    if pool is None:
        # Pools of loops that ended without close_async_pool() hold nothing usable: let them go.
        for gone in [other for other in _async_pools if other.is_closed()]:
            del _async_pools[gone]
        pool = AsyncConnectionPool(
            libpq_url(database_url()),
            kwargs={"autocommit": True},
            min_size=1,
            max_size=10,
            open=False,
            name="reachimpact-async",
            # A connection the server dropped (a restart, a failover) is found and replaced before it is
            # handed out, as the sync engine's pre-ping does: one round trip, cheaper than a failed callback.
            check=AsyncConnectionPool.check_connection,
        )
        # Opening does not yield to the loop, so no other task can see the pool before it is open.
        _async_pools[loop] = pool
        await pool.open()
    return pool


@asynccontextmanager
async def async_connection() -> AsyncIterator[AsyncConnection]:
    """A psycopg async connection from this event loop's pool, for plain SQL.

    It is in autocommit mode: a single statement commits on its own, in one round trip (no BEGIN and
    COMMIT around it). Statements that must commit together go in `async with conn.transaction():`,
    which commits on success and rolls back on error.
    """
    pool = await _async_pool()
    async with pool.connection() as conn:
        yield conn


async def close_async_pool() -> None:
    """Close the running event loop's pool, if it has one (at the app's shutdown)."""
    pool = _async_pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.close()


def ping() -> bool:
    """Whether the database answers a trivial query."""
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
