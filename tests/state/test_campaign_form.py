"""What the campaign form sends and shows: a campaign's values survive the round trip through the form,
the audience is sent only where the form may change it, and a bad field is named."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from sqlmodel import Session

from reachimpact.errors import Invalid
from reachimpact.services import campaigns
from reachimpact.services.campaign_audience import Audience
from reachimpact.state.campaigns import campaign_input, draft_of
from tests.factories import make_member


def _as_form(draft: object) -> dict[str, str]:
    """What the browser submits for a draft: text fields as text, a checked checkbox as "on"."""
    form: dict[str, str] = {}
    for name, value in asdict(draft).items():  # type: ignore[call-overload]
        if isinstance(value, bool):
            if value:
                form[name] = "on"
        elif name != "audience_fixed":
            form[name] = value
    return form


def test_a_campaign_comes_back_from_the_form_unchanged(session: Session) -> None:
    owner = make_member(session)
    data = campaign_input(
        {
            "name": " Turnout ",
            "script": "Hello",
            "tags": "Volunteer, donor,",
            "exclude_tags": "staff",
            "caller_id": "(202) 555-0100",
            "window_start": "08:30",
            "window_end": "19:00",
            "calls_per_minute": "30",
            "max_concurrent": "4",
            "retry_busy_attempts": "1",
            "retry_busy_delay": "5",
            "retry_no_answer_attempts": "2",
            "retry_no_answer_delay": "60",
            "retry_failed_attempts": "1",
            "retry_failed_delay": "0",
            "amd_enabled": "on",
            "machine_action": "leave_message",
        },
        with_audience=True,
    )
    created = campaigns.create_campaign(session, owner, data)
    draft = draft_of(created)
    assert draft.name == "Turnout" and draft.tags == "volunteer, donor" and draft.exclude_tags == "staff"
    assert (draft.caller_id, draft.window_start, draft.calls_per_minute) == ("+12025550100", "08:30", "30")
    assert (draft.retry_no_answer_attempts, draft.retry_failed_delay) == ("2", "0")
    assert (draft.amd_enabled, draft.machine_action, draft.record_calls) == (True, "leave_message", False)
    assert draft.audience_fixed == ""

    again = campaigns.update_campaign(
        session, owner, created.id, campaign_input(_as_form(draft), with_audience=True)
    )
    assert again.model_dump(exclude={"updated_at"}) == created.model_dump(exclude={"updated_at"})


def test_the_audience_is_sent_only_where_the_form_showed_it(session: Session) -> None:
    form = {"name": "Calls", "tags": "donor"}
    assert "audience" not in campaign_input(form, with_audience=False).model_fields_set
    assert campaign_input(form, with_audience=True).audience.tags == ["donor"]  # type: ignore[union-attr]

    owner = make_member(session)
    listed = campaigns.create_campaign(
        session,
        owner,
        campaign_input({"name": "Chosen"}, with_audience=False).model_copy(
            update={"audience": Audience(contact_ids=[])}
        ),
    )
    assert draft_of(listed).audience_fixed.startswith("Contacts chosen on the Contacts page")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("calls_per_minute", "0", "Calls per minute:"),
        ("max_concurrent", "abc", "Max concurrent:"),
        ("name", "", "name cannot be empty"),
    ],
)
def test_a_bad_field_is_named(session: Session, field: str, value: str, message: str) -> None:
    owner = make_member(session)
    created = campaigns.create_campaign(session, owner, campaign_input({"name": "Calls"}, with_audience=True))
    with pytest.raises(Invalid, match=message):
        campaigns.update_campaign(
            session, owner, created.id, campaign_input({"name": "Calls", field: value}, with_audience=False)
        )
