"""The organization's do-not-contact list, and the check the dialer and messaging use."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from pydantic import BaseModel, Field

from reachimpact.api.deps import CurrentPrincipal, SessionDep
from reachimpact.services import do_not_contact
from reachimpact.services.do_not_contact import DoNotContactEntry, NumbersImported

router = APIRouter(prefix="/api/do-not-contact", tags=["do-not-contact"])


class NumberIn(BaseModel):
    phone: str = Field(max_length=64)
    channel: Literal["all", "call", "sms"] = "all"
    reason: str | None = Field(default=None, max_length=500)


class CheckResult(BaseModel):
    phone: str
    allowed: bool
    reason: str | None


@router.get("")
def list_numbers(
    session: SessionDep, principal: CurrentPrincipal, q: str | None = Query(default=None, max_length=64)
) -> list[DoNotContactEntry]:
    return do_not_contact.list_numbers(session, principal, q=q)


@router.post("", status_code=status.HTTP_201_CREATED)
def add_number(body: NumberIn, session: SessionDep, principal: CurrentPrincipal) -> DoNotContactEntry:
    return do_not_contact.add_number(
        session, principal, phone=body.phone, channel=body.channel, reason=body.reason
    )


@router.post("/import")
def import_numbers(
    session: SessionDep,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="A CSV file with a phone column")],
) -> NumbersImported:
    with tempfile.TemporaryDirectory(prefix="reachimpact-dnc-") as folder:
        path = Path(folder) / "numbers.csv"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out, 1 << 20)
        return do_not_contact.import_numbers(session, principal, path)


@router.get("/check")
def check(
    session: SessionDep,
    principal: CurrentPrincipal,
    phone: str = Query(max_length=64),
    channel: Literal["call", "sms"] = "call",
) -> CheckResult:
    e164, permission = do_not_contact.check_number(session, principal, phone=phone, channel=channel)
    return CheckResult(phone=e164, allowed=permission.allowed, reason=permission.reason)


@router.delete("/{entry_id:uuid}", status_code=status.HTTP_204_NO_CONTENT)
def remove_number(entry_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Response:
    do_not_contact.remove_number(session, principal, entry_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
