"""The API's own plumbing: health, OpenAPI, request ids, and the last-resort error answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from reachimpact.api.app import create_api
from reachimpact.db import database_url, get_engine
from reachimpact.settings import get_settings


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_api(), raise_server_exceptions=False) as c:
        yield c


def test_health_reports_database_ok(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_database_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 1: the app is configured with a database it cannot reach.
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=2")
    for cached in (get_settings, database_url, get_engine):
        cached.cache_clear()
    try:
        with TestClient(create_api()) as c:
            response = c.get("/api/health")
        assert response.status_code == 503
        assert response.json()["database"] == "down"
    finally:
        get_engine().dispose()
        monkeypatch.undo()
        for cached in (get_settings, database_url, get_engine):
            cached.cache_clear()
    assert TestClient(create_api()).get("/api/health").status_code == 200


def test_openapi_document_and_docs_are_served(client: TestClient) -> None:
    document = client.get("/api/openapi.json")
    assert document.status_code == 200
    assert "/api/health" in document.json()["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    generated = client.get("/api/health").headers["x-request-id"]
    assert len(generated) >= 8
    kept = client.get("/api/health", headers={"X-Request-ID": "proxy-abc-12345"})
    assert kept.headers["x-request-id"] == "proxy-abc-12345"
    # An id that is unsafe to log is replaced, not echoed.
    replaced = client.get("/api/health", headers={"X-Request-ID": "bad id\nwith newline"})
    assert replaced.headers["x-request-id"] != "bad id\nwith newline"


def test_unhandled_error_is_logged_with_request_id_and_leaks_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = create_api()

    @api.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("secret connection string postgres://user:hunter2@db")

    with TestClient(api, raise_server_exceptions=False) as c, caplog.at_level(logging.ERROR):
        response = c.get("/api/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["detail"] == "Internal server error."
    assert body["request_id"] == response.headers["x-request-id"]
    assert "hunter2" not in response.text
    logged = [r for r in caplog.records if r.name == "reachimpact.api"]
    assert logged and logged[0].exc_info is not None
    assert logged[0].request_id == body["request_id"]


def test_protected_route_without_token_is_401(client: TestClient) -> None:
    response = client.get("/api/jobs/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 401
    assert "detail" in response.json()
