"""Accounts through the public API: register, login, refresh rotation, logout, password, sessions, limits."""

from __future__ import annotations

import time
from collections.abc import Iterator

import bcrypt
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from reachimpact.models import Membership, Organization, User, UserSession
from reachimpact.services import auth
from reachimpact.settings import get_settings

PASSWORD = "correct horse battery"


@pytest.fixture
def per_address(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let each request name its client address, as a trusted proxy would."""
    monkeypatch.setenv("TRUSTED_CLIENT_IP_HEADER", "X-Test-Client-IP")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def register(client: TestClient, email: str = "ann@example.org", **extra: str) -> dict:
    response = client.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "name": "Ann Organiser", **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_register_creates_user_with_personal_organization(client: TestClient, session: Session) -> None:
    tokens = register(client, "Ann@Example.org")
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    me = client.get("/api/me", headers=bearer(tokens)).json()
    assert me["email"] == "ann@example.org"
    assert me["role"] == "owner"
    user = session.exec(select(User)).one()
    assert user.password_hash.startswith("$2b$12$")
    membership = session.exec(select(Membership).where(Membership.user_id == user.id)).one()
    assert session.get(Organization, membership.organization_id).name == "Ann Organiser's organization"


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "name": "A"}, 422, "Email"),
        ({"email": "b@example.org", "password": "short", "name": "A"}, 422, "at least 8"),
        ({"email": "b@example.org", "password": "é" * 40, "name": "A"}, 422, "72 bytes"),
        ({"email": "b@example.org", "password": PASSWORD, "name": "  "}, 422, "Name"),
        ({"email": "b@example.org", "password": PASSWORD}, 422, "name"),
    ],
)
def test_register_rejects_bad_input_clearly(
    client: TestClient, session: Session, body: dict, status: int, fragment: str
) -> None:
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == status
    assert fragment in str(response.json()["detail"])
    assert session.exec(select(User)).all() == []


def test_register_twice_is_a_conflict_whatever_the_case(client: TestClient) -> None:
    register(client, "ann@example.org")
    response = client.post(
        "/api/auth/register", json={"email": "ANN@example.org", "password": PASSWORD, "name": "Ann"}
    )
    assert response.status_code == 409


def test_login_failures_look_the_same_and_cost_the_same(client: TestClient, per_address: None) -> None:
    register(client)
    timings: dict[str, float] = {}
    answers = {}
    for case, email, address in [
        ("unknown", "nobody@example.org", "10.0.0.1"),
        ("wrong", "ann@example.org", "10.0.0.2"),
    ]:
        started = time.perf_counter()
        answers[case] = client.post(
            "/api/auth/login",
            json={"email": email, "password": "wrong password"},
            headers={"X-Test-Client-IP": address},
        )
        timings[case] = time.perf_counter() - started
    assert answers["unknown"].status_code == answers["wrong"].status_code == 401
    unknown, wrong = answers["unknown"].json(), answers["wrong"].json()
    # The same words; only the request id (unique to every request) differs.
    assert unknown.pop("request_id") != wrong.pop("request_id")
    assert unknown == wrong
    # Both pay for one bcrypt check at cost 12 (~0.2 s); an unknown email must not answer early.
    assert timings["unknown"] > 0.5 * timings["wrong"]


def test_refresh_rotates_and_reuse_revokes_the_family(client: TestClient) -> None:
    register(client)
    first = client.post("/api/auth/login", json={"email": "ann@example.org", "password": PASSWORD}).json()
    second = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/api/me", headers=bearer(second)).status_code == 200

    # The first token was used: presenting it again means someone copied it.
    stolen = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert stolen.status_code == 401
    # ...so the whole family ends: the rightful holder's newer tokens stop working too.
    assert (
        client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 401
    )
    assert client.get("/api/me", headers=bearer(second)).status_code == 401


def test_logout_ends_the_session(client: TestClient) -> None:
    tokens = register(client)
    assert client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert (
        client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    )
    assert client.get("/api/me", headers=bearer(tokens)).status_code == 401
    # Logging out twice is harmless.
    assert client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204


def change_password(client: TestClient, tokens: dict, current: str):
    body = {"current_password": current, "new_password": "a brand new secret"}
    return client.post("/api/me/password", json=body, headers=bearer(tokens))


def test_password_change_revokes_other_sessions_only(client: TestClient) -> None:
    laptop = register(client)
    phone = client.post("/api/auth/login", json={"email": "ann@example.org", "password": PASSWORD}).json()

    assert change_password(client, laptop, "not it at all").status_code == 422
    assert change_password(client, laptop, PASSWORD).status_code == 204
    assert client.get("/api/me", headers=bearer(laptop)).status_code == 200
    assert client.get("/api/me", headers=bearer(phone)).status_code == 401
    assert client.post("/api/auth/refresh", json={"refresh_token": phone["refresh_token"]}).status_code == 401
    old = client.post("/api/auth/login", json={"email": "ann@example.org", "password": PASSWORD})
    assert old.status_code == 401
    new = client.post("/api/auth/login", json={"email": "ann@example.org", "password": "a brand new secret"})
    assert new.status_code == 200


def test_sessions_list_and_revoke(client: TestClient) -> None:
    laptop = register(client)
    phone = client.post(
        "/api/auth/login",
        json={"email": "ann@example.org", "password": PASSWORD},
        headers={"User-Agent": "Phone Browser 1.0"},
    ).json()
    sessions = client.get("/api/me/sessions", headers=bearer(laptop)).json()
    assert len(sessions) == 2
    assert [s["current"] for s in sessions].count(True) == 1
    phone_session = next(s for s in sessions if s["user_agent"] == "Phone Browser 1.0")

    assert client.delete(f"/api/me/sessions/{phone_session['id']}", headers=bearer(laptop)).status_code == 204
    assert client.get("/api/me", headers=bearer(phone)).status_code == 401
    assert len(client.get("/api/me/sessions", headers=bearer(laptop)).json()) == 1


def test_profile_update_validates_everything_first(client: TestClient) -> None:
    tokens = register(client)
    register(client, "bob@example.org")
    taken = client.patch(
        "/api/me", json={"name": "Ann B", "email": "BOB@example.org"}, headers=bearer(tokens)
    )
    assert taken.status_code == 409
    bad_zone = client.patch(
        "/api/me", json={"name": "Ann B", "time_zone": "Mars/Base"}, headers=bearer(tokens)
    )
    assert bad_zone.status_code == 422
    assert client.get("/api/me", headers=bearer(tokens)).json()["name"] == "Ann Organiser"
    ok = client.patch(
        "/api/me", json={"name": "Ann B", "time_zone": "America/Chicago"}, headers=bearer(tokens)
    )
    assert ok.status_code == 200
    assert ok.json()["name"] == "Ann B" and ok.json()["time_zone"] == "America/Chicago"


def _login(client: TestClient, email: str, password: str, address: str):
    return client.post(
        "/api/auth/login", json={"email": email, "password": password}, headers={"X-Test-Client-IP": address}
    )


def test_guesses_from_one_address_lock_only_that_address_out(client: TestClient, per_address: None) -> None:
    register(client)
    for _ in range(auth.LOGIN_LIMIT):
        assert _login(client, "ann@example.org", "guess number x", "10.1.0.1").status_code == 401
    limited = _login(client, "ann@example.org", PASSWORD, "10.1.0.1")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "Try again" in limited.json()["detail"]
    # The owner, on their own device, still gets in.
    assert _login(client, "ann@example.org", PASSWORD, "10.1.0.2").status_code == 200


def test_login_is_rate_limited_per_email_from_every_address_much_higher(
    client: TestClient, per_address: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real limit (100 an hour) would take 100 bcrypt checks; the rule is the same with 8.
    monkeypatch.setattr(auth, "LOGIN_EMAIL_LIMIT", 8)
    assert auth.LOGIN_EMAIL_LIMIT > auth.LOGIN_LIMIT
    register(client)
    for attempt in range(8):
        assert _login(client, "ann@example.org", "guess", f"10.3.0.{attempt}").status_code == 401
    assert _login(client, "ann@example.org", PASSWORD, "10.3.0.99").status_code == 429


def test_login_is_rate_limited_per_address(
    client: TestClient, per_address: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "LOGIN_ADDRESS_LIMIT", 6)
    for n in range(6):
        assert _login(client, f"someone{n}@example.org", "guess number x", "10.2.0.1").status_code == 401
    assert _login(client, "someone-else@example.org", "guess number x", "10.2.0.1").status_code == 429
    assert _login(client, "someone-else@example.org", "guess number x", "10.2.0.2").status_code == 401


def test_registration_is_rate_limited_per_address(
    client: TestClient, session: Session, per_address: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "REGISTER_LIMIT", 2)
    for n in range(2):
        response = client.post(
            "/api/auth/register",
            json={"email": f"r{n}@example.org", "password": PASSWORD, "name": "R"},
            headers={"X-Test-Client-IP": "10.4.0.1"},
        )
        assert response.status_code == 201
    body = {"email": "r9@example.org", "password": PASSWORD, "name": "R"}
    limited = client.post("/api/auth/register", json=body, headers={"X-Test-Client-IP": "10.4.0.1"})
    assert limited.status_code == 429
    assert session.exec(select(User).where(User.email == "r9@example.org")).first() is None
    elsewhere = client.post("/api/auth/register", json=body, headers={"X-Test-Client-IP": "10.4.0.2"})
    assert elsewhere.status_code == 201


def test_guesses_at_the_current_password_are_limited(client: TestClient) -> None:
    tokens = register(client)
    for _ in range(auth.PASSWORD_CHANGE_LIMIT):
        assert change_password(client, tokens, "not it at all").status_code == 422
    assert change_password(client, tokens, PASSWORD).status_code == 429
    assert _login(client, "ann@example.org", PASSWORD, "10.5.0.1").status_code == 200


def test_older_hash_is_upgraded_on_login(client: TestClient, session: Session) -> None:
    register(client)
    user = session.exec(select(User)).one()
    user.password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    session.add(user)
    session.commit()
    assert (
        client.post("/api/auth/login", json={"email": "ann@example.org", "password": PASSWORD}).status_code
        == 200
    )
    session.refresh(user)
    assert user.password_hash.startswith("$2b$12$")


def test_disabled_user_cannot_sign_in_or_keep_using_tokens(client: TestClient, session: Session) -> None:
    tokens = register(client)
    user = session.exec(select(User)).one()
    user.disabled = True
    session.add(user)
    session.commit()
    assert client.get("/api/me", headers=bearer(tokens)).status_code == 401
    assert (
        client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    )
    login = client.post("/api/auth/login", json={"email": "ann@example.org", "password": PASSWORD})
    assert login.status_code == 401
    assert session.exec(select(UserSession).where(UserSession.revoked_at.is_(None))).all() == []
