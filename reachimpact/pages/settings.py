"""Settings: the organization, the user's profile, password and signed-in devices, and the members."""

from __future__ import annotations

from zoneinfo import available_timezones

import reflex as rx
from reflex.event import EventSpec

from reachimpact import routes
from reachimpact.components.confirm import confirm
from reachimpact.components.data_table import data_table, or_dash
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.forms import form_error, form_notice, labeled_input
from reachimpact.components.layout import template
from reachimpact.components.section import section
from reachimpact.models import Role
from reachimpact.services.members import INVITE_TTL
from reachimpact.services.passwords import MIN_LENGTH
from reachimpact.state.rows import InviteRow, MemberRow, SessionRow
from reachimpact.state.settings import SettingsState

TIME_ZONE_CHOICES = "time-zone-choices"


def _confirm_button(
    trigger_label: str, title: str, description: rx.Var[str] | str, confirm_label: str, on_confirm: EventSpec
) -> rx.Component:
    """A small red button that asks before it acts."""
    trigger = rx.button(trigger_label, color_scheme="red", variant="soft", size="1")
    return confirm(trigger, title, description, confirm_label, on_confirm)


def _organization() -> rx.Component:
    return section(
        "Organization",
        rx.data_list.root(
            rx.data_list.item(
                rx.data_list.label("Name"), rx.data_list.value(SettingsState.organization_name)
            ),
            rx.data_list.item(
                rx.data_list.label("Default region"),
                rx.data_list.value(
                    rx.vstack(
                        rx.text(SettingsState.default_region),
                        rx.text(
                            "Phone numbers written without a country code are read as this region's.",
                            size="1",
                            color_scheme="gray",
                        ),
                        spacing="1",
                    )
                ),
            ),
            rx.data_list.item(
                rx.data_list.label("Time zone"), rx.data_list.value(SettingsState.organization_time_zone)
            ),
            rx.data_list.item(rx.data_list.label("Your role"), rx.data_list.value(SettingsState.role)),
        ),
    )


def _profile() -> rx.Component:
    return section(
        "Your profile",
        rx.form(
            rx.vstack(
                form_error(SettingsState.profile_error),
                form_notice(SettingsState.profile_notice),
                labeled_input(
                    "Name", "name", default_value=SettingsState.profile_name, required=True, max_length=200
                ),
                labeled_input(
                    "Email",
                    "email",
                    type="email",
                    default_value=SettingsState.profile_email,
                    required=True,
                    max_length=320,
                ),
                labeled_input(
                    "Time zone",
                    "time_zone",
                    default_value=SettingsState.profile_time_zone,
                    required=True,
                    max_length=64,
                    custom_attrs={"list": TIME_ZONE_CHOICES},
                    hint="Times in the app are shown in this zone, e.g. America/Chicago.",
                ),
                rx.el.datalist(
                    *[rx.el.option(value=name) for name in sorted(available_timezones())],
                    id=TIME_ZONE_CHOICES,
                ),
                rx.button("Save profile", type="submit", loading=SettingsState.saving_profile),
                spacing="3",
                width="100%",
                max_width="28em",
            ),
            on_submit=SettingsState.save_profile,
            # Its inputs are uncontrolled: a new key remounts them with the values just loaded or saved.
            key=SettingsState.profile_version,
            width="100%",
        ),
    )


def _password() -> rx.Component:
    return section(
        "Password",
        rx.form(
            rx.vstack(
                form_error(SettingsState.password_error),
                form_notice(SettingsState.password_notice),
                labeled_input(
                    "Current password",
                    "current_password",
                    type="password",
                    auto_complete="current-password",
                    required=True,
                    max_length=1024,
                ),
                labeled_input(
                    "New password",
                    "new_password",
                    type="password",
                    auto_complete="new-password",
                    required=True,
                    max_length=1024,
                    hint=f"At least {MIN_LENGTH} characters.",
                ),
                labeled_input(
                    "Confirm new password",
                    "confirm_password",
                    type="password",
                    auto_complete="new-password",
                    required=True,
                    max_length=1024,
                ),
                rx.button("Change password", type="submit", loading=SettingsState.changing_password),
                spacing="3",
                width="100%",
                max_width="28em",
            ),
            on_submit=SettingsState.change_password,
            reset_on_submit=True,
            width="100%",
        ),
        description="Changing it signs you out everywhere else.",
    )


def _session(row: rx.Var[SessionRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row.device, title=row.user_agent)),
        rx.table.cell(or_dash(row.ip_address)),
        rx.table.cell(row.last_used, white_space="nowrap"),
        rx.table.cell(
            rx.cond(
                row.current,
                rx.badge("This device", color_scheme="green", variant="soft"),
                _confirm_button(
                    "Revoke",
                    "Sign out this device?",
                    f"{row.device} will have to sign in again.",
                    "Sign it out",
                    SettingsState.revoke_session(row.id),
                ),
            )
        ),
    )


