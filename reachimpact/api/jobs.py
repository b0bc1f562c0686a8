"""GET /api/jobs/{id}: follow a long job (import, analysis) of the caller's organization."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from reachimpact.api.deps import CurrentPrincipal, SessionDep
from reachimpact.db import session_scope
from reachimpact.jobs import tracked
from reachimpact.jobs.tracked import JobPublic

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


@router.get("/{job_id:uuid}", response_model=JobPublic)
def read_job(job_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> JobPublic:
    return tracked.get_job(session, organization_id=principal.organization_id, job_id=job_id)


@router.get("/{job_id:uuid}/files/{name}", response_class=StreamingResponse)
def download_file(job_id: uuid.UUID, name: str, principal: CurrentPrincipal) -> StreamingResponse:
    """A file the job wrote (e.g. errors.csv, the rows an import rejected)."""
    with session_scope() as session:
        tracked.open_file(session, organization_id=principal.organization_id, job_id=job_id, name=name)

    def body() -> Iterator[bytes]:
        with session_scope() as session:
            yield from tracked.read_file(session, job_id, name)

    media_type = "text/csv" if name.endswith(".csv") else "application/octet-stream"
    return StreamingResponse(
        body(), media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
