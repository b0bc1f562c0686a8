"""Accounts in a real browser: sign-up, staying signed in, signing out, protected pages, settings, and the
states' refusal to touch another organization's rows even when the browser asks for them by id."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update
from sqlmodel import Session, select

from reachimpact import routes
from reachimpact.models import Invite, Membership, RefreshToken, Role, User, UserSession
from reachimpact.services import auth, members
from reachimpact.services.auth import Client, Principal
from reachimpact.state import app as app_state
from reachimpact.state.app import REFRESH_TOKEN_STORAGE_KEY
from tests.browser.accounts import PASSWORD, Account, create_account, sign_in, swap_ids_sent_to_the_app

# The header of every access token we issue (HS256 JWT): it must never reach the browser.
JWT_HEADER = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def _heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def _stored_refresh_token(page: Page) -> str | None:
    return page.evaluate(f"localStorage.getItem('{REFRESH_TOKEN_STORAGE_KEY}')")


def _frames_from_server(page: Page) -> list[str]:
    """Every websocket frame the app sends this page, from now on."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    return frames


def _sessions_of(session: Session, user_id: uuid.UUID) -> list[UserSession]:
    session.expire_all()  # the app wrote through its own connections
    return list(session.exec(select(UserSession).where(UserSession.user_id == user_id)).all())


def _other_device(session: Session, account: Account, user_agent: str, ip_address: str) -> uuid.UUID:
    """Sign `account` in elsewhere (as from another browser); the id of that session."""
    pair = auth.login(
        session, email=account.email, password=account.password, client=Client(user_agent, ip_address)
    )
    principal = auth.authenticate(session, pair.access_token)
    session.commit()
    assert principal.session_id is not None
    return principal.session_id


def _toast(page: Page, text: str) -> None:
    expect(page.locator("[data-sonner-toast]").filter(has_text=text)).to_be_visible()


def _confirm_dialog(page: Page, button: str) -> None:
    page.get_by_role("alertdialog").get_by_role("button", name=button).click()


def test_register_reload_sign_out_and_come_back_to_the_page_asked_for(page: Page, session: Session) -> None:
    from_server = _frames_from_server(page)
    page.goto(routes.DASHBOARD)
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_role("link", name="Create an account").click()
    _heading(page, "Create an account")

    page.get_by_label("Name", exact=True).fill("Nora Newcomer")
    page.get_by_label("Email", exact=True).fill("Nora@Example.org")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_have_text("Password must be at least 8 characters.")
    assert session.exec(select(User)).all() == []

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    _heading(page, "Dashboard")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".user-name")).to_have_text("Nora Newcomer")
    expect(page.locator(".organization-name")).to_have_text("Nora Newcomer's organization")
    expect(page.locator(".empty-state")).to_contain_text("No data yet")
    user = session.exec(select(User).where(User.email == "nora@example.org")).one()
    assert _stored_refresh_token(page)

    page.reload()
    _heading(page, "Dashboard")
    expect(page.locator(".user-name")).to_have_text("Nora Newcomer")
    expect(page).to_have_url(re.compile(r"/$"))

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    _heading(page, "Sign in")
    assert not _stored_refresh_token(page)
    assert [s.revoked_at is not None for s in _sessions_of(session, user.id)] == [True]

    page.goto(routes.CONTACTS)
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fcontacts$"))
    sign_in(page, "nora@example.org", at="")
    expect(page).to_have_url(re.compile(r"/contacts$"))
    _heading(page, "Contacts")
    expect(page.locator(".empty-state")).to_contain_text("No contacts yet")

    assert from_server, "no websocket frames were seen"
    assert not [frame for frame in from_server if JWT_HEADER in frame or "$2b$" in frame], (
        "an access token or a password hash reached the browser"
    )


