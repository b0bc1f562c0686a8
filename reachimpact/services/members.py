"""Members of an organization: invitations, roles, removal; and the role checks other services use."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, select

from reachimpact.errors import Conflict, Forbidden, Invalid, NotFound
from reachimpact.models import Invite, Membership, Role, User
from reachimpact.services.auth import Principal
from reachimpact.services.emails import normalize_email
from reachimpact.settings import get_settings

INVITE_TTL = timedelta(days=7)
MANAGERS = frozenset({Role.OWNER, Role.ADMIN})


def require_role(principal: Principal, allowed: frozenset[Role], action: str) -> None:
    """Forbidden unless the principal's role may do `action` (said in the message)."""
    if principal.role not in allowed:
        raise Forbidden(f"Your role ({principal.role.value}) cannot {action}.")


class MemberPublic(BaseModel):
    id: uuid.UUID  # the membership id
    user_id: uuid.UUID
    name: str
    email: str
    role: Role
    joined_at: datetime


class InvitePublic(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    expires_at: datetime
    created_at: datetime


class CreatedInvite(BaseModel):
    invite: InvitePublic
    # Shown once to the inviter, who passes it on: no mail server is needed.
    invite_url: str
    invite_token: str


def list_members(session: Session, principal: Principal) -> list[MemberPublic]:
    rows = session.exec(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == principal.organization_id)
        .order_by(Membership.created_at)
    ).all()
    return [
        MemberPublic(
            id=m.id, user_id=u.id, name=u.name, email=u.email, role=Role(m.role), joined_at=m.created_at
        )
        for m, u in rows
    ]


def invite(session: Session, principal: Principal, *, email: str, role: Role) -> CreatedInvite:
    require_role(principal, MANAGERS, "invite members")
    if role == Role.OWNER and principal.role != Role.OWNER:
        raise Forbidden("Only an owner can invite another owner.")
    email = normalize_email(email)
    already = session.exec(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == principal.organization_id, func.lower(User.email) == email)
    ).first()
    if already:
        raise Conflict(f"{email} is already a member.")
    token = secrets.token_urlsafe(32)
    row = Invite(
        organization_id=principal.organization_id,
        email=email,
        role=role,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        invited_by_id=principal.user_id,
        expires_at=datetime.now(UTC) + INVITE_TTL,
    )
    session.add(row)
    session.flush()
    base = get_settings().public_base_url.rstrip("/")
    return CreatedInvite(
        invite=InvitePublic.model_validate(row, from_attributes=True),
        invite_url=f"{base}/register?invite={token}",
        invite_token=token,
    )


def list_invites(session: Session, principal: Principal) -> list[InvitePublic]:
    require_role(principal, MANAGERS, "see invitations")
    rows = session.exec(
        select(Invite)
        .where(
            Invite.organization_id == principal.organization_id,
            Invite.accepted_at.is_(None),
            Invite.expires_at > datetime.now(UTC),
        )
        .order_by(Invite.created_at.desc())
    ).all()
    return [InvitePublic.model_validate(r, from_attributes=True) for r in rows]


def revoke_invite(session: Session, principal: Principal, invite_id: uuid.UUID) -> None:
    row = session.get(Invite, invite_id)
    if row is None or row.organization_id != principal.organization_id:
        raise NotFound("invite")
    require_role(principal, MANAGERS, "revoke invitations")
    session.delete(row)


def _membership(session: Session, principal: Principal, membership_id: uuid.UUID) -> Membership:
    row = session.get(Membership, membership_id, with_for_update=True)
    if row is None or row.organization_id != principal.organization_id:
        raise NotFound("member")
    return row


def _check_may_manage(
    session: Session, principal: Principal, target: Membership, new_role: Role | None
) -> None:
    require_role(principal, MANAGERS, "manage members")
    touches_owner = target.role == Role.OWNER or new_role == Role.OWNER
    if touches_owner and principal.role != Role.OWNER:
        raise Forbidden("Only an owner can change an owner's membership or make someone an owner.")
    if target.role == Role.OWNER and new_role != Role.OWNER:
        owners = session.exec(
            select(func.count())
            .select_from(Membership)
            .where(Membership.organization_id == principal.organization_id, Membership.role == Role.OWNER)
        ).one()
        if owners <= 1:
            raise Invalid("An organization needs at least one owner; make someone else owner first.")


def set_role(session: Session, principal: Principal, membership_id: uuid.UUID, role: Role) -> MemberPublic:
    target = _membership(session, principal, membership_id)
    _check_may_manage(session, principal, target, role)
    target.role = role
    session.flush()
    return next(m for m in list_members(session, principal) if m.id == target.id)


def remove_member(session: Session, principal: Principal, membership_id: uuid.UUID) -> None:
    target = _membership(session, principal, membership_id)
    _check_may_manage(session, principal, target, None)
    session.delete(target)
