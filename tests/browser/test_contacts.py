"""Contacts in a real browser: CSV import followed to its counts, search, tag filter, sorting, bulk tags,
adding the selected contacts to a campaign, export, the create/edit dialog, deletion, the detail page's
timeline, the do-not-contact list, and the states' refusal to touch another organization's contacts even
when the browser asks for them by id."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect
from sqlmodel import Session, select

from reachimpact import routes
from reachimpact.models import (
    Call,
    CallStatus,
    Campaign,
    CampaignStatus,
    Contact,
    Conversation,
    Direction,
    Message,
    MessageStatus,
    OptOut,
    Role,
)
from tests.browser.accounts import Account, create_account, sign_in, swap_ids_sent_to_the_app
from tests.jobs.job_worker import job_worker

# Two good rows, a bad number, a repeat of the first row, and one more good row (with a BOM and CRLF,
# as spreadsheets write them).
CONTACTS_CSV = (
    "\ufeffPhone Number,First Name,Last Name,E-mail,Tags\r\n"
    '2125550101,Ada,Lovelace,ada@example.org,"donor,volunteer"\r\n'
    "(212) 555-0102,Grace,Hopper,grace@example.org,volunteer\r\n"
    "12,Bad,Number,,\r\n"
    "212.555.0101,Ada,Again,,\r\n"
    "+1 212 555 0103,Alan,Turing,,donor\r\n"
).encode()


def _heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def _toast(page: Page, text: str) -> None:
    expect(page.locator("[data-sonner-toast]").filter(has_text=text)).to_be_visible()


def _confirm(page: Page, button: str) -> None:
    page.get_by_role("alertdialog").get_by_role("button", name=button).click()


def _total(page: Page) -> Locator:
    return page.locator(".contacts-total")


def _names(page: Page) -> Locator:
    """The names in the table, in its order (each links to the contact's page)."""
    return page.locator("tbody").get_by_role("link")


def _search(page: Page, text: str) -> None:
    page.get_by_label("Search contacts").fill(text)


def _upload(page: Page, name: str, content: bytes) -> None:
    page.locator(".import-panel input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    expect(page.locator(".import-panel .selected-file")).to_have_text(name)
    page.get_by_role("button", name="Import", exact=True).click()


def _downloaded(page: Page, button: Locator) -> list[list[str]]:
    """The rows of the CSV file that clicking `button` downloads."""
    with page.expect_download() as download:
        button.click()
    return list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))