def test_sign_in_follows_only_local_next_and_limits_attempts(page: Page, session: Session) -> None:
    account = create_account(session, "Sam Signin")

    # A link to the sign-in page must not be able to send a signed-in user to another site.
    sign_in(page, account.email, at="/login?next=https://evil.example/phish")
    expect(page).to_have_url(re.compile(r"^http://[^/]+/$"))
    _heading(page, "Dashboard")
    page.get_by_role("button", name="Sign out").click()
    _heading(page, "Sign in")

    def attempt(email: str, password: str) -> None:
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()

    attempt(account.email, "wrong password")
    expect(page.get_by_role("alert")).to_have_text("Incorrect email or password.")
    page.reload()  # the same words again must come from a new answer, not the old one
    attempt("nobody@example.org", PASSWORD)
    expect(page.get_by_role("alert")).to_have_text("Incorrect email or password.")
    # Five attempts a minute at one email from one address (the successful one above counted too).
    for _ in range(3):
        attempt(account.email, "wrong password")
    attempt(account.email, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Too many attempts. Try again in")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_settings_change_profile_revoke_a_device_manage_members_and_invite(
    page: Page, session: Session, browser: Browser, base_url: str
) -> None:
    owner = create_account(session, "Olive Owner")
    agent = create_account(session, "Andy Agent", organization_id=owner.organization_id, role=Role.AGENT)
    laptop = _other_device(session, owner, FIREFOX_ON_WINDOWS, "203.0.113.7")

    sign_in(page, owner.email, at=routes.login_url(routes.SETTINGS))
    expect(page).to_have_url(re.compile(r"/settings$"))
    _heading(page, "Settings")

    # Profile: a bad time zone is refused with the reason, then a good change is saved and shown.
    page.get_by_label("Time zone", exact=True).fill("Mars/Olympus_Mons")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("alert")).to_contain_text("Unknown time zone 'Mars/Olympus_Mons'")
    page.get_by_label("Name", exact=True).fill("Olive O. Owner")
    page.get_by_label("Time zone", exact=True).fill("Europe/Berlin")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status").filter(has_text="Profile saved.")).to_be_visible()
    expect(page.locator(".user-name")).to_have_text("Olive O. Owner")
    session.expire_all()
    user = session.get(User, owner.user_id)
    assert (user.name, user.time_zone) == ("Olive O. Owner", "Europe/Berlin")

    # Sessions: this device is marked; the other one is signed out after confirmation.
    expect(page.get_by_role("row").filter(has_text="This device")).to_have_count(1)
    laptop_row = page.get_by_role("row").filter(has_text="Firefox on Windows")
    expect(laptop_row).to_contain_text("203.0.113.7")
    laptop_row.get_by_role("button", name="Revoke").click()
    _confirm_dialog(page, "Sign it out")
    _toast(page, "That device was signed out.")
    expect(laptop_row).to_have_count(0)
    assert {s.id: s.revoked_at is not None for s in _sessions_of(session, owner.user_id)}[laptop] is True

    # Members: change a role, then remove the member after confirmation.
    page.get_by_role("combobox", name="Role of Andy Agent").click()
    page.get_by_role("option", name="admin").click()
    _toast(page, "Role changed to admin.")
    session.expire_all()
    assert session.get(Membership, agent.membership_id).role == Role.ADMIN
    page.get_by_role("row").filter(has_text="Andy Agent").get_by_role("button", name="Remove").click()
    _confirm_dialog(page, "Remove")
    _toast(page, "Member removed.")
    expect(page.get_by_role("row").filter(has_text="Andy Agent")).to_have_count(0)
    session.expire_all()
    assert session.get(Membership, agent.membership_id) is None

    # Invitations: the link is shown to pass on; a pending one can be revoked.
    invite_email = page.get_by_label("Email to invite", exact=True)
    invite_email.fill("mistake@example.org")
    page.get_by_role("button", name="Create invitation link").click()
    expect(page.get_by_role("row").filter(has_text="mistake@example.org")).to_have_count(1)
    page.get_by_role("row").filter(has_text="mistake@example.org").get_by_role(
        "button", name="Revoke"
    ).click()
    _toast(page, "Invitation revoked.")
    expect(page.get_by_role("row").filter(has_text="mistake@example.org")).to_have_count(0)
    invite_email.fill("ivy@example.org")
    page.get_by_role("button", name="Create invitation link").click()
    link = page.get_by_label("Invitation link")
    expect(link).to_have_value(re.compile(r"/register\?invite=[\w-]+$"))
    expect(page.get_by_role("row").filter(has_text="ivy@example.org")).to_contain_text("agent")
    invite_path = "/register?" + link.input_value().split("?", 1)[1]

    # Password: a wrong current password is refused; a right one signs out every other device.
    phone = _other_device(session, owner, SAFARI_ON_IPHONE, "198.51.100.4")
    page.get_by_label("Current password", exact=True).fill("not my password")
    page.get_by_label("New password", exact=True).fill("a new long passphrase")
    page.get_by_label("Confirm new password", exact=True).fill("a new long passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_have_text("Current password is incorrect.")
    page.get_by_label("Current password", exact=True).fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a new long passphrase")
    page.get_by_label("Confirm new password", exact=True).fill("a new long passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status").filter(has_text="Password changed.")).to_contain_text(
        "Your other sessions were signed out"
    )
    live = [s.id for s in _sessions_of(session, owner.user_id) if s.revoked_at is None]
    assert phone not in live and len(live) == 1
    expect(page.get_by_role("row").filter(has_text="Safari on iOS")).to_have_count(0)

    # The invited person signs up through the link and lands in the inviting organization.
    context = browser.new_context(base_url=base_url)
    try:
        invitee = context.new_page()
        invitee.goto(invite_path)
        expect(invitee.get_by_text("You were invited to join an organization")).to_be_visible()
        invitee.get_by_label("Name", exact=True).fill("Ivy Invited")
        invitee.get_by_label("Email", exact=True).fill("ivy@example.org")
        invitee.get_by_label("Password", exact=True).fill(PASSWORD)
        invitee.get_by_role("button", name="Create account").click()
        _heading(invitee, "Dashboard")
        expect(invitee.locator(".organization-name")).to_have_text("Olive Owner's organization")
        invitee.goto(routes.SETTINGS)
        expect(invitee.get_by_text("Only owners and admins can invite or manage members.")).to_be_visible()
        expect(invitee.get_by_role("row").filter(has_text="Olive O. Owner")).to_contain_text("owner")
        expect(invitee.get_by_role("combobox", name=re.compile("^Role of"))).to_have_count(0)
        expect(invitee.get_by_role("button", name="Remove")).to_have_count(0)
    finally:
        context.close()


