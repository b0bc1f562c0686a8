"""Contacts: the paged, searchable, sortable table with bulk actions (adding to a campaign among them),
the create/edit dialog, the CSV import and export."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.badges import contact_badges, tag_badges
from reachimpact.components.confirm import confirm
from reachimpact.components.contact_form import contact_form
from reachimpact.components.csv_upload import csv_drop_zone
from reachimpact.components.data_table import or_dash
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.forms import form_error
from reachimpact.components.layout import template
from reachimpact.state.contact_editor import ContactEditorState
from reachimpact.state.contact_import import UPLOAD_ID, ContactImportState
from reachimpact.state.contacts import ANY_TAG, SEARCH_INPUT_ID, ContactsPagingState, ContactsState
from reachimpact.state.rows import ContactRow

TAG_CHOICES = "contact-tag-choices"
# What deleting a contact leaves behind (the foreign keys of calls and opt-outs are SET NULL).
DELETION_KEEPS = (
    "Their calls stay in the call log and an opt-out stays on the do-not-contact list. This cannot be undone."
)


# --- toolbar ------------------------------------------------------------------------------------------


def _search() -> rx.Component:
    return rx.input(
        rx.input.slot(rx.icon("search", size=16)),
        id=SEARCH_INPUT_ID,
        placeholder="Search name, phone or email",
        default_value=ContactsState.query,
        on_change=ContactsState.search.debounce(300),
        type="search",
        aria_label="Search contacts",
        max_length=200,
        width="18em",
    )


def _tag_filter() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder="All tags", aria_label="Filter by tag"),
        rx.select.content(
            rx.select.item("All tags", value=ANY_TAG),
            rx.foreach(ContactsState.tags, lambda tag: rx.select.item(tag, value=tag)),
        ),
        value=ContactsState.tag_choice,
        on_change=ContactsState.filter_tag,
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        _search(),
        _tag_filter(),
        rx.spacer(),
        rx.link(
            rx.hstack(rx.icon("phone-off", size=16), "Do-not-contact list", align="center", spacing="1"),
            href=routes.DO_NOT_CONTACT,
            size="2",
        ),
        rx.button(
            rx.icon("upload", size=16), "Import CSV", variant="soft", on_click=ContactImportState.toggle_panel
        ),
        rx.cond(
            ContactsState.can_manage,
            rx.button(
                rx.icon("download", size=16),
                "Export CSV",
                variant="soft",
                on_click=ContactsState.export,
                loading=ContactsState.exporting,
                title="The contacts matching the search and tag filter, as a CSV file",
            ),
        ),
        rx.button(rx.icon("plus", size=16), "New contact", on_click=ContactEditorState.new_contact),
        align="center",
        spacing="2",
        width="100%",
        wrap="wrap",
    )


# --- import -------------------------------------------------------------------------------------------


def _import_result() -> rx.Component:
    def count(label: str, value: rx.Var[int]) -> rx.Component:
        return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value))

    return rx.vstack(
        rx.callout(
            "Import finished.", icon="circle-check", color_scheme="green", role="status", width="100%"
        ),
        rx.data_list.root(
            count("Imported", ContactImportState.imported),
            count("Updated", ContactImportState.updated),
            count("Skipped (duplicates)", ContactImportState.skipped),
            count("Rejected", ContactImportState.rejected),
            orientation="horizontal",
            class_name="import-counts",
        ),
        rx.hstack(
            rx.cond(
                ContactImportState.has_error_file,
                rx.button(
                    rx.icon("file-warning", size=16),
                    "Download rejected rows (CSV)",
                    on_click=ContactImportState.download_errors,
                    variant="soft",
                    color_scheme="amber",
                ),
            ),
            rx.button("Import another file", on_click=ContactImportState.start_over, variant="soft"),
            spacing="2",
        ),
        spacing="3",
        width="100%",
    )


def _import_progress() -> rx.Component:
    return rx.vstack(
        rx.text(
            rx.cond(
                ContactImportState.status == "queued",
                "Waiting for the import to start…",
                f"Importing… {ContactImportState.progress}%",
            ),
            size="2",
        ),
        rx.progress(value=ContactImportState.progress, max=100, width="100%", aria_label="Import progress"),
        rx.cond(
            ContactImportState.message != "",
            rx.text(ContactImportState.message, size="1", color_scheme="gray"),
        ),
        spacing="2",
        width="100%",
        role="status",
    )


def _import_form() -> rx.Component:
    return rx.vstack(
        csv_drop_zone(UPLOAD_ID, "Drop a CSV file here, or click to choose one", icon="file-spreadsheet"),
        rx.text(
            "A header row and a phone column are needed; columns such as first name, last name, email and "
            "tags are recognised, and any other column is kept as a custom field.",
            size="1",
            color_scheme="gray",
        ),
        rx.hstack(
            rx.text("Contacts already in the list:", size="2", weight="medium"),
            rx.radio_group.root(
                rx.hstack(
                    rx.radio_group.item("Skip them", value="skip"),
                    rx.radio_group.item("Update them", value="update"),
                    spacing="4",
                ),
                value=ContactImportState.on_duplicate,
                on_change=ContactImportState.set_on_duplicate,
                aria_label="Contacts already in the list",
            ),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.button(
            "Import",
            on_click=ContactImportState.upload(rx.upload_files(upload_id=UPLOAD_ID)),
            loading=ContactImportState.uploading,
        ),
        spacing="3",
        width="100%",
    )


def _import_panel() -> rx.Component:
    return rx.cond(
        ContactImportState.panel_open | (ContactImportState.status != ""),
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading("Import contacts from a CSV file", as_="h2", size="4"),
                    rx.spacer(),
                    rx.cond(
                        ~ContactImportState.under_way,
                        rx.icon_button(
                            rx.icon("x", size=16),
                            on_click=[ContactImportState.start_over, ContactImportState.toggle_panel],
                            variant="ghost",
                            color_scheme="gray",
                            aria_label="Close import",
                        ),
                    ),
                    width="100%",
                    align="center",
                ),
                form_error(ContactImportState.error),
                rx.match(
                    ContactImportState.status,
                    ("queued", _import_progress()),
                    ("running", _import_progress()),
                    ("succeeded", _import_result()),
                    (
                        "failed",
                        rx.button("Try another file", on_click=ContactImportState.start_over, variant="soft"),
                    ),
                    _import_form(),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            class_name="import-panel",
        ),
    )


# --- bulk actions -------------------------------------------------------------------------------------


def _bulk_bar() -> rx.Component:
    count = ContactsState.selected.length()
    return rx.cond(
        count > 0,
        rx.hstack(
            rx.text(f"{count} selected", size="2", weight="medium", class_name="selected-count"),
            rx.input(
                placeholder="Tag",
                on_blur=ContactsState.set_bulk_tag,
                aria_label="Tag for the selected contacts",
                max_length=50,
                custom_attrs={"list": TAG_CHOICES},
                width="10em",
                size="1",
            ),
            rx.el.datalist(
                rx.foreach(ContactsState.tags, lambda tag: rx.el.option(value=tag)), id=TAG_CHOICES
            ),
            rx.button("Add tag", on_click=ContactsState.bulk_add_tag, size="1", variant="soft"),
            rx.button("Remove tag", on_click=ContactsState.bulk_remove_tag, size="1", variant="soft"),
            rx.cond(
                ContactsState.can_manage,
                rx.button(
                    rx.icon("megaphone", size=14),
                    "Add to campaign",
                    on_click=ContactsState.open_campaign_picker,
                    size="1",
                    variant="soft",
                ),
            ),
            confirm(
                rx.button("Delete selected", size="1", color_scheme="red", variant="soft"),
                "Delete the selected contacts?",
                f"{count} contacts will be deleted with their text conversations. {DELETION_KEEPS}",
                "Delete",
                ContactsState.bulk_delete,
            ),
            rx.button(
                "Clear selection",
                on_click=ContactsState.clear_selection,
                size="1",
                variant="ghost",
                color_scheme="gray",
            ),
            align="center",
            spacing="2",
            padding="0.5em",
            border_radius="var(--radius-3)",
            background_color=rx.color("accent", 3),
            width="100%",
            wrap="wrap",
            class_name="bulk-actions",
        ),
    )


def _campaign_picker_form() -> rx.Component:
    return rx.vstack(
        rx.text("Campaign", size="2", weight="medium"),
        rx.select.root(
            rx.select.trigger(placeholder="Choose a campaign", aria_label="Campaign", width="100%"),
            rx.select.content(
                rx.foreach(
                    ContactsState.campaign_options,
                    lambda option: rx.select.item(option.label, value=option.id),
                )
            ),
            value=ContactsState.chosen_campaign,
            on_change=ContactsState.choose_campaign,
        ),
        rx.text(
            "A draft calls them once started; a running or paused campaign calls them from now on. Numbers "
            "on the do-not-contact list are skipped.",
            size="1",
            color_scheme="gray",
        ),
        rx.hstack(
            rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
            rx.button(
                "Add",
                on_click=ContactsState.add_to_campaign,
                loading=ContactsState.adding_to_campaign,
            ),
            justify="end",
            spacing="3",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _no_campaign() -> rx.Component:
    return rx.vstack(
        empty_state(
            "megaphone",
            "Create a campaign first",
            "Contacts can be added to draft, running and paused call campaigns.",
        ),
        rx.hstack(
            rx.link("Go to campaigns", href=routes.CAMPAIGNS, size="2"),
            rx.dialog.close(rx.button("Close", type="button", variant="soft", color_scheme="gray")),
            justify="end",
            align="center",
            spacing="3",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _campaign_picker() -> rx.Component:
    """The "Add to campaign" dialog: the campaigns still taking contacts, or where to make one."""
    count = ContactsState.selected.length()
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Add to a campaign"),
            rx.dialog.description(
                rx.cond(
                    count == 1,
                    "The selected contact joins the campaign you choose.",
                    f"The {count} selected contacts join the campaign you choose.",
                ),
                size="2",
                color_scheme="gray",
                margin_bottom="1em",
            ),
            rx.vstack(
                form_error(ContactsState.campaign_error),
                rx.cond(ContactsState.campaign_options.length() > 0, _campaign_picker_form(), _no_campaign()),
                spacing="3",
                width="100%",
            ),
            max_width="30em",
        ),
        open=ContactsState.campaign_picker_open,
        on_open_change=ContactsState.set_campaign_picker_open,
    )


# --- the table ----------------------------------------------------------------------------------------


def _sort_header(label: str, column: str) -> rx.Component:
    """A column header that sorts by its column; the arrow shows the current order."""
    sorted_here = ContactsState.sort_column == column
    return rx.table.column_header_cell(
        rx.button(
            label,
            rx.cond(
                sorted_here,
                rx.cond(
                    ContactsState.sort_descending,
                    rx.icon("arrow-down", size=14),
                    rx.icon("arrow-up", size=14),
                ),
                rx.icon("arrow-up-down", size=14, color=rx.color("gray", 8)),
            ),
            on_click=ContactsState.sort_by(column),
            variant="ghost",
            color_scheme="gray",
            high_contrast=True,
            size="1",
            aria_label=f"Sort by {label.lower()}",
        ),
        custom_attrs={
            "aria-sort": rx.cond(
                sorted_here, rx.cond(ContactsState.sort_descending, "descending", "ascending"), "none"
            )
        },
    )


def _contact(row: rx.Var[ContactRow]) -> rx.Component:
    label = rx.cond(row.name != "", row.name, row.phone)
    return rx.table.row(
        rx.table.cell(
            rx.checkbox(
                checked=ContactsState.selected.contains(row.id),
                on_change=lambda checked: ContactsState.toggle_selected(row.id, checked),
                custom_attrs={"aria-label": f"Select {label}"},
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.link(
                    rx.cond(row.name != "", row.name, rx.text("(no name)", color_scheme="gray")),
                    href=f"{routes.CONTACTS}/{row.id}",
                ),
                contact_badges(row.opted_out, row.do_not_contact),
                align="center",
                spacing="2",
                wrap="wrap",
            )
        ),
        rx.table.cell(row.phone, white_space="nowrap"),
        rx.table.cell(or_dash(row.email)),
        rx.table.cell(tag_badges(row.tags)),
        rx.table.cell(row.created, white_space="nowrap"),
        rx.table.cell(
            rx.hstack(
                rx.icon_button(
                    rx.icon("pencil", size=14),
                    on_click=ContactEditorState.edit_contact(row.id),
                    variant="ghost",
                    size="1",
                    aria_label=f"Edit {label}",
                ),
                confirm(
                    rx.icon_button(
                        rx.icon("trash-2", size=14),
                        variant="ghost",
                        color_scheme="red",
                        size="1",
                        aria_label=f"Delete {label}",
                    ),
                    "Delete this contact?",
                    f"{label} will be deleted with their text conversation. {DELETION_KEEPS}",
                    "Delete",
                    ContactsState.delete_contact(row.id),
                ),
                spacing="3",
            )
        ),
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(
                    rx.checkbox(
                        checked=ContactsState.all_selected,
                        on_change=ContactsState.toggle_all,
                        custom_attrs={"aria-label": "Select all on this page"},
                    ),
                    width="2.5em",
                ),
                _sort_header("Name", "name"),
                _sort_header("Phone", "phone"),
                rx.table.column_header_cell("Email"),
                rx.table.column_header_cell("Tags"),
                _sort_header("Added", "created"),
                rx.table.column_header_cell(""),
            )
        ),
        rx.table.body(rx.foreach(ContactsState.rows, _contact)),
        variant="surface",
        size="2",
        width="100%",
        opacity=rx.cond(ContactsPagingState.page_loading, "0.5", "1"),
        custom_attrs={"aria-busy": ContactsPagingState.page_loading},
    )


def _summary() -> rx.Component:
    return rx.hstack(
        rx.text(
            ContactsState.total_label,
            size="2",
            weight="medium",
            class_name="contacts-total",
        ),
        rx.cond(
            ContactsState.total > 0,
            rx.text(
                f"showing {ContactsState.first_shown}–{ContactsState.last_shown}",
                size="2",
                color_scheme="gray",
            ),
        ),
        rx.cond(ContactsPagingState.page_loading, rx.spinner(size="1", aria_label="Loading contacts")),
        align="center",
        spacing="2",
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("chevron-left", size=16),
            "Previous",
            on_click=ContactsState.previous_page,
            disabled=(ContactsState.page_number <= 1) | ContactsPagingState.page_loading,
            variant="soft",
        ),
        rx.text(f"Page {ContactsState.page_number}", size="2", color_scheme="gray"),
        rx.button(
            "Next",
            rx.icon("chevron-right", size=16),
            on_click=ContactsState.next_page,
            disabled=~ContactsState.has_next | ContactsPagingState.page_loading,
            variant="soft",
        ),
        align="center",
        spacing="3",
        justify="end",
        width="100%",
    )


def _list() -> rx.Component:
    return rx.cond(
        ContactsState.total > 0,
        rx.vstack(_summary(), _bulk_bar(), _table(), _pager(), spacing="3", width="100%"),
        rx.cond(
            ContactsState.filtering,
            rx.vstack(
                empty_state(
                    "search-x", "No contacts match", "No contact matches this search and tag filter."
                ),
                rx.button("Clear search and filter", on_click=ContactsState.clear_filters, variant="soft"),
                align="center",
                spacing="3",
                width="100%",
            ),
            empty_state("users", "No contacts yet", "Contacts you add or import will appear here."),
        ),
    )


# --- create / edit dialog -----------------------------------------------------------------------------


def _editor() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(ContactEditorState.editing, "Edit contact", "New contact")),
            contact_form(
                ContactEditorState.draft,
                on_submit=ContactEditorState.save,
                saving=ContactEditorState.saving,
                error=ContactEditorState.error,
                key=ContactEditorState.draft_version,
            ),
            max_width="36em",
        ),
        open=ContactEditorState.dialog_open,
        on_open_change=ContactEditorState.set_dialog_open,
    )


@template(
    route=routes.CONTACTS,
    title="Contacts",
    on_load=[ContactEditorState.close, ContactsState.load, ContactImportState.resume],
)
def contacts() -> rx.Component:
    return rx.vstack(
        _toolbar(),
        _import_panel(),
        when_loaded(ContactsState.loading, _list()),
        _editor(),
        _campaign_picker(),
        spacing="4",
        width="100%",
    )
