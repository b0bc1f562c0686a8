"""Importing a CSV of contacts from the contacts page: the upload, then the job followed to its end.

The upload is checked at once (a file with no phone column is refused with the columns it has) and the
import itself runs on the job queue. A background event re-reads the job twice a second, so the page
shows its progress and then its counts; the rejected rows come back as a CSV through this state, for
the signed-in user of the job's organization only (no link that works without the session).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import reflex as rx
from reflex.event import EventSpec

from reachimpact.errors import DomainError, NotFound
from reachimpact.jobs import imports, tracked
from reachimpact.jobs.tracked import JobPublic
from reachimpact.models import JobStatus
from reachimpact.services.contact_import import DuplicatePolicy
from reachimpact.state.app import AppState, SignedOut, signed_in_event
from reachimpact.state.contacts import ContactsState
from reachimpact.state.forms import user_message

UPLOAD_ID = "contacts-csv"
POLL_SECONDS = 0.5
# A page stops following after this long; the job goes on, and coming back to the page resumes.
FOLLOW_FOR_SECONDS = 3600
# No read of the job for this long: nobody follows it any more.
FOLLOWER_SILENT_SECONDS = 4 * POLL_SECONDS
UNDER_WAY = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
UPLOAD_PIECE_BYTES = 1 << 20


class ContactImportState(AppState):
    panel_open: bool = False
    on_duplicate: str = DuplicatePolicy.SKIP.value
    uploading: bool = False
    error: str = ""  # why the file was refused, or why the import failed

    # The job: "" before one is started, then queued / running / succeeded / failed.
    status: str = ""
    progress: int = 0  # percent
    message: str = ""
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    has_error_file: bool = False

    # Backend-only: the job this tab follows (never taken from the browser), and when it was last read.
    # A recent read means a background event is following it now; a stale one (its follower ended with
    # a backend restart) lets the next visit start another.
    _job_id: str = ""
    _polled_at: float = 0.0

    @rx.var
    def under_way(self) -> bool:
        return self.uploading or self.status in UNDER_WAY

    @rx.event
    def toggle_panel(self) -> None:
        self.panel_open = not self.panel_open

    @rx.event
    def set_on_duplicate(self, value: str) -> None:
        if value in {policy.value for policy in DuplicatePolicy}:
            self.on_duplicate = value

    def _forget_job(self) -> None:
        self._job_id = ""
        self._polled_at = 0.0
        self.status = self.error = self.message = ""
        self.progress = self.imported = self.updated = self.skipped = self.rejected = 0
        self.has_error_file = False

    @rx.event
    def start_over(self) -> None:
        """Forget the finished import, for the next file."""
        if self.status not in UNDER_WAY:
            self._forget_job()

    @signed_in_event
    async def upload(self, files: list[rx.UploadFile]) -> AsyncIterator[EventSpec | None]:
        # The job is queued for this user: who they are is needed before the file is even read.
        principal = await self._signed_in()
        if self.under_way:
            self.error = "An import is already under way; wait for it to finish."
            return
        if not files:
            self.error = "Choose a CSV file first."
            return
        self._forget_job()
        self.uploading = True
        yield
        try:
            with tempfile.TemporaryDirectory(prefix="reachimpact-upload-") as folder:
                path = Path(folder) / "upload.csv"
                with path.open("wb") as out:
                    while piece := await files[0].read(UPLOAD_PIECE_BYTES):
                        out.write(piece)
                # Checks the header now: a file with no phone column is refused before it is queued.
                job_id = await imports.start_contact_import(
                    organization_id=principal.organization_id,
                    user_id=principal.user_id,
                    path=path,
                    on_duplicate=self.on_duplicate,
                )
        except DomainError as error:
            self.error = user_message(error)
            return
        finally:
            self.uploading = False
        self._job_id = str(job_id)
        self.status = JobStatus.QUEUED.value
        yield rx.clear_selected_files(UPLOAD_ID)
        yield ContactImportState.follow

    @rx.event
    def resume(self) -> EventSpec | None:
        """On a visit to the page: follow an import that is still under way (e.g. after a reload)."""
        if self._job_id and self.status in UNDER_WAY and not self._followed():
            return ContactImportState.follow
        return None

    def _followed(self) -> bool:
        return time.time() - self._polled_at < FOLLOWER_SILENT_SECONDS

    def _show(self, job: JobPublic) -> None:
        self.status = job.status.value
        self.progress = round(job.progress * 100)
        self.message = job.message
        result = job.result
        self.imported = int(result.get("imported", 0))
        self.updated = int(result.get("updated", 0))
        self.skipped = int(result.get("skipped", 0))
        self.rejected = int(result.get("rejected", 0))
        self.has_error_file = bool(result.get("error_csv"))
        self.error = (job.error or "Import failed.") if job.status == JobStatus.FAILED else ""

    async def _poll(self) -> tuple[bool, EventSpec | None]:
        """Read the job once: whether following it is over, and an event to send if any."""
        self._polled_at = time.time()
        try:
            job = await self._as_user(
                lambda session, principal: tracked.get_job(
                    session, organization_id=principal.organization_id, job_id=uuid.UUID(self._job_id)
                )
            )
        except SignedOut:
            # A background event, not a @signed_in_event: it refuses by itself.
            return True, self._sign_in_redirect()
        except NotFound as error:
            self.status, self.error = JobStatus.FAILED.value, user_message(error)
            return True, None
        self._show(job)
        if job.status == JobStatus.SUCCEEDED:
            return True, ContactsState.refresh  # the table shows the contacts just imported
        return job.status not in UNDER_WAY, None

    @rx.event(background=True)
    async def follow(self) -> AsyncIterator[EventSpec | None]:
        """Re-read the job until it ends (a background event: the page stays usable meanwhile)."""
        deadline = time.monotonic() + FOLLOW_FOR_SECONDS
        async with self:
            if not self._job_id or self._followed():
                return
            done, event = await self._poll()
        while True:
            if event is not None:
                yield event
            if done or time.monotonic() > deadline:
                return
            await asyncio.sleep(POLL_SECONDS)
            async with self:
                done, event = await self._poll()

    @signed_in_event
    async def download_errors(self) -> EventSpec | None:
        """The rows the import rejected, with their line numbers and reasons, as a CSV file."""
        if not self._job_id:
            return None
        data = await self._as_user(
            lambda session, principal: b"".join(
                tracked.open_file(
                    session,
                    organization_id=principal.organization_id,
                    job_id=uuid.UUID(self._job_id),
                    name=imports.ERRORS_FILE,
                )
            )
        )
        return rx.download(data=data, filename="rejected-rows.csv", mime_type="text/csv")
