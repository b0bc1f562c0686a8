"""GET /api/jobs/{id}: follow a long job (import, analysis) of the caller's organization."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from reachimpact.api.deps import CurrentPrincipal, SessionDep
from reachimpact.services import tracked_jobs
from reachimpact.services.tracked_jobs import JobPublic

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobPublic)
def read_job(job_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> JobPublic:
    return tracked_jobs.get_job(session, organization_id=principal.organization_id, job_id=job_id)
