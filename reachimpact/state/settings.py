"""The settings page: the user's profile, password and signed-in devices; the organization's members.

Every handler asks `_principal()` first and passes the principal to the service, which decides what
this user may see and change: an id of another organization's row is "not found" there, never here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact.db import session_scope
from reachimpact.errors import DomainError, Invalid
from reachimpact.models import Role
from reachimpact.services import accounts, auth, members, overview
from reachimpact.services.auth import Principal
from reachimpact.state.app import AppState
from reachimpact.state.messages import browser_id, form_text, user_message
from reachimpact.state.rows import (
    InviteRow,
    MemberRow,
    SessionRow,
    invite_row,
    member_row,
    session_row,
    zone,
)

PASSWORD_CHANGED = "Password changed. Your other sessions were signed out; this device stays signed in."


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        raise Invalid(f"Unknown role {value!r}.") from exc


class SettingsState(AppState):
    loading: bool = True

    # The organization, read-only here.
    default_region: str = ""
    organization_time_zone: str = ""

    # The profile form. Its inputs are uncontrolled: a new `profile_version` remounts them with the
    # values just loaded or saved.
    profile_name: str = ""
    profile_email: str = ""
    profile_time_zone: str = ""
    profile_version: int = 0
    profile_error: str = ""
    profile_notice: str = ""
    saving_profile: bool = False

    password_error: str = ""
    password_notice: str = ""
    changing_password: bool = False

    sessions: list[SessionRow] = rx.field(default_factory=list)

    members: list[MemberRow] = rx.field(default_factory=list)
    # Whether the user may manage members (owner or admin); the services check it again on every call.
    can_manage: bool = False
    # The roles this user may hand out: only an owner makes owners.
    role_choices: list[str] = rx.field(default_factory=list)
    invites: list[InviteRow] = rx.field(default_factory=list)
    invite_error: str = ""
    # The link of the invitation just created, shown once for the inviter to pass on.
    invite_url: str = ""
    inviting: bool = False

    def _load_profile(self, session: Session, principal: Principal) -> None:
        profile = accounts.get_profile(session, principal)
        self._show_identity(profile)
        self.profile_name, self.profile_email = profile.name, profile.email
        self.profile_time_zone = profile.time_zone
        self.profile_version += 1

    def _load_lists(self, session: Session, principal: Principal) -> None:
        """Sessions, members and (for managers) pending invitations, times in the user's time zone."""
        tz = zone(accounts.get_profile(session, principal).time_zone)
        self.sessions = [session_row(s, tz) for s in auth.list_sessions(session, principal)]
        self.members = [
            member_row(m, tz, you=principal.user_id) for m in members.list_members(session, principal)
        ]
        self.can_manage = principal.role in members.MANAGERS
        self.role_choices = [
            role.value for role in Role if principal.role == Role.OWNER or role != Role.OWNER
        ]
        self.invites = (
            [invite_row(i, tz) for i in members.list_invites(session, principal)] if self.can_manage else []
        )

    def _act(self, principal: Principal, action: Callable[[Session], object], done: str) -> EventSpec:
        """Run one change through its service, then show the lists as they now are."""
        try:
            with session_scope() as session:
                action(session)
        except DomainError as error:
            outcome = rx.toast.error(user_message(error))
        else:
            outcome = rx.toast.success(done)
        with session_scope() as session:
            self._load_lists(session, principal)
        return outcome

    @rx.event
    def load(self) -> EventSpec | None:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        with session_scope() as session:
            organization = overview.organization_profile(session, organization_id=principal.organization_id)
            self.default_region = organization.default_region if organization else ""
            self.organization_time_zone = organization.time_zone if organization else ""
            self._load_profile(session, principal)
            self._load_lists(session, principal)
        self.profile_error = self.profile_notice = ""
        self.password_error = self.password_notice = ""
        self.invite_error = self.invite_url = ""
        self.loading = False
        return None

    @rx.event
    def save_profile(self, form: dict[str, Any]) -> Iterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        self.profile_error = self.profile_notice = ""
        self.saving_profile = True
        yield
        try:
            with session_scope() as session:
                accounts.update_profile(
                    session,
                    principal,
                    name=form_text(form, "name"),
                    email=form_text(form, "email"),
                    time_zone=form_text(form, "time_zone").strip(),
                )
                self._load_profile(session, principal)
                self._load_lists(session, principal)  # their times follow the new time zone
            self.profile_notice = "Profile saved."
        except DomainError as error:
            self.profile_error = user_message(error)
        finally:
            self.saving_profile = False

    @rx.event
    async def change_password(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        self.password_error = self.password_notice = ""
        current, new = form_text(form, "current_password"), form_text(form, "new_password")
        if new != form_text(form, "confirm_password"):
            self.password_error = "The new password and its confirmation differ."
            return
        self.changing_password = True
        yield  # show the button's spinner meanwhile

        def change() -> None:
            with session_scope() as session:
                auth.change_password(session, principal, current_password=current, new_password=new)

        try:
            # bcrypt checks the old password and hashes the new one: half a second, off the event loop.
            await rx.run_in_thread(change)
            self.password_notice = PASSWORD_CHANGED
        except DomainError as error:
            self.password_error = user_message(error)
        finally:
            self.changing_password = False
        with session_scope() as session:
            self._load_lists(session, principal)

    @rx.event
    def revoke_session(self, session_id: str) -> EventSpec:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        return self._act(
            principal,
            lambda session: auth.revoke_session(session, principal, browser_id(session_id, "session")),
            "That device was signed out.",
        )

    @rx.event
    def set_role(self, membership_id: str, role: str) -> EventSpec:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        return self._act(
            principal,
            lambda session: members.set_role(
                session, principal, browser_id(membership_id, "member"), _role(role)
            ),
            f"Role changed to {role}.",
        )

    @rx.event
    def remove_member(self, membership_id: str) -> EventSpec:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        return self._act(
            principal,
            lambda session: members.remove_member(session, principal, browser_id(membership_id, "member")),
            "Member removed.",
        )

    @rx.event
    def revoke_invite(self, invite_id: str) -> EventSpec:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        return self._act(
            principal,
            lambda session: members.revoke_invite(session, principal, browser_id(invite_id, "invite")),
            "Invitation revoked.",
        )

    @rx.event
    def create_invite(self, form: dict[str, Any]) -> Iterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        self.invite_error = self.invite_url = ""
        self.inviting = True
        yield
        try:
            with session_scope() as session:
                created = members.invite(
                    session,
                    principal,
                    email=form_text(form, "invite_email"),
                    role=_role(form_text(form, "role")),
                )
            self.invite_url = created.invite_url
        except DomainError as error:
            self.invite_error = user_message(error)
        finally:
            self.inviting = False
        with session_scope() as session:
            self._load_lists(session, principal)
