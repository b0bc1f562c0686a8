"""Import tasks: a CSV of contacts into an organization, as a tracked job the page and the API follow.

- contacts.import_csv: reads the job's uploaded file and hands it to services.contact_import; the rows
  it rejects come back as the job's errors.csv.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reachimpact.db import session_scope
from reachimpact.errors import Invalid
from reachimpact.jobs.tracked import TrackedJob, attach_file, read_file, start_job, tracked_task
from reachimpact.services import contact_import
from reachimpact.services.organizations import phone_region

UPLOAD_FILE = "upload.csv"
ERRORS_FILE = "errors.csv"


@tracked_task(name="contacts.import_csv", retry=False)
def import_contacts_csv(job: TrackedJob, *, on_duplicate: str) -> dict[str, Any]:
    """Import the job's uploaded CSV into its organization's contacts (see services.contact_import)."""
    assert job.organization_id is not None
    with tempfile.TemporaryDirectory(prefix="reachimpact-import-") as folder:
        upload, errors = Path(folder) / UPLOAD_FILE, Path(folder) / ERRORS_FILE
        with session_scope() as session, upload.open("wb") as f:
            for piece in read_file(session, job.id, UPLOAD_FILE):
                f.write(piece)
            region = phone_region(session, job.organization_id)
        with errors.open("w", encoding="utf-8", newline="") as errors_out:
            result = contact_import.import_contacts(
                upload,
                organization_id=job.organization_id,
                region=region,
                on_duplicate=contact_import.DuplicatePolicy(on_duplicate),
                errors_out=errors_out,
                progress=job.progress,
            )
        if result.rejected:
            with session_scope() as session, errors.open("rb") as f:
                attach_file(session, job.id, ERRORS_FILE, iter(lambda: f.read(1 << 20), b""))
    return {
        "imported": result.imported,
        "updated": result.updated,
        "skipped": result.skipped,
        "rejected": result.rejected,
        "rows": result.rows,
        "columns": result.columns,
        "error_csv": f"/api/jobs/{job.id}/files/{ERRORS_FILE}" if result.rejected else None,
    }


async def start_contact_import(
    *, organization_id: uuid.UUID, user_id: uuid.UUID | None, path: Path, on_duplicate: str
) -> uuid.UUID:
    """Check the file's header now (a file with no phone column fails at once), then queue the import."""
    if on_duplicate not in {p.value for p in contact_import.DuplicatePolicy}:
        raise Invalid("on_duplicate must be skip or update.")
    await asyncio.to_thread(contact_import.read_layout, path)

    def pieces() -> Iterator[bytes]:
        with path.open("rb") as f:
            yield from iter(lambda: f.read(1 << 20), b"")

    return await start_job(
        import_contacts_csv,
        organization_id=organization_id,
        created_by_id=user_id,
        params={"on_duplicate": on_duplicate},
        files={UPLOAD_FILE: pieces()},
    )
