"""What the contacts page says and sends: the dialog's fields, the count, and a time zone the service
does not know."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from reachimpact.errors import Invalid
from reachimpact.services import contacts
from reachimpact.services.contacts import ContactIn
from reachimpact.state.contact_editor import contact_input
from reachimpact.state.contacts import count_label
from reachimpact.state.rows import opted_out_of
from tests.factories import make_member


def test_the_dialog_sends_every_field_but_a_blank_time_zone() -> None:
    data = contact_input(
        {"first_name": " Ann ", "phone": "(212) 555-0143", "tags": "Volunteer, donor,", "opt_out_sms": "on"}
    )
    sent = data.model_dump(exclude_unset=True)
    # A cleared email or note clears it; a blank time zone is left for the service to find from the phone.
    assert "time_zone" not in sent
    assert (sent["email"], sent["notes"], sent["last_name"]) == (None, None, "")
    assert (sent["opt_out_calls"], sent["opt_out_sms"]) == (False, True)
    assert contacts.clean_tags(sent["tags"]) == ["volunteer", "donor"]
    assert contact_input({"phone": "1", "time_zone": " Europe/Paris "}).time_zone == "Europe/Paris"


def test_a_field_too_long_for_the_service_is_refused_with_its_name() -> None:
    with pytest.raises(Invalid, match="^First name: String should have at most 200 characters"):
        contact_input({"first_name": "x" * 201, "phone": "2125550143"})


def test_an_unknown_time_zone_is_refused(session: Session) -> None:
    owner = make_member(session)
    created = contacts.create_contact(session, owner, ContactIn(phone="2125550143"))
    with pytest.raises(Invalid, match="Unknown time zone 'Mars/Olympus'"):
        contacts.update_contact(session, owner, created.id, ContactIn(time_zone="Mars/Olympus"))
    assert contacts.get_contact(session, owner, created.id).time_zone == "America/New_York"


@pytest.mark.parametrize(
    ("calls", "sms", "said"),
    [(False, False, ""), (True, False, "calls"), (False, True, "texts"), (True, True, "calls and texts")],
)
def test_opt_outs_are_said_the_way_people_say_them(calls: bool, sms: bool, said: str) -> None:
    assert opted_out_of(calls=calls, sms=sms) == said


def test_the_count_says_when_it_stopped_counting() -> None:
    assert [count_label(n, capped=False) for n in (0, 1, 1234)] == [
        "0 contacts",
        "1 contact",
        "1,234 contacts",
    ]
    assert count_label(10_000, capped=True) == "10,000+ contacts"
