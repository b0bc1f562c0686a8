"""The job queue end to end: start a tracked job, run the real worker, follow it through the API."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from reachimpact import jobs
from reachimpact.api.app import create_api
from reachimpact.db import session_scope
from reachimpact.errors import Invalid
from reachimpact.jobs.tracked import TrackedJob, start_job, tracked_task
from reachimpact.logging_setup import request_id_var
from reachimpact.models import Job, JobStatus
from tests.factories import auth_headers, make_member

seen_progress: list[float] = []


@tracked_task(name="tests.count_to")
def count_to(job: TrackedJob, *, n: int) -> dict[str, Any]:
    for i in range(1, n + 1):
        job.progress(i / n, f"{i} of {n}")
        # Read back through another connection, as a page polling the job would.
        with session_scope() as session:
            seen_progress.append(session.exec(select(Job.progress).where(Job.kind == "tests.count_to")).one())
    return {"counted": n}


@tracked_task(name="tests.refuse", retry=False)
def refuse(job: TrackedJob, *, reason: str) -> dict[str, Any]:
    raise Invalid(reason)


@tracked_task(name="tests.crash")
def crash(job: TrackedJob) -> dict[str, Any]:
    raise RuntimeError("internal detail that must not reach the user")


def run(task: Any, organization_id: uuid.UUID, params: dict[str, Any]) -> uuid.UUID:
    """Queue one job and let the real worker run the queue until it is empty."""

    async def go() -> uuid.UUID:
        async with jobs.app.open_async():
            token = request_id_var.set("req-test-12345")
            try:
                job_id = await start_job(task, organization_id=organization_id, params=params)
            finally:
                request_id_var.reset(token)
            await jobs.app.run_worker_async(wait=False, install_signal_handlers=False, listen_notify=False)
            return job_id

    return asyncio.run(go())


def test_tracked_job_reports_progress_and_result_through_the_api(session: Session) -> None:
    member = make_member(session)
    seen_progress.clear()
    job_id = run(count_to, member.organization_id, {"n": 4})

    job = session.get(Job, job_id)
    assert job is not None
    assert job.status == JobStatus.SUCCEEDED
    assert job.result == {"counted": 4}
    assert job.request_id == "req-test-12345"  # the request that queued it follows the job
    assert job.procrastinate_job_id is not None
    # Each step was committed while the job still ran, so a page polling the row sees it move.
    assert seen_progress == [0.25, 0.5, 0.75, 1.0]

    with TestClient(create_api()) as client:
        body = client.get(f"/api/jobs/{job_id}", headers=auth_headers(member)).json()
    assert body["id"] == str(job_id)
    assert body["status"] == "succeeded"
    assert body["progress"] == 1.0
    assert body["result"] == {"counted": 4}


def test_failed_job_tells_the_user_why_without_internals(session: Session) -> None:
    member = make_member(session)
    refused = run(refuse, member.organization_id, {"reason": "The file has no phone column."})
    crashed = run(crash, member.organization_id, {})

    session.expire_all()
    refused_job, crashed_job = session.get(Job, refused), session.get(Job, crashed)
    assert refused_job is not None and crashed_job is not None
    assert refused_job.status == crashed_job.status == JobStatus.FAILED
    assert refused_job.error == "The file has no phone column."
    assert crashed_job.error is not None
    assert "internal detail" not in crashed_job.error
    assert "req-test-12345" in crashed_job.error


def test_another_organizations_job_is_not_found(session: Session) -> None:
    owner = make_member(session, org_name="Owner Org")
    stranger = make_member(session, org_name="Other Org")
    job_id = run(count_to, owner.organization_id, {"n": 1})

    with TestClient(create_api()) as client:
        theirs = client.get(f"/api/jobs/{job_id}", headers=auth_headers(stranger))
        missing = client.get(f"/api/jobs/{uuid.uuid4()}", headers=auth_headers(owner))
        garbage = client.get("/api/jobs/not-a-uuid", headers=auth_headers(owner))
    assert theirs.status_code == 404
    assert missing.status_code == 404
    assert {**theirs.json(), "request_id": ""} == {**missing.json(), "request_id": ""}
    # A malformed id is simply not found, like another organization's (routes take ids shaped as UUIDs).
    assert garbage.status_code == 404
    assert {**garbage.json(), "request_id": ""} == {**missing.json(), "request_id": ""}
