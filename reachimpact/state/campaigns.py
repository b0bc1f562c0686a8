"""The Campaigns page: the organization's campaigns, and the form that creates a call campaign."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from reachimpact import routes
from reachimpact.errors import DomainError
from reachimpact.models import CampaignStatus, CampaignType
from reachimpact.services import campaigns
from reachimpact.services.auth import Principal
from reachimpact.services.campaigns import CampaignIn, CampaignPublic
from reachimpact.services.members import MANAGERS
from reachimpact.state.app import AppState, signed_in_event
from reachimpact.state.forms import form_text, user_message, validated
from reachimpact.state.rows import CampaignRow, campaign_row

CAMPAIGNS_SHOWN = 100
RETRY_OUTCOMES = ("busy", "no-answer", "failed")


def _tags(text: str) -> list[str]:
    return [tag for tag in (part.strip() for part in text.split(",")) if tag]


def _field(outcome: str, part: str) -> str:
    """The form field of one retry setting: retry_no_answer_attempts, retry_busy_delay..."""
    return f"retry_{outcome.replace('-', '_')}_{part}"


@dataclass
class CampaignDraft:
    """What the campaign form shows when it opens: a new campaign's defaults, or a campaign's values."""

    name: str = ""
    script: str = ""
    tags: str = ""
    exclude_tags: str = ""
    # Why the audience cannot be changed in the form ("" when it can): fixed once started, or a list
    # of contacts chosen on the Contacts page.
    audience_fixed: str = ""
    caller_id: str = ""
    transfer_number: str = ""
    window_start: str = "09:00"
    window_end: str = "20:00"
    calls_per_minute: str = "10"
    max_concurrent: str = "5"
    retry_busy_attempts: str = "3"
    retry_busy_delay: str = "30"
    retry_no_answer_attempts: str = "3"
    retry_no_answer_delay: str = "120"
    retry_failed_attempts: str = "2"
    retry_failed_delay: str = "60"
    amd_enabled: bool = False
    machine_action: str = "hangup"
    record_calls: bool = False


def draft_of(campaign: CampaignPublic) -> CampaignDraft:
    audience = campaign.audience or {}
    if campaign.status != CampaignStatus.DRAFT:
        fixed = "Fixed when the campaign started."
    elif audience.get("contact_ids") is not None or audience.get("q"):
        fixed = "Contacts chosen on the Contacts page; add more there."
    else:
        fixed = ""
    retries = {
        _field(outcome, part): str(rule[key])
        for outcome, rule in campaign.retry_policy.items()
        if outcome in RETRY_OUTCOMES
        for part, key in (("attempts", "max_attempts"), ("delay", "delay_minutes"))
    }
    return CampaignDraft(
        name=campaign.name,
        script=campaign.script,
        tags=", ".join(audience.get("tags", [])),
        exclude_tags=", ".join(audience.get("exclude_tags", [])),
        audience_fixed=fixed,
        caller_id=campaign.caller_id or "",
        transfer_number=campaign.transfer_number or "",
        window_start=f"{campaign.window_start:%H:%M}",
        window_end=f"{campaign.window_end:%H:%M}",
        calls_per_minute=str(campaign.calls_per_minute),
        max_concurrent=str(campaign.max_concurrent),
        amd_enabled=campaign.amd_enabled,
        machine_action=campaign.machine_action,
        record_calls=campaign.record_calls,
        **retries,
    )


def _number(form: dict[str, Any], name: str) -> str | None:
    # Left as text: the model says what is wrong with "abc" or -3 in the field's own words.
    return form_text(form, name).strip() or None


def campaign_input(form: dict[str, Any], *, with_audience: bool) -> CampaignIn:
    """The campaign form's fields as the service takes them; the audience only where the form showed it."""
    fields: dict[str, Any] = {
        "name": form_text(form, "name").strip() or None,
        "script": form_text(form, "script"),
        "caller_id": form_text(form, "caller_id").strip() or None,
        "transfer_number": form_text(form, "transfer_number").strip() or None,
        "window_start": form_text(form, "window_start") or None,
        "window_end": form_text(form, "window_end") or None,
        "calls_per_minute": _number(form, "calls_per_minute"),
        "max_concurrent": _number(form, "max_concurrent"),
        "retry_policy": {
            outcome: {
                "delay_minutes": _number(form, _field(outcome, "delay")),
                "max_attempts": _number(form, _field(outcome, "attempts")),
            }
            for outcome in RETRY_OUTCOMES
            if _number(form, _field(outcome, "delay")) or _number(form, _field(outcome, "attempts"))
        }
        or None,
        # A checked checkbox submits "on"; an unchecked one submits nothing.
        "amd_enabled": bool(form.get("amd_enabled")),
        "machine_action": form_text(form, "machine_action") or None,
        "record_calls": bool(form.get("record_calls")),
    }
    if with_audience:
        fields["audience"] = {
            "tags": _tags(form_text(form, "tags")),
            "exclude_tags": _tags(form_text(form, "exclude_tags")),
        }
    # An empty number or time keeps the default; an empty name is refused; an empty caller ID clears it.
    always = ("name", "caller_id", "transfer_number")
    return validated(CampaignIn, {k: v for k, v in fields.items() if v is not None or k in always})


@dataclass(frozen=True)
class _Reading:
    """What the Campaigns page shows, read in one transaction."""

    can_manage: bool
    campaigns: list[CampaignRow]


class CampaignsState(AppState):
    loading: bool = True
    can_manage: bool = False
    campaigns: list[CampaignRow] = rx.field(default_factory=list)

    creating: bool = False  # the New campaign dialog is open
    draft: CampaignDraft = rx.field(default_factory=CampaignDraft)
    saving: bool = False
    form_error: str = ""

    def _reading(self, session: Session, principal: Principal) -> _Reading:
        tz = self._organization_zone(session, principal)
        page = campaigns.list_campaigns(session, principal, limit=CAMPAIGNS_SHOWN)
        return _Reading(
            can_manage=principal.role in MANAGERS, campaigns=[campaign_row(c, tz) for c in page.items]
        )

    @signed_in_event
    async def load(self) -> None:
        reading = await self._as_user(self._reading)
        self.can_manage = reading.can_manage
        self.campaigns = reading.campaigns
        self.loading = False

    @rx.event
    def set_creating(self, is_open: bool) -> None:
        self.creating = bool(is_open) and self.can_manage
        self.form_error = ""

    @signed_in_event
    async def create(self, form: dict[str, Any]) -> AsyncIterator[EventSpec | None]:
        self.form_error = ""
        self.saving = True
        yield
        try:
            data = campaign_input(form, with_audience=True)
            data.type = CampaignType.CALL
            created = await self._as_user(
                lambda session, principal: campaigns.create_campaign(session, principal, data)
            )
        except DomainError as error:
            self.form_error = user_message(error)
            return
        finally:
            self.saving = False
        self.creating = False
        yield rx.toast.success(f"Campaign “{created.name}” created as a draft.")
        yield rx.redirect(routes.campaign_url(str(created.id)))
