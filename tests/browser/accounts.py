"""Accounts for the browser tests: users with a known password written to the database, and signing in
through the sign-in page as a person would."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from playwright.sync_api import Page, WebSocketRoute, expect
from sqlmodel import Session

from reachimpact import routes
from reachimpact.models import Membership, Organization, Role, User
from reachimpact.services.passwords import hash_password

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Account:
    user_id: uuid.UUID
    organization_id: uuid.UUID
    membership_id: uuid.UUID
    name: str
    email: str
    password: str = PASSWORD


def create_account(
    session: Session,
    name: str,
    *,
    organization_id: uuid.UUID | None = None,
    organization_name: str | None = None,
    role: Role = Role.OWNER,
) -> Account:
    """A user who can sign in with PASSWORD: a member of `organization_id`, or owner of a new organization."""
    if organization_id is None:
        organization = Organization(name=organization_name or f"{name}'s organization")
        session.add(organization)
        session.flush()
        organization_id = organization.id
    email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@example.org"
    user = User(email=email, name=name, password_hash=hash_password(PASSWORD))
    session.add(user)
    session.flush()
    membership = Membership(organization_id=organization_id, user_id=user.id, role=role)
    session.add(membership)
    session.commit()
    return Account(user.id, organization_id, membership.id, name, email)


def sign_in(page: Page, email: str, password: str = PASSWORD, *, at: str = routes.LOGIN) -> None:
    """Fill in the sign-in form at `at` (the sign-in page, maybe with ?next=) and wait to be let in."""
    if at:
        page.goto(at)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def swap_ids_sent_to_the_app(page: Page, swaps: dict[uuid.UUID, uuid.UUID]) -> None:
    """Rewrite ids in every websocket message this page sends to the app, as a tampering user could.

    Registered before the page opens its socket. The page's own controls then ask for another
    organization's rows: exactly what a hand-crafted event would do.
    """

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            if isinstance(message, str):
                for own, foreign in swaps.items():
                    message = message.replace(str(own), str(foreign))
            server.send(message)

        ws.on_message(to_server)

    page.route_web_socket(re.compile(r"/_event"), route)
