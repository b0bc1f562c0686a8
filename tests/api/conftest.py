"""The API's tests talk to it through FastAPI's test client (the whole app: middleware, routers, handlers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from reachimpact.api.app import create_api

# The address our webhooks are signed for in these tests (as Twilio signs PUBLIC_BASE_URL + path).
PUBLIC_BASE_URL = "https://reach.example.org"


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_api()) as c:
        yield c


@pytest.fixture
def public_base_url(configure: Callable[..., None]) -> str:
    """PUBLIC_BASE_URL for this test; webhook tests use it: `pytestmark = pytest.mark.usefixtures(...)`."""
    configure(public_base_url=PUBLIC_BASE_URL)
    return PUBLIC_BASE_URL