def _sessions() -> rx.Component:
    return section(
        "Signed-in devices",
        data_table(["Device", "IP address", "Last used", ""], SettingsState.sessions, _session),
        description="Every browser where you are signed in. Revoke the ones you do not recognise.",
    )


def _member(row: rx.Var[MemberRow]) -> rx.Component:
    # Nobody changes their own membership here (no accidental lock-out); only an owner touches owners.
    manageable = (
        SettingsState.can_manage
        & ~row.is_you
        & ((row.role != Role.OWNER.value) | SettingsState.role_choices.contains(Role.OWNER.value))
    )
    return rx.table.row(
        rx.table.cell(
            rx.hstack(
                rx.text(row.name),
                rx.cond(row.is_you, rx.badge("You", variant="outline", color_scheme="gray")),
                align="center",
                spacing="2",
            )
        ),
        rx.table.cell(row.email),
        rx.table.cell(
            rx.cond(
                manageable,
                rx.select(
                    SettingsState.role_choices,
                    value=row.role,
                    on_change=lambda role: SettingsState.set_role(row.id, role),
                    size="1",
                    # Passed to the select's button, which is what a screen reader announces.
                    custom_attrs={"aria-label": f"Role of {row.name}"},
                ),
                rx.badge(row.role, variant="soft", color_scheme="gray"),
            )
        ),
        rx.table.cell(row.joined, white_space="nowrap"),
        rx.table.cell(
            rx.cond(
                manageable,
                _confirm_button(
                    "Remove",
                    "Remove this member?",
                    f"{row.name} ({row.email}) will lose access to the organization.",
                    "Remove",
                    SettingsState.remove_member(row.id),
                ),
            )
        ),
    )


def _invite(row: rx.Var[InviteRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.email),
        rx.table.cell(rx.badge(row.role, variant="soft", color_scheme="gray")),
        rx.table.cell(row.expires, white_space="nowrap"),
        rx.table.cell(
            rx.button(
                "Revoke",
                on_click=SettingsState.revoke_invite(row.id),
                color_scheme="red",
                variant="soft",
                size="1",
            )
        ),
    )


def _invite_form() -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.vstack(
                form_error(SettingsState.invite_error),
                rx.hstack(
                    rx.box(
                        labeled_input(
                            "Email to invite", "invite_email", type="email", required=True, max_length=320
                        ),
                        flex="1",
                    ),
                    rx.vstack(
                        rx.el.label(rx.text("Role", size="2", weight="medium"), html_for="field-invite-role"),
                        rx.select(
                            SettingsState.role_choices,
                            default_value=Role.AGENT.value,
                            name="role",
                            id="field-invite-role",
                        ),
                        spacing="1",
                    ),
                    rx.button("Create invitation link", type="submit", loading=SettingsState.inviting),
                    align="end",
                    spacing="3",
                    width="100%",
                    wrap="wrap",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=SettingsState.create_invite,
            reset_on_submit=True,
            width="100%",
        ),
        rx.cond(
            SettingsState.invite_url != "",
            rx.callout.root(
                rx.callout.icon(rx.icon("link")),
                rx.vstack(
                    rx.callout.text(
                        f"Pass this link on to the invitee; it works once, within {INVITE_TTL.days} days."
                    ),
                    rx.hstack(
                        rx.input(
                            value=SettingsState.invite_url,
                            read_only=True,
                            aria_label="Invitation link",
                            width="100%",
                        ),
                        rx.button(
                            rx.icon("copy", size=16),
                            "Copy",
                            on_click=rx.set_clipboard(SettingsState.invite_url),
                            variant="soft",
                        ),
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                color_scheme="green",
                width="100%",
            ),
        ),
        width="100%",
        spacing="3",
    )


def _members() -> rx.Component:
    return section(
        "Members",
        data_table(["Name", "Email", "Role", "Joined", ""], SettingsState.members, _member),
        rx.cond(
            SettingsState.can_manage,
            rx.vstack(
                rx.heading("Invite someone", as_="h3", size="3"),
                _invite_form(),
                rx.heading("Pending invitations", as_="h3", size="3"),
                rx.cond(
                    SettingsState.invites.length() > 0,
                    data_table(["Email", "Role", "Expires", ""], SettingsState.invites, _invite),
                    empty_state(
                        "mail", "No pending invitations", "Invitations you create appear here until used."
                    ),
                ),
                spacing="3",
                width="100%",
                padding_top="0.5em",
            ),
            rx.text("Only owners and admins can invite or manage members.", size="2", color_scheme="gray"),
        ),
        description="Owners and admins manage members; agents work campaigns, calls and chat.",
    )


@template(route=routes.SETTINGS, title="Settings", on_load=SettingsState.load)
def settings() -> rx.Component:
    return when_loaded(
        SettingsState.loading,
        rx.vstack(
            _organization(),
            _profile(),
            _password(),
            _sessions(),
            _members(),
            width="100%",
            spacing="4",
        ),
    )
