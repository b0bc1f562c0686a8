"""The settings page: the organization's settings, read-only until sign-in and roles exist."""

from __future__ import annotations

import reflex as rx

from reachimpact.db import session_scope
from reachimpact.state.app import AppState


class SettingsState(AppState):
    loading: bool = True
    has_organization: bool = False
    default_region: str = ""
    time_zone: str = ""

    @rx.event
    def load(self) -> None:
        with session_scope() as session:
            profile = self._current_organization(session)
        self.has_organization = profile is not None
        self.default_region = profile.default_region if profile else ""
        self.time_zone = profile.time_zone if profile else ""
        self.loading = False
