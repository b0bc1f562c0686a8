"""Fixtures of the dialer tests: settings per test, a live API server, the queue left clean."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
import uvicorn

from reachimpact.settings import get_settings
from tests.dialer.helpers import forget_dialer_jobs


@pytest.fixture(autouse=True)
def _forget_our_jobs(_cleaner: psycopg.Connection) -> Iterator[None]:
    yield
    forget_dialer_jobs(_cleaner)


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set settings for this test only (as environment variables, read afresh)."""

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
