"""Members of the caller's organization and invitations to it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from reachimpact.api.deps import CurrentPrincipal, SessionDep
from reachimpact.models import Role
from reachimpact.services import members
from reachimpact.services.members import CreatedInvite, InvitePublic, MemberPublic

router = APIRouter(prefix="/api/members", tags=["members"])


class InviteBody(BaseModel):
    email: str = Field(max_length=320)
    role: Role = Role.AGENT


class RoleBody(BaseModel):
    role: Role


@router.get("")
def list_members(session: SessionDep, principal: CurrentPrincipal) -> list[MemberPublic]:
    return members.list_members(session, principal)


@router.patch("/{membership_id:uuid}")
def set_role(
    membership_id: uuid.UUID, body: RoleBody, session: SessionDep, principal: CurrentPrincipal
) -> MemberPublic:
    return members.set_role(session, principal, membership_id, body.role)


@router.delete("/{membership_id:uuid}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(membership_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Response:
    members.remove_member(session, principal, membership_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/invites")
def list_invites(session: SessionDep, principal: CurrentPrincipal) -> list[InvitePublic]:
    return members.list_invites(session, principal)


@router.post("/invites", status_code=status.HTTP_201_CREATED)
def create_invite(body: InviteBody, session: SessionDep, principal: CurrentPrincipal) -> CreatedInvite:
    return members.invite(session, principal, email=body.email, role=body.role)


@router.delete("/invites/{invite_id:uuid}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_invite(invite_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> Response:
    members.revoke_invite(session, principal, invite_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