def test_import_then_search_filter_sort_bulk_tag_and_export(
    page: Page, session: Session, tmp_path: Path
) -> None:
    owner = create_account(session, "Olive Owner")
    sign_in(page, owner.email, at=routes.login_url(routes.CONTACTS))
    _heading(page, "Contacts")
    expect(page.locator(".empty-state")).to_contain_text("No contacts yet")

    # A file without a phone column is refused at once, naming the columns it has.
    page.get_by_role("button", name="Import CSV").click()
    _upload(page, "names.csv", b"Name,Email\nAnn,ann@example.org\n")
    expect(page.locator(".import-panel").get_by_role("alert")).to_contain_text(
        "No phone column found. Columns in the file: 'Name', 'Email'"
    )

    # A good file is queued; with no worker yet, the page says it waits, then follows the job to its end.
    page.get_by_label("Update them").click()
    page.get_by_label("Skip them").click()
    _upload(page, "contacts.csv", CONTACTS_CSV)
    expect(page.locator(".import-panel")).to_contain_text("Waiting for the import to start")
    expect(page.get_by_role("progressbar", name="Import progress")).to_be_visible()
    with job_worker(tmp_path / "worker.log"):
        expect(page.locator(".import-panel")).to_contain_text("Import finished.", timeout=20_000)
    counts = page.locator(".import-counts")
    for label, value in (
        ("Imported", "3"),
        ("Updated", "0"),
        ("Skipped (duplicates)", "1"),
        ("Rejected", "1"),
    ):
        expect(counts.get_by_text(label, exact=True).locator("xpath=..")).to_contain_text(value)
    rejected = _downloaded(page, page.get_by_role("button", name=re.compile("rejected rows")))
    assert rejected[1][:2] == ["4", "Phone '12' is too short."]

    # The table shows the imported contacts, newest first, then sorted by name both ways.
    expect(_total(page)).to_have_text("3 contacts")
    expect(page.locator("tbody tr")).to_have_count(3)
    page.get_by_role("button", name="Sort by name").click()
    expect(_names(page)).to_have_text(["Grace Hopper", "Ada Lovelace", "Alan Turing"])
    page.get_by_role("button", name="Sort by name").click()
    expect(_names(page)).to_have_text(["Alan Turing", "Ada Lovelace", "Grace Hopper"])

    # Search by name, by the last digits of a number, and the tag filter narrow the table.
    _search(page, "grace")
    expect(_names(page)).to_have_text(["Grace Hopper"])
    expect(_total(page)).to_have_text("1 contact")
    _search(page, "0103")
    expect(_names(page)).to_have_text(["Alan Turing"])
    _search(page, "nobody")
    expect(page.locator(".empty-state")).to_contain_text("No contacts match")
    page.get_by_role("button", name="Clear search and filter").click()
    expect(_total(page)).to_have_text("3 contacts")
    page.get_by_role("combobox", name="Filter by tag").click()
    page.get_by_role("option", name="donor").click()
    expect(_names(page)).to_have_text(["Alan Turing", "Ada Lovelace"])

    # The export is the current filter's contacts.
    header, *exported = _downloaded(page, page.get_by_role("button", name="Export CSV"))
    assert sorted(row[header.index("first_name")] for row in exported) == ["Ada", "Alan"]

    # Bulk: tag every contact on the page, then take the tag off one.
    page.get_by_role("combobox", name="Filter by tag").click()
    page.get_by_role("option", name="All tags").click()
    expect(_total(page)).to_have_text("3 contacts")
    page.get_by_role("checkbox", name="Select all on this page").click()
    expect(page.locator(".selected-count")).to_have_text("3 selected")
    page.get_by_label("Tag for the selected contacts").fill("Gala")
    page.get_by_role("button", name="Add tag").click()
    _toast(page, "Tag 'gala' added to 3 contacts.")
    page.get_by_role("checkbox", name="Select Ada Lovelace").click()
    page.get_by_label("Tag for the selected contacts").fill("gala")
    page.get_by_role("button", name="Remove tag").click()
    _toast(page, "Tag 'gala' removed from 1 contact.")
    expect(page.get_by_role("row").filter(has_text="Grace Hopper")).to_contain_text("gala")
    session.expire_all()
    tags = {c.first_name: c.tags for c in session.exec(select(Contact)).all()}
    assert tags == {"Ada": ["donor", "volunteer"], "Grace": ["volunteer", "gala"], "Alan": ["donor", "gala"]}

    # Paging: 50 a page, Next and Previous, in the sort chosen above (by name, Z to A).
    session.add_all(
        Contact(
            organization_id=owner.organization_id,
            first_name=f"F{n:02}",
            last_name="Filler",
            phone=f"+1312555{n:04}",
        )
        for n in range(50)
    )
    session.commit()
    page.reload()
    expect(_total(page)).to_have_text("53 contacts")
    expect(page.locator("tbody tr")).to_have_count(50)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(_names(page)).to_have_text(["F02 Filler", "F01 Filler", "F00 Filler"])
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    page.get_by_role("button", name="Previous").click()
    expect(page.get_by_text("Page 1")).to_be_visible()
    expect(_names(page).first).to_have_text("Alan Turing")