def test_state_handlers_answer_not_found_for_another_organizations_ids(page: Page, session: Session) -> None:
    ours = create_account(session, "Una Ours")
    our_agent = create_account(session, "Al Ours", organization_id=ours.organization_id, role=Role.AGENT)
    our_laptop = _other_device(session, ours, FIREFOX_ON_WINDOWS, "203.0.113.7")
    our_principal = Principal(ours.user_id, ours.organization_id, Role.OWNER)
    our_invite = members.invite(session, our_principal, email="new@example.org", role=Role.AGENT).invite.id

    theirs = create_account(session, "Thea Theirs")
    their_agent = create_account(
        session, "Tom Theirs", organization_id=theirs.organization_id, role=Role.AGENT
    )
    their_laptop = _other_device(session, theirs, FIREFOX_ON_WINDOWS, "192.0.2.9")
    their_principal = Principal(theirs.user_id, theirs.organization_id, Role.OWNER)
    their_invite = members.invite(session, their_principal, email="x@example.org", role=Role.AGENT).invite.id
    session.commit()

    swap_ids_sent_to_the_app(
        page,
        {
            our_laptop: their_laptop,
            our_agent.membership_id: their_agent.membership_id,
            our_invite: their_invite,
        },
    )
    sign_in(page, ours.email, at=routes.login_url(routes.SETTINGS))
    _heading(page, "Settings")

    def each(action: Callable[[], None], message: str) -> None:
        action()
        _toast(page, message)
        page.reload()  # a fresh page: the next toast cannot be confused with this one
        _heading(page, "Settings")

    def revoke_laptop() -> None:
        page.get_by_role("row").filter(has_text="Firefox on Windows").get_by_role(
            "button", name="Revoke"
        ).click()
        _confirm_dialog(page, "Sign it out")

    def promote_agent() -> None:
        page.get_by_role("combobox", name="Role of Al Ours").click()
        page.get_by_role("option", name="admin").click()

    def remove_agent() -> None:
        page.get_by_role("row").filter(has_text="Al Ours").get_by_role("button", name="Remove").click()
        _confirm_dialog(page, "Remove")

    def revoke_invite() -> None:
        page.get_by_role("row").filter(has_text="new@example.org").get_by_role(
            "button", name="Revoke"
        ).click()

    each(revoke_laptop, "That session was not found")
    each(promote_agent, "That member was not found")
    each(remove_agent, "That member was not found")
    each(revoke_invite, "That invite was not found")

    # Nothing changed, in their organization or in ours.
    session.expire_all()
    assert all(s.revoked_at is None for s in _sessions_of(session, theirs.user_id))
    assert session.get(Membership, their_agent.membership_id).role == Role.AGENT
    assert session.get(Invite, their_invite) is not None
    assert {s.id: s.revoked_at for s in _sessions_of(session, ours.user_id)}[our_laptop] is None
    assert session.get(Membership, our_agent.membership_id).role == Role.AGENT
    assert session.get(Invite, our_invite) is not None


