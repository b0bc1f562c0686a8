"""The Campaigns page: the organization's campaigns, and the form that creates a call campaign."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from reachimpact import routes
from reachimpact.db import session_scope
from reachimpact.errors import DomainError
from reachimpact.models import CampaignType
from reachimpact.services import campaigns
from reachimpact.services.campaigns import CampaignIn
from reachimpact.services.members import MANAGERS
from reachimpact.state.app import AppState
from reachimpact.state.messages import form_text, user_message, validated
from reachimpact.state.rows import CampaignRow, campaign_row

CAMPAIGNS_SHOWN = 100
RETRY_OUTCOMES = ("busy", "no-answer", "failed")


def _tags(text: str) -> list[str]:
    return [tag for tag in (part.strip() for part in text.split(",")) if tag]


def _number(form: dict[str, Any], name: str) -> str | None:
    # Left as text: the model says what is wrong with "abc" or -3 in the field's own words.
    return form_text(form, name).strip() or None


def campaign_input(form: dict[str, Any]) -> CampaignIn:
    """The create form's fields as the service takes them."""
    fields: dict[str, Any] = {
        "name": form_text(form, "name").strip() or None,
        "type": CampaignType.CALL,
        "script": form_text(form, "script"),
        "audience": {
            "tags": _tags(form_text(form, "tags")),
            "exclude_tags": _tags(form_text(form, "exclude_tags")),
        },
        "caller_id": form_text(form, "caller_id").strip() or None,
        "transfer_number": form_text(form, "transfer_number").strip() or None,
        "window_start": form_text(form, "window_start") or None,
        "window_end": form_text(form, "window_end") or None,
        "calls_per_minute": _number(form, "calls_per_minute"),
        "max_concurrent": _number(form, "max_concurrent"),
        "retry_policy": {
            outcome: {
                "delay_minutes": _number(form, f"retry_{outcome}_delay"),
                "max_attempts": _number(form, f"retry_{outcome}_attempts"),
            }
            for outcome in RETRY_OUTCOMES
        },
        # A checked checkbox submits "on"; an unchecked one submits nothing.
        "amd_enabled": bool(form.get("amd_enabled")),
        "machine_action": form_text(form, "machine_action") or None,
        "record_calls": bool(form.get("record_calls")),
    }
    if consent := form_text(form, "consent_message").strip():
        fields["consent_message"] = consent
    return validated(CampaignIn, {name: value for name, value in fields.items() if value is not None})


class CampaignsState(AppState):
    loading: bool = True
    can_manage: bool = False
    campaigns: list[CampaignRow] = rx.field(default_factory=list)
    total: int = 0

    creating: bool = False  # the New campaign dialog is open
    saving: bool = False
    form_error: str = ""

    @rx.event
    def load(self) -> EventSpec | None:
        principal = self._principal()
        if principal is None:
            return self._sign_in_redirect()
        self.can_manage = principal.role in MANAGERS
        with session_scope() as session:
            tz = self._organization_zone(session, principal)
            page = campaigns.list_campaigns(session, principal, limit=CAMPAIGNS_SHOWN)
        self.campaigns = [campaign_row(c, tz) for c in page.items]
        self.total = page.total
        self.loading = False
        return None

    @rx.event
    def set_creating(self, is_open: bool) -> None:
        self.creating = bool(is_open) and self.can_manage
        self.form_error = ""

    @rx.event
    def create(self, form: dict[str, Any]) -> Iterator[EventSpec | None]:
        principal = self._principal()
        if principal is None:
            yield self._sign_in_redirect()
            return
        self.form_error = ""
        self.saving = True
        yield
        try:
            data = campaign_input(form)
            with session_scope() as session:
                created = campaigns.create_campaign(session, principal, data)
        except DomainError as error:
            self.form_error = user_message(error)
            return
        finally:
            self.saving = False
        self.creating = False
        yield rx.toast.success(f"Campaign “{created.name}” created as a draft.")
        yield rx.redirect(routes.campaign_url(str(created.id)))
