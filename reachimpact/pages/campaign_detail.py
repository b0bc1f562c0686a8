"""One campaign: progress and calls changing live while it runs, its settings and history, and the
buttons that start, pause, resume, stop or delete it."""

from __future__ import annotations

import reflex as rx

from reachimpact import routes
from reachimpact.components.badges import status_badge
from reachimpact.components.call_table import call_table, live_heading
from reachimpact.components.campaign_form import campaign_form
from reachimpact.components.confirm import confirm
from reachimpact.components.empty_state import empty_state, when_loaded
from reachimpact.components.layout import template
from reachimpact.components.section import section
from reachimpact.components.stat_card import stat_card
from reachimpact.state.campaign_detail import CampaignDetailState, HistoryRow

_state = CampaignDetailState


def _back() -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon("arrow-left", size=16), "All campaigns", align="center", spacing="1"),
        href=routes.CAMPAIGNS,
        size="2",
    )


def _controls() -> rx.Component:
    status = _state.campaign.status
    busy = _state.busy
    return rx.hstack(
        rx.cond(
            status == "draft",
            confirm(
                rx.button(rx.icon("play", size=16), "Start", loading=busy),
                "Start this campaign?",
                "Its audience is fixed now and the dialer begins calling within the calling window.",
                "Start calling",
                _state.start,
            ),
        ),
        rx.cond(
            status == "running",
            rx.button(
                rx.icon("pause", size=16), "Pause", on_click=_state.pause, loading=busy, variant="soft"
            ),
        ),
        rx.cond(
            status == "paused",
            rx.button(rx.icon("play", size=16), "Resume", on_click=_state.resume, loading=busy),
        ),
        rx.cond(
            (status == "running") | (status == "paused"),
            confirm(
                rx.button(
                    rx.icon("square", size=16), "Stop", color_scheme="red", variant="soft", loading=busy
                ),
                "Stop this campaign for good?",
                "Nobody else will be called; calls under way finish. A stopped campaign cannot be restarted.",
                "Stop campaign",
                _state.stop,
            ),
        ),
        rx.cond(
            (status == "draft") | (status == "running") | (status == "paused"),
            rx.button(
                rx.icon("pencil", size=16), "Edit", on_click=_state.edit, variant="soft", color_scheme="gray"
            ),
        ),
        rx.cond(
            (status == "draft") | (status == "completed") | (status == "stopped"),
            confirm(
                rx.button(rx.icon("trash-2", size=16), "Delete", color_scheme="red", variant="ghost"),
                "Delete this campaign?",
                "The campaign goes; the calls it made stay in the call history.",
                "Delete campaign",
                _state.delete,
            ),
        ),
        spacing="2",
        class_name="campaign-controls",
    )


def _header() -> rx.Component:
    return rx.hstack(
        rx.heading(_state.campaign.name, as_="h2", size="6"),
        rx.box(status_badge(_state.campaign.status), class_name="campaign-status"),
        rx.spacer(),
        rx.cond(_state.can_manage, _controls()),
        align="center",
        spacing="3",
        width="100%",
        wrap="wrap",
    )


def _progress() -> rx.Component:
    progress = _state.progress
    return rx.vstack(
        rx.grid(
            stat_card("Audience", progress.total, "users", f"{progress.skipped} skipped (do not contact)"),
            stat_card("Queued", progress.pending, "list-ordered", "still to call"),
            stat_card(
                "Dialled", progress.calls_placed, "phone-outgoing", f"{progress.calls_active} under way"
            ),
            stat_card(
                "Answered",
                progress.answered,
                "phone-call",
                rx.cond(
                    progress.answer_rate != "", "answer rate " + progress.answer_rate, "no finished calls yet"
                ),
            ),
            stat_card("Remaining", progress.remaining, "hourglass", f"{progress.failed} gave up"),
            columns=rx.breakpoints(initial="2", md="5"),
            spacing="3",
            width="100%",
        ),
        rx.progress(value=progress.percent_done, max=100, width="100%", aria_label="Campaign progress"),
        rx.text(progress.percent_done, "% of the audience done", size="1", color_scheme="gray"),
        spacing="2",
        width="100%",
        class_name="campaign-progress",
    )


def _calls() -> rx.Component:
    return rx.vstack(
        live_heading("Calls under way", _state.live_calls.length()),
        rx.cond(
            _state.live_calls.length() > 0,
            call_table(_state.live_calls),
            rx.text("No calls under way.", size="2", color_scheme="gray"),
        ),
        rx.heading("Finished calls", as_="h2", size="4"),
        rx.cond(
            _state.recent_calls.length() > 0,
            call_table(_state.recent_calls),
            rx.text("No finished calls yet.", size="2", color_scheme="gray"),
        ),
        spacing="3",
        width="100%",
        class_name="campaign-calls",
    )


def _setting(label: str, value: rx.Var[str]) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label),
        rx.data_list.value(rx.cond(value != "", rx.text(value), rx.text("—", color_scheme="gray"))),
    )


def _history_row(row: rx.Var[HistoryRow]) -> rx.Component:
    return rx.hstack(
        rx.text(row.change, size="2"), rx.spacer(), rx.text(row.when, size="1", color_scheme="gray")
    )


def _settings() -> rx.Component:
    campaign = _state.campaign
    return rx.grid(
        section(
            "Settings",
            rx.data_list.root(
                _setting("Audience", campaign.audience),
                _setting("Calling window", campaign.window),
                _setting("Pace", campaign.pacing),
                _setting("Retries", campaign.retries),
                _setting("Caller ID", campaign.caller_id),
                _setting("Transfer to", campaign.transfer_number),
                _setting("Answering machines", campaign.machines),
                _setting("Recording", campaign.recording),
                _setting("Created", campaign.created),
            ),
        ),
        rx.vstack(
            section(
                "Script",
                rx.cond(
                    campaign.script != "",
                    # As written (Markdown source): rx.markdown would add a Markdown, math and code
                    # highlighting bundle to every page's build for this one card.
                    rx.text(campaign.script, size="2", white_space="pre-wrap", class_name="campaign-script"),
                    rx.text("No script yet.", size="2", color_scheme="gray"),
                ),
            ),
            section(
                "History",
                rx.cond(
                    campaign.history.length() > 0,
                    rx.vstack(rx.foreach(campaign.history, _history_row), width="100%"),
                    rx.text("Not started yet.", size="2", color_scheme="gray"),
                ),
            ),
            spacing="4",
            width="100%",
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
    )


def _editor() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Edit campaign"),
            campaign_form(
                _state.draft,
                on_submit=_state.save,
                saving=_state.saving,
                error=_state.edit_error,
                submit_label="Save",
                key=_state.draft_version,
            ),
            max_width="44em",
        ),
        open=_state.editing,
        on_open_change=_state.set_editing,
    )


@template(route=routes.CAMPAIGN_DETAIL, title="Campaign", on_load=CampaignDetailState.load)
def campaign_detail() -> rx.Component:
    return rx.vstack(
        _back(),
        when_loaded(
            _state.loading,
            rx.cond(
                _state.problem != "",
                empty_state("megaphone-off", "Campaign not found", _state.problem),
                rx.vstack(
                    _header(), _progress(), _calls(), _settings(), _editor(), spacing="5", width="100%"
                ),
            ),
        ),
        spacing="4",
        width="100%",
    )