def test_add_the_selected_contacts_to_a_campaign(page: Page, session: Session) -> None:
    owner = create_account(session, "Olive Owner")
    org = owner.organization_id
    ada, grace, alan = (
        Contact(organization_id=org, first_name=first, last_name=last, phone=phone)
        for first, last, phone in (
            ("Ada", "Lovelace", "+12125550101"),
            ("Grace", "Hopper", "+12125550102"),
            ("Alan", "Turing", "+12125550103"),
        )
    )
    session.add_all([ada, grace, alan])
    session.commit()
    sign_in(page, owner.email, at=routes.login_url(routes.CONTACTS))
    expect(_total(page)).to_have_text("3 contacts")

    # No campaign takes contacts yet: the dialog says to create one, and where.
    page.get_by_role("checkbox", name="Select Ada Lovelace").click()
    page.get_by_role("button", name="Add to campaign").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".empty-state")).to_contain_text("Create a campaign first")
    expect(dialog.get_by_role("link", name="Go to campaigns")).to_have_attribute("href", routes.CAMPAIGNS)
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)

    # Drafts, newest first, are offered; a stopped campaign is not. One chosen by tags refuses, saying so.
    now = datetime.now(UTC)
    spring, donors, stopped = (
        Campaign(organization_id=org, name="Spring drive", created_at=now - timedelta(hours=3)),
        Campaign(
            organization_id=org,
            name="Donors",
            audience={"tags": ["donor"]},
            created_at=now - timedelta(hours=2),
        ),
        Campaign(organization_id=org, name="Old drive", status=CampaignStatus.STOPPED, created_at=now),
    )
    session.add_all([spring, donors, stopped])
    session.commit()
    page.get_by_role("checkbox", name="Select Alan Turing").click()
    expect(page.locator(".selected-count")).to_have_text("2 selected")
    page.get_by_role("button", name="Add to campaign").click()
    expect(dialog).to_contain_text("The 2 selected contacts join the campaign you choose.")
    campaign = dialog.get_by_role("combobox", name="Campaign")
    expect(campaign).to_have_text("Donors (draft)")
    dialog.get_by_role("button", name="Add", exact=True).click()
    expect(dialog.get_by_role("alert")).to_contain_text("The audience of 'Donors' is chosen by tags")
    campaign.click()
    expect(page.get_by_role("option")).to_have_text(["Donors (draft)", "Spring drive (draft)"])
    page.get_by_role("option", name="Spring drive (draft)").click()
    dialog.get_by_role("button", name="Add", exact=True).click()
    _toast(page, "Added 2 contacts to Spring drive.")
    expect(dialog).to_have_count(0)
    expect(page.locator(".bulk-actions")).to_have_count(0)

    session.expire_all()
    added = session.get(Campaign, spring.id)
    assert added is not None
    assert sorted(added.audience["contact_ids"]) == sorted([str(ada.id), str(alan.id)])
    assert len(added.audience) == 1 and len(added.audience["contact_ids"]) == 2
    assert session.get(Campaign, donors.id).audience == {"tags": ["donor"]}  # type: ignore[union-attr]


def _seed_history(session: Session, account: Account) -> Contact:
    """A contact with a call two days ago and a text an hour ago."""
    now = datetime.now(UTC)
    grace = Contact(
        organization_id=account.organization_id,
        first_name="Grace",
        last_name="Hopper",
        phone="+12125550102",
        time_zone="America/New_York",
        custom_fields={"ward": "3"},
    )
    session.add(grace)
    session.flush()
    session.add(
        Call(
            organization_id=grace.organization_id,
            contact_id=grace.id,
            twilio_sid="CA" + uuid.uuid4().hex,
            from_number="+15555550100",
            to_number=grace.phone,
            status=CallStatus.COMPLETED,
            duration_seconds=65,
            created_at=now - timedelta(days=2),
        )
    )
    conversation = Conversation(organization_id=grace.organization_id, contact_id=grace.id)
    session.add(conversation)
    session.flush()
    session.add(
        Message(
            organization_id=grace.organization_id,
            conversation_id=conversation.id,
            contact_id=grace.id,
            direction=Direction.INBOUND,
            body="Happy to help on Saturday",
            status=MessageStatus.RECEIVED,
            from_number=grace.phone,
            to_number="+15555550100",
            created_at=now - timedelta(hours=1),
        )
    )
    session.commit()
    return grace


