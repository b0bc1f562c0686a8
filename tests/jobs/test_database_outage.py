"""The job worker, as deployed, rides out a database that refuses connections for a few seconds, and
exits non-zero (so that Fly restarts it) when the database stays away longer than it waits."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlmodel import Session, select

from reachimpact import jobs
from reachimpact.jobs.imports import start_contact_import
from reachimpact.models import Contact, Job, JobStatus
from tests.databases import admin_url
from tests.factories import make_member
from tests.jobs.job_worker import job_worker


@contextmanager
def refused_connections(cleaner: psycopg.Connection) -> Iterator[None]:
    """What a restart or a failover looks like to the worker: its connections end, new ones are refused."""
    allow = "ALTER DATABASE {} ALLOW_CONNECTIONS {}"
    name = sql.Identifier(cleaner.info.dbname)
    with psycopg.connect(admin_url(), autocommit=True) as admin:  # not the database being refused
        admin.execute(sql.SQL(allow).format(name, sql.SQL("false")))
        try:
            cleaner.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            yield
        finally:
            admin.execute(sql.SQL(allow).format(name, sql.SQL("true")))


def _wait_for(log: Path, text: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"{text!r} never appeared in the worker's log:\n{log.read_text()}"
        time.sleep(0.1)


def _import(tmp_path: Path, organization_id: uuid.UUID) -> uuid.UUID:
    upload = tmp_path / "contacts.csv"
    upload.write_text("phone,first_name\n+14155550123,Ann\n")

    async def go() -> uuid.UUID:
        async with jobs.app.open_async():
            return await start_contact_import(
                organization_id=organization_id, user_id=None, path=upload, on_duplicate="skip"
            )

    return asyncio.run(go())


def test_the_worker_rides_out_a_database_that_refuses_connections(
    tmp_path: Path, session: Session, _cleaner: psycopg.Connection
) -> None:
    member = make_member(session)
    session.close()
    log = tmp_path / "worker.log"
    with job_worker(log) as worker:
        _wait_for(log, "Starting worker")
        with refused_connections(_cleaner):
            time.sleep(4)
        assert worker.poll() is None, log.read_text()

        job_id = _import(tmp_path, member.organization_id)
        deadline = time.monotonic() + 45
        while (job := session.get(Job, job_id, populate_existing=True)).status != JobStatus.SUCCEEDED:
            assert job.status != JobStatus.FAILED, job.error
            assert time.monotonic() < deadline, f"the job never ran:\n{log.read_text()}"
            time.sleep(0.2)
            session.commit()
        assert worker.poll() is None
    assert "lost the database" in log.read_text()  # it did stop, and start again
    imported = session.exec(
        select(Contact.first_name).where(Contact.organization_id == member.organization_id)
    )
    assert imported.all() == ["Ann"]


def test_the_worker_exits_non_zero_when_the_database_stays_away(
    tmp_path: Path, _cleaner: psycopg.Connection
) -> None:
    log = tmp_path / "worker.log"
    with job_worker(log, WORKER_DATABASE_OUTAGE_SECONDS="2") as worker:
        _wait_for(log, "Starting worker")
        with refused_connections(_cleaner):
            try:
                status = worker.wait(timeout=30)
            except Exception:
                pytest.fail(f"the worker kept running without its database:\n{log.read_text()}")
    assert status != 0
    assert "could not reach the database" in log.read_text()
