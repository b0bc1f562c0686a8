"""Test session set-up: a database of our own on a real PostgreSQL, migrated with Alembic, dropped after.

DATABASE_URL is pointed at it in pytest_configure, before any reachimpact module reads settings, so
every engine in the run (services, API, the Reflex backend of the browser test) uses it and nothing
touches the development database.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
import uvicorn
from sqlalchemy import make_url

from tests.databases import create_database, drop_database, forget_dialer_jobs, migrate

_created: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    name = f"reachimpact_test_{uuid.uuid4().hex[:10]}"
    url = create_database(name)
    _created.append(name)
    os.environ["DATABASE_URL"] = url
    os.environ["APP_ENV"] = "test"
    # Settings and the engine are cached per process: make sure none was built before this point.
    from reachimpact.db import database_url, get_engine
    from reachimpact.settings import get_settings

    get_settings.cache_clear()
    database_url.cache_clear()
    get_engine.cache_clear()
    migrate(url)


def pytest_unconfigure(config: pytest.Config) -> None:
    from reachimpact.db import get_engine

    get_engine().dispose()
    for name in _created:
        drop_database(name)


@pytest.fixture(scope="session")
def db_url() -> str:
    """SQLAlchemy URL of this run's migrated test database."""
    return os.environ["DATABASE_URL"]


@pytest.fixture
def empty_database() -> Iterator[str]:
    """SQLAlchemy URL of a database of its own with no schema at all, dropped after the test."""
    name = f"reachimpact_empty_{uuid.uuid4().hex[:10]}"
    url = create_database(name)
    try:
        yield url
    finally:
        drop_database(name)


@pytest.fixture
def session() -> Iterator:
    """A session on the test database; tables are emptied after each test (see `_clean_tables`)."""
    from sqlmodel import Session

    from reachimpact.db import get_engine

    with Session(get_engine(), expire_on_commit=False) as s:
        yield s


@pytest.fixture(scope="session")
def _cleaner(db_url: str) -> Iterator[psycopg.Connection]:
    conninfo = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        yield conn


@pytest.fixture(autouse=True)
def _clean_tables(_cleaner: psycopg.Connection) -> Iterator[None]:
    yield
    from sqlmodel import SQLModel

    import reachimpact.models  # noqa: F401 - fills SQLModel.metadata

    # TRUNCATE costs ~150 ms whatever the size; only the tables a test wrote to need it.
    probe = " UNION ALL ".join(
        f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM {t.name})" for t in SQLModel.metadata.sorted_tables
    )
    dirty = [row[0] for row in _cleaner.execute(probe)]
    if dirty:
        _cleaner.execute(f"TRUNCATE {', '.join(dirty)} CASCADE")


@pytest.fixture(autouse=True)
def _forget_our_jobs(_cleaner: psycopg.Connection) -> Iterator[None]:
    yield
    forget_dialer_jobs(_cleaner)


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set settings for this test only (as environment variables, read afresh)."""

    from reachimpact.settings import get_settings

    def apply(**values: object) -> None:
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name.upper(), raising=False)
            else:
                monkeypatch.setenv(name.upper(), str(value))
        get_settings.cache_clear()

    # Tests do not depend on whatever Twilio settings the machine has.
    apply(
        twilio_account_sid=None, twilio_auth_token=None, twilio_api_base_url=None, simulator_delivery_url=None
    )
    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_api_url() -> Iterator[str]:
    """Our API (webhooks included) served by uvicorn on loopback for the whole run."""
    from reachimpact.api.app import create_api

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_api(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def live_api(live_api_url: str, configure: Callable[..., None]) -> str:
    """The live API's address, and PUBLIC_BASE_URL set to it (webhooks are signed for that address)."""
    configure(public_base_url=live_api_url)
    return live_api_url