def test_create_edit_delete_do_not_contact_and_the_detail_page(page: Page, session: Session) -> None:
    owner = create_account(session, "Olive Owner")
    grace = _seed_history(session, owner)
    stranger = Contact(
        organization_id=create_account(session, "Theo Theirs").organization_id,
        first_name="Zed",
        last_name="Outsider",
        phone="+12125550199",
    )
    session.add(stranger)
    session.commit()
    sign_in(page, owner.email, at=routes.login_url(routes.CONTACTS))
    expect(_total(page)).to_have_text("1 contact")

    # Create: the service's reason for refusing shows in the dialog, and what was typed stays.
    page.get_by_role("button", name="New contact").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("First name").fill("Nia")
    dialog.get_by_label("Phone").fill("12")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_have_text("Phone '12' is too short.")
    expect(dialog.get_by_label("First name")).to_have_value("Nia")
    dialog.get_by_label("Phone").fill("(415) 555-0199")
    dialog.get_by_label("Tags").fill("Volunteer, donor")
    dialog.get_by_role("button", name="Save").click()
    _toast(page, "Nia added.")
    expect(dialog).to_have_count(0)
    expect(_total(page)).to_have_text("2 contacts")

    # Edit: the dialog opens with the contact's values; the changes show in the table.
    page.get_by_role("button", name="Edit Nia").click()
    expect(dialog.get_by_label("Phone")).to_have_value("+14155550199")
    expect(dialog.get_by_label("Tags")).to_have_value("volunteer, donor")
    dialog.get_by_label("Last name").fill("Njoroge")
    dialog.get_by_label("Opted out of texts").click()
    dialog.get_by_role("button", name="Save").click()
    _toast(page, "Nia Njoroge saved.")
    nia_row = page.get_by_role("row").filter(has_text="Nia Njoroge")
    expect(nia_row).to_contain_text("Opted out")
    session.expire_all()
    nia = session.exec(select(Contact).where(Contact.first_name == "Nia")).one()
    assert (nia.last_name, nia.phone, nia.tags, nia.opt_out_sms, nia.opt_out_calls) == (
        "Njoroge",
        "+14155550199",
        ["volunteer", "donor"],
        True,
        False,
    )
    assert nia.time_zone == "America/Los_Angeles"
    nia_id = nia.id

    # Delete, after confirming.
    nia_row.get_by_role("button", name="Delete Nia Njoroge").click()
    _confirm(page, "Delete")
    _toast(page, "Contact deleted.")
    expect(nia_row).to_have_count(0)
    session.expire_all()
    assert session.get(Contact, nia_id) is None

    # Do-not-contact: a bad number is refused with the reason; a good one marks the contact.
    page.get_by_role("link", name="Do-not-contact list").click()
    _heading(page, "Do-not-contact list")
    expect(page.locator(".empty-state")).to_contain_text("No numbers on the list")
    page.get_by_label("Phone").fill("555")
    page.get_by_role("button", name="Add to the list").click()
    expect(page.get_by_role("alert")).to_contain_text("Phone '555'")
    page.get_by_label("Phone").fill("212-555-0102")
    page.get_by_label("Reason").fill("asked at the door")
    page.get_by_role("button", name="Add to the list").click()
    _toast(page, "+12125550102 will not be contacted (calls and texts).")
    expect(page.get_by_role("row").filter(has_text="+12125550102")).to_contain_text("asked at the door")
    # A CSV of numbers: new ones added, listed ones counted, bad lines shown with their reason.
    page.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "numbers.csv",
                "mimeType": "text/csv",
                "buffer": b"mobile\n2125550177\n12\n212 555 0102\n",
            }
        ]
    )
    page.get_by_role("button", name="Import numbers").click()
    expect(page.locator(".numbers-import-summary")).to_have_text(
        "Added 1 number; 1 number already listed; 1 line rejected."
    )
    expect(page.get_by_role("row").filter(has_text="Phone '12' is too short.")).to_contain_text("3")
    expect(page.get_by_role("row").filter(has_text="+12125550177")).to_contain_text("import")
    page.get_by_role("link", name="All contacts").click()
    grace_row = page.get_by_role("row").filter(has_text="Grace Hopper")
    expect(grace_row).to_contain_text("Do not contact")

    # The detail page: fields and the timeline, newest first.
    grace_row.get_by_role("link", name="Grace Hopper").click()
    expect(page).to_have_url(re.compile(f"/contacts/{grace.id}$"))
    fields = page.locator(".contact-fields")
    expect(fields.get_by_role("heading", level=2)).to_have_text("Grace Hopper")
    expect(fields).to_contain_text("Do not contact")
    expect(fields).to_contain_text("America/New_York")
    expect(
        fields.get_by_role("term").filter(has_text="ward").locator("xpath=following-sibling::*[1]")
    ).to_have_text("3")
    events = page.locator(".timeline-event")
    expect(events).to_have_count(3)
    expect(events.nth(0)).to_contain_text("Opted out (all)")
    expect(events.nth(0)).to_contain_text("asked at the door")
    expect(events.nth(1)).to_contain_text("Inbound text")
    expect(events.nth(1)).to_contain_text("Happy to help on Saturday")
    expect(events.nth(2)).to_contain_text("Outbound call")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts")
    ).to_have_attribute("aria-current", "page")

    # Another organization's contact, by its address: "not found", and nothing of it.
    page.goto(routes.contact_url(str(stranger.id)))
    expect(page.locator(".empty-state")).to_contain_text("That contact was not found")
    expect(page.locator("main")).not_to_contain_text("Outsider")
    expect(page.locator(".timeline")).to_have_count(0)


