"""The settings page: the user's profile, password and signed-in devices; the organization's members.

Every handler reaches the services through `_as_user`, which passes the signed-in principal to the
service, which decides what this user may see and change: an id of another organization's row is
"not found" there, never here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact.errors import DomainError, Invalid
from reachimpact.models import Role
from reachimpact.services import accounts, auth, members, overview
from reachimpact.services.auth import Principal
from reachimpact.state.app import AppState, signed_in_event
from reachimpact.state.forms import browser_id, form_text, user_message
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


@dataclass(frozen=True)
class _Lists:
    """Sessions, members and (for managers) pending invitations, times in the user's time zone."""

    sessions: list[SessionRow]
    members: list[MemberRow]
    # Whether the user may manage members (owner or admin), and the roles they may hand out.
    can_manage: bool
    role_choices: list[str]
    invites: list[InviteRow]


def _lists(session: Session, principal: Principal) -> _Lists:
    tz = zone(accounts.get_profile(session, principal).time_zone)
    can_manage = principal.role in members.MANAGERS
    return _Lists(
        sessions=[session_row(s, tz) for s in auth.list_sessions(session, principal)],
        members=[member_row(m, tz, you=principal.user_id) for m in members.list_members(session, principal)],
        can_manage=can_manage,
        role_choices=[role.value for role in Role if principal.role == Role.OWNER or role != Role.OWNER],
        invites=[invite_row(i, tz) for i in members.list_invites(session, principal)] if can_manage else [],
    )


@dataclass(frozen=True)
class _Reading:
    """Everything the page shows, read in one transaction."""

    organization: overview.OrganizationProfile | None
    profile: accounts.Profile
    lists: _Lists


def _reading(session: Session, principal: Principal) -> _Reading:
    return _Reading(
        organization=overview.organization_profile(session, organization_id=principal.organization_id),
        profile=accounts.get_profile(session, principal),
        lists=_lists(session, principal),
    )


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

    def _show_profile(self, profile: accounts.Profile) -> None:
        self._show_identity(profile)
        self.profile_name, self.profile_email = profile.name, profile.email
        self.profile_time_zone = profile.time_zone
        self.profile_version += 1

    def _show_lists(self, lists: _Lists) -> None:
        self.sessions = lists.sessions
        self.members = lists.members
        self.can_manage = lists.can_manage
        self.role_choices = lists.role_choices
        self.invites = lists.invites

    async def _reload_lists(self) -> None:
        self._show_lists(await self._as_user(_lists))

    async def _act(self, action: Callable[[Session, Principal], object], done: str) -> EventSpec:
        """Run one change through its service, then show the lists as they now are.

        The lists are read again after a refusal too: the row refused may be gone already.
        """
        try:
            await self._as_user(action)
        finally:
            await self._reload_lists()
        return rx.toast.success(done)

    @signed_in_event
    async def load(self) -> None:
        reading = await self._as_user(_reading)
        organization = reading.organization
        self.default_region = organization.default_region if organization else ""
        self.organization_time_zone = organization.time_zone if organization else ""
        self._show_profile(reading.profile)
        self._show_lists(reading.lists)
        self.profile_error = self.profile_notice = ""
        self.password_error = self.password_notice = ""
        self.invite_error = self.invite_url = ""
        self.loading = False

    @signed_in_event
    async def save_profile(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        self.profile_error = self.profile_notice = ""
        self.saving_profile = True
        yield
        name, email = form_text(form, "name"), form_text(form, "email")
        time_zone = form_text(form, "time_zone").strip()

        def save(session: Session, principal: Principal) -> tuple[accounts.Profile, _Lists]:
            accounts.update_profile(session, principal, name=name, email=email, time_zone=time_zone)
            # The lists' times follow the new time zone.
            return accounts.get_profile(session, principal), _lists(session, principal)

        try:
            profile, lists = await self._as_user(save)
        except DomainError as error:
            self.profile_error = user_message(error)
        else:
            self._show_profile(profile)
            self._show_lists(lists)
            self.profile_notice = "Profile saved."
        finally:
            self.saving_profile = False

    @signed_in_event
    async def change_password(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        self.password_error = self.password_notice = ""
        current, new = form_text(form, "current_password"), form_text(form, "new_password")
        if new != form_text(form, "confirm_password"):
            self.password_error = "The new password and its confirmation differ."
            return
        self.changing_password = True
        yield  # show the button's spinner meanwhile
        try:
            # bcrypt checks the old password and hashes the new one: half a second, in the worker thread.
            await self._as_user(
                lambda session, principal: auth.change_password(
                    session, principal, current_password=current, new_password=new
                )
            )
            self.password_notice = PASSWORD_CHANGED
        except DomainError as error:
            self.password_error = user_message(error)
        finally:
            self.changing_password = False
        await self._reload_lists()

    @signed_in_event
    async def revoke_session(self, session_id: str) -> EventSpec:
        return await self._act(
            lambda session, principal: auth.revoke_session(
                session, principal, browser_id(session_id, "session")
            ),
            "That device was signed out.",
        )

    @signed_in_event
    async def set_role(self, membership_id: str, role: str) -> EventSpec:
        return await self._act(
            lambda session, principal: members.set_role(
                session, principal, browser_id(membership_id, "member"), _role(role)
            ),
            f"Role changed to {role}.",
        )

    @signed_in_event
    async def remove_member(self, membership_id: str) -> EventSpec:
        return await self._act(
            lambda session, principal: members.remove_member(
                session, principal, browser_id(membership_id, "member")
            ),
            "Member removed.",
        )

    @signed_in_event
    async def revoke_invite(self, invite_id: str) -> EventSpec:
        return await self._act(
            lambda session, principal: members.revoke_invite(
                session, principal, browser_id(invite_id, "invite")
            ),
            "Invitation revoked.",
        )

    @signed_in_event
    async def create_invite(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        self.invite_error = self.invite_url = ""
        self.inviting = True
        yield
        email, role = form_text(form, "invite_email"), form_text(form, "role")
        try:
            created = await self._as_user(
                lambda session, principal: members.invite(session, principal, email=email, role=_role(role))
            )
            self.invite_url = created.invite_url
        except DomainError as error:
            self.invite_error = user_message(error)
        finally:
            self.inviting = False
        await self._reload_lists()
