"""Contacts: paged search, CRUD, bulk tags, timeline, CSV export and import."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from reachimpact.api.deps import MAX_PAGE, CurrentPrincipal, SessionDep
from reachimpact.db import session_scope
from reachimpact.errors import Invalid
from reachimpact.jobs.imports import start_contact_import
from reachimpact.services import contacts
from reachimpact.services.contacts import ContactIn, ContactPage, ContactPublic, TimelineEvent

router = APIRouter(prefix="/api/contacts", tags=["contacts"])


class ContactCreate(ContactIn):
    phone: str = Field(max_length=64)


class BulkAction(BaseModel):
    action: Literal["add_tag", "remove_tag", "delete"]
    ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)
    tag: str | None = Field(default=None, max_length=50)


class BulkResult(BaseModel):
    affected: int


class ImportStarted(BaseModel):
    job_id: uuid.UUID


@router.get("")
def list_contacts(
    session: SessionDep,
    principal: CurrentPrincipal,
    q: str | None = Query(default=None, max_length=200),
    tag: str | None = Query(default=None, max_length=50),
    cursor: str | None = Query(default=None, max_length=500),
    page: int | None = Query(default=None, ge=1, le=MAX_PAGE),
    page_size: int = Query(default=50, ge=1, le=contacts.MAX_PAGE_SIZE),
    sort: contacts.SortKey = "-created_at",
) -> ContactPage:
    return contacts.list_contacts(
        session, principal, q=q, tag=tag, cursor=cursor, page=page, page_size=page_size, sort=sort
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def create_contact(body: ContactCreate, session: SessionDep, principal: CurrentPrincipal) -> ContactPublic:
    return contacts.create_contact(session, principal, body)


@router.get("/tags")
def list_tags(session: SessionDep, principal: CurrentPrincipal) -> list[str]:
    return contacts.all_tags(session, principal)


@router.get("/export", response_class=StreamingResponse)
def export_contacts(
    principal: CurrentPrincipal,
    q: str | None = Query(default=None, max_length=200),
    tag: str | None = Query(default=None, max_length=50),
) -> StreamingResponse:
    # Check the role before the response starts: once streaming, an error can no longer be a 403.
    with session_scope() as session:
        first = next(contacts.export_csv(session, principal, q=q, tag=tag))

    def body() -> Iterator[str]:
        with session_scope() as session:
            stream = contacts.export_csv(session, principal, q=q, tag=tag)
            next(stream)  # the header, already computed above
            yield first
            yield from stream

    return StreamingResponse(
        body(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="contacts.csv"'}
    )


@router.post("/bulk")
def bulk(body: BulkAction, session: SessionDep, principal: CurrentPrincipal) -> BulkResult:
    if body.action == "delete":
        return BulkResult(affected=contacts.bulk_delete(session, principal, body.ids))
    if not body.tag:
        raise Invalid("Give the tag to add or remove.")
    change = contacts.bulk_add_tag if body.action == "add_tag" else contacts.bulk_remove_tag
    return BulkResult(affected=change(session, principal, body.ids, body.tag))


@router.post("/import", status_code=status.HTTP_202_ACCEPTED)
async def import_contacts(
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="A CSV file with a header row and a phone column")],
    on_duplicate: Annotated[Literal["skip", "update"], Form()] = "skip",
) -> ImportStarted:
    with tempfile.TemporaryDirectory(prefix="reachimpact-upload-") as folder:
        path = Path(folder) / "upload.csv"
        with path.open("wb") as out:
            await run_in_threadpool(shutil.copyfileobj, file.file, out, 1 << 20)
        job_id = await start_contact_import(
            organization_id=principal.organization_id,
            user_id=principal.user_id,
            path=path,
            on_duplicate=on_duplicate,
        )
    return ImportStarted(job_id=job_id)


@router.get("/{contact_id:uuid}")
def read_contact(contact_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> ContactPublic:
    return contacts.get_contact(session, principal, contact_id)


@router.patch("/{contact_id:uuid}")
def update_contact(
    contact_id: uuid.UUID, body: ContactIn, session: SessionDep, principal: CurrentPrincipal
) -> ContactPublic:
    return contacts.update_contact(session, principal, contact_id, body)


@router.delete("/{contact_id:uuid}", status_code=status.HTTP_204_NO_CONTENT)
def delete_contact(contact_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Response:
    contacts.delete_contact(session, principal, contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{contact_id:uuid}/timeline")
def contact_timeline(
    contact_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[TimelineEvent]:
    return contacts.timeline(session, principal, contact_id)