def test_contact_handlers_answer_not_found_for_another_organizations_ids(
    page: Page, session: Session, browser: Browser, base_url: str
) -> None:
    ours = create_account(session, "Una Ours")
    agent = create_account(session, "Al Agent", organization_id=ours.organization_id, role=Role.AGENT)
    theirs = create_account(session, "Thea Theirs")
    our_contact = Contact(
        organization_id=ours.organization_id, first_name="Olga", last_name="Ours", phone="+12125550111"
    )
    their_contact = Contact(
        organization_id=theirs.organization_id, first_name="Theo", last_name="Theirs", phone="+12125550122"
    )
    our_entry = OptOut(organization_id=ours.organization_id, phone="+12125550133")
    their_entry = OptOut(organization_id=theirs.organization_id, phone="+12125550144")
    session.add_all([our_contact, their_contact, our_entry, their_entry])
    session.commit()

    swap_ids_sent_to_the_app(page, {our_contact.id: their_contact.id, our_entry.id: their_entry.id})
    sign_in(page, ours.email, at=routes.login_url(routes.CONTACTS))
    olga = page.get_by_role("row").filter(has_text="Olga Ours")

    # Checking the row asks to select their contact, which this page does not show: nothing is selected
    # (seen once the next event, asking to edit it, has answered).
    olga.get_by_role("checkbox").click()
    olga.get_by_role("button", name="Edit Olga Ours").click()
    _toast(page, "That contact was not found")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator(".bulk-actions")).to_have_count(0)

    # Each refusal on a fresh page, so that its toast cannot be mistaken for the one before.
    page.goto(routes.DO_NOT_CONTACT)
    page.get_by_role("row").filter(has_text="+12125550133").get_by_role("button", name="Remove").click()
    _confirm(page, "Remove")
    _toast(page, "That do-not-contact entry was not found")

    page.goto(routes.CONTACTS)
    olga.get_by_role("button", name="Delete Olga Ours").click()
    _confirm(page, "Delete")
    _toast(page, "That contact was not found")

    session.expire_all()
    assert session.get(Contact, their_contact.id).first_name == "Theo"  # type: ignore[union-attr]
    assert session.get(Contact, our_contact.id) is not None
    assert session.get(OptOut, their_entry.id) is not None and session.get(OptOut, our_entry.id) is not None

    # An agent may edit but not delete, and is told so; the export is not offered.
    context = browser.new_context(base_url=base_url)
    try:
        agent_page = context.new_page()
        sign_in(agent_page, agent.email, at=routes.login_url(routes.CONTACTS))
        expect(agent_page.locator(".contacts-total")).to_have_text("1 contact")
        expect(agent_page.get_by_role("button", name="Export CSV")).to_have_count(0)
        agent_page.get_by_role("checkbox", name="Select Olga Ours").click()
        expect(agent_page.locator(".selected-count")).to_have_text("1 selected")
        expect(agent_page.get_by_role("button", name="Add to campaign")).to_have_count(0)
        agent_page.get_by_role("button", name="Delete Olga Ours").click()
        _confirm(agent_page, "Delete")
        _toast(agent_page, "Your role (agent) cannot delete contacts.")
    finally:
        context.close()
    session.expire_all()
    assert session.get(Contact, our_contact.id) is not None