def test_handlers_check_the_session_themselves_not_just_the_page(page: Page, session: Session) -> None:
    """A page loaded while signed in does not keep its powers once the session ends elsewhere."""
    account = create_account(session, "Kim Kicked")
    laptop = _other_device(session, account, FIREFOX_ON_WINDOWS, "203.0.113.7")
    sign_in(page, account.email, at=routes.login_url(routes.SETTINGS))
    _heading(page, "Settings")

    # This browser's session ends behind its back (e.g. "sign out everywhere" from another device).
    session.exec(
        update(UserSession)
        .where(UserSession.user_id == account.user_id, UserSession.id != laptop)
        .values(revoked_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    session.commit()

    page.get_by_role("row").filter(has_text="Firefox on Windows").get_by_role("button", name="Revoke").click()
    _confirm_dialog(page, "Sign it out")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsettings$"))
    assert {s.id: s.revoked_at for s in _sessions_of(session, account.user_id)}[laptop] is None
    assert not _stored_refresh_token(page)


def test_tabs_share_each_rotation_of_the_refresh_token(
    page: Page, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tabs, one refresh token: each rotation one tab makes reaches the other before it renews.

    Were a tab to keep the token the other had already traded in, presenting it would look like a
    stolen token and end the session in both. (Navigating re-sends browser storage anyway; a button
    press does not, so the tab must have been told.)
    """
    # Renew on every event (the app runs in this process), so each handler call rotates the token.
    monkeypatch.setattr(app_state, "RENEW_BEFORE_EXPIRY_SECONDS", 10**6)
    account = create_account(session, "Tess Tabs")
    page.add_init_script("window.__storageEvents = 0; addEventListener('storage', () => __storageEvents++)")
    sign_in(page, account.email, at=routes.login_url(routes.SETTINGS))
    _heading(page, "Settings")

    second = page.context.new_page()
    for step, (route, heading) in enumerate(((routes.CONTACTS, "Contacts"), (routes.CHAT, "Chat"))):
        seen = page.evaluate("window.__storageEvents")
        second.goto(route)  # a new tab: it renews with the stored token, and stores the next one
        _heading(second, heading)
        expect(second.locator(".user-name")).to_contain_text("Tess Tabs")
        page.wait_for_function(f"window.__storageEvents > {seen}")
        # A button press in the first tab: it renews with whatever token that tab holds now.
        page.get_by_label("Name", exact=True).fill(f"Tess Tabs {step}")
        page.get_by_role("button", name="Save profile").click()
        expect(page.locator(".user-name")).to_have_text(f"Tess Tabs {step}")
        expect(page).to_have_url(re.compile(r"/settings$"))

    [only] = _sessions_of(session, account.user_id)
    assert only.revoked_at is None
    tokens = session.exec(select(RefreshToken).where(RefreshToken.session_id == only.id)).all()
    assert len(tokens) >= 6, "the token was not rotated on each event"
    assert [t.used_at is None for t in tokens].count(True) == 1
