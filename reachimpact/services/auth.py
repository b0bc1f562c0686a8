"""Accounts and sign-in: registration, login, JWT access tokens, rotating refresh tokens, sessions.

An access token (15 minutes) names the user, organization, role and session; a refresh token (30 days,
opaque, stored only as a hash) buys a new pair once. Presenting a refresh token that was already used
means it was copied: the whole session (its token family) is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from pydantic import BaseModel
from sqlalchemy import func, update
from sqlmodel import Session, select

from reachimpact.errors import Conflict, Invalid, NotFound, Unauthorized
from reachimpact.models import Invite, Membership, Organization, RefreshToken, Role, User, UserSession
from reachimpact.services import passwords, rate_limits
from reachimpact.services.emails import normalize_email
from reachimpact.settings import get_settings

ACCESS_TOKEN_TTL = timedelta(minutes=15)
REFRESH_TOKEN_TTL = timedelta(days=30)
# Sign-in attempts are limited per email *and* address pair, so that someone else's guesses never lock
# the owner out on their own device; per address, against one address trying many emails; and per email
# from every address together, much higher, against many addresses guessing one account's password.
LOGIN_LIMIT = 5  # per email and address pair, a minute
LOGIN_ADDRESS_LIMIT = 20  # per address, a minute
LOGIN_WINDOW_SECONDS = 60
LOGIN_EMAIL_LIMIT = 100  # per email, from any address, an hour
LOGIN_EMAIL_WINDOW_SECONDS = 3600
# Each sign-up costs a bcrypt hash: a few an hour per address is plenty for people, not for a script.
REGISTER_LIMIT = 10
REGISTER_WINDOW_SECONDS = 3600
# Guesses at the current password of a signed-in account, like sign-in attempts.
PASSWORD_CHANGE_LIMIT = 5
_ALGORITHM = "HS256"
_BAD_LOGIN = "Incorrect email or password."


@dataclass(frozen=True)
class Principal:
    """Who is acting, and in which organization: every service call that touches data takes one."""

    user_id: uuid.UUID
    organization_id: uuid.UUID
    role: Role
    session_id: uuid.UUID | None = None


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = int(ACCESS_TOKEN_TTL.total_seconds())


@dataclass(frozen=True)
class Client:
    """Where a sign-in comes from, shown in the list of sessions."""

    user_agent: str = ""
    ip_address: str | None = None

    @classmethod
    def from_request(cls, headers: Mapping[str, str], peer_address: str | None) -> Client:
        """The client of an HTTP request or websocket. Only a header that our own proxy sets
        (TRUSTED_CLIENT_IP_HEADER) may name the address; anyone could send any other."""
        trusted = get_settings().trusted_client_ip_header
        address = headers.get(trusted.lower()) if trusted else None
        return cls(user_agent=headers.get("user-agent", ""), ip_address=address or peer_address or None)


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- access tokens -----------------------------------------------------------------------------------


def issue_access_token(principal: Principal, *, now: datetime | None = None) -> str:
    now = now or _now()
    claims = {
        "sub": str(principal.user_id),
        "org": str(principal.organization_id),
        "role": principal.role.value,
        "sid": str(principal.session_id) if principal.session_id else None,
        "iat": int(now.timestamp()),
        "exp": int((now + ACCESS_TOKEN_TTL).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, get_settings().secret_key, algorithm=_ALGORITHM)


def decode_access_token(token: str) -> Principal:
    """The principal a token names, if its signature and expiry hold (no database check)."""
    try:
        claims = jwt.decode(
            token,
            get_settings().secret_key,
            algorithms=[_ALGORITHM],
            options={"require": ["sub", "org", "role", "exp", "iat", "jti"]},
        )
        return Principal(
            user_id=uuid.UUID(claims["sub"]),
            organization_id=uuid.UUID(claims["org"]),
            role=Role(claims["role"]),
            session_id=uuid.UUID(claims["sid"]) if claims.get("sid") else None,
        )
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise Unauthorized("Not signed in or the session has expired.") from exc


def authenticate(session: Session, token: str) -> Principal:
    """The principal behind a bearer token, checked against the database: the session is live, the
    user enabled and still a member, with the role they hold now (a demotion applies at once)."""
    claimed = decode_access_token(token)
    row = session.exec(
        select(Membership.role, UserSession.revoked_at, UserSession.expires_at, User.disabled)
        .join(User, User.id == Membership.user_id)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            Membership.user_id == claimed.user_id,
            Membership.organization_id == claimed.organization_id,
            UserSession.id == claimed.session_id,
        )
    ).first()
    if row is None:
        raise Unauthorized("Not signed in or the session has expired.")
    role, revoked_at, expires_at, disabled = row
    if revoked_at is not None or expires_at <= _now() or disabled:
        raise Unauthorized("Not signed in or the session has expired.")
    return Principal(claimed.user_id, claimed.organization_id, Role(role), claimed.session_id)


# --- sessions and refresh tokens ----------------------------------------------------------------------


def _start_session(
    session: Session, user: User, organization_id: uuid.UUID, role: Role, client: Client
) -> TokenPair:
    user_session = UserSession(
        user_id=user.id,
        organization_id=organization_id,
        user_agent=client.user_agent[:512],
        ip_address=client.ip_address,
        expires_at=_now() + REFRESH_TOKEN_TTL,
    )
    session.add(user_session)
    session.flush()
    return _issue_pair(session, user_session, Principal(user.id, organization_id, role, user_session.id))


def _issue_pair(session: Session, user_session: UserSession, principal: Principal) -> TokenPair:
    refresh_token = secrets.token_urlsafe(48)
    session.add(RefreshToken(session_id=user_session.id, token_hash=_digest(refresh_token)))
    session.flush()
    return TokenPair(access_token=issue_access_token(principal), refresh_token=refresh_token)


def _primary_membership(session: Session, user_id: uuid.UUID) -> Membership:
    membership = session.exec(
        select(Membership).where(Membership.user_id == user_id).order_by(Membership.created_at)
    ).first()
    if membership is None:
        raise Unauthorized(_BAD_LOGIN)
    return membership


def register(
    session: Session,
    *,
    email: str,
    password: str,
    name: str,
    client: Client = Client(),
    invite_token: str | None = None,
) -> TokenPair:
    """Create a user with a personal organization (as owner) and sign them in.

    With an invite token the user also joins the inviting organization, which their first session opens.
    """
    email = normalize_email(email)
    name = name.strip()
    if not name:
        raise Invalid("Name is required.")
    if client.ip_address:
        rate_limits.hit(
            session,
            f"register:ip:{client.ip_address}",
            limit=REGISTER_LIMIT,
            window_seconds=REGISTER_WINDOW_SECONDS,
        )
    password_hash = passwords.hash_password(password)
    invite = _open_invite(session, invite_token, email) if invite_token else None
    if session.exec(select(User.id).where(func.lower(User.email) == email)).first():
        raise Conflict("An account with this email already exists.")

    user = User(email=email, name=name[:200], password_hash=password_hash)
    personal = Organization(name=f"{name[:180]}'s organization")
    session.add_all([user, personal])
    session.flush()
    session.add(Membership(organization_id=personal.id, user_id=user.id, role=Role.OWNER))
    organization_id, role = personal.id, Role.OWNER
    if invite is not None:
        session.add(Membership(organization_id=invite.organization_id, user_id=user.id, role=invite.role))
        invite.accepted_at = _now()
        organization_id, role = invite.organization_id, Role(invite.role)
    user.last_login_at = _now()
    session.flush()
    return _start_session(session, user, organization_id, role, client)


def _open_invite(session: Session, token: str, email: str) -> Invite:
    invite = session.exec(select(Invite).where(Invite.token_hash == _digest(token)).with_for_update()).first()
    if invite is None or invite.accepted_at is not None or invite.expires_at <= _now():
        raise Invalid("This invitation link is not valid any more; ask for a new one.")
    if invite.email.lower() != email:
        raise Invalid("This invitation was sent to another email address.")
    return invite


def login(session: Session, *, email: str, password: str, client: Client = Client()) -> TokenPair:
    """Sign in; the same answer, after the same work, whether the email is unknown or the password wrong."""
    key_email = email.strip().lower()
    address = client.ip_address or "unknown"
    rate_limits.hit(
        session, f"login:pair:{address}:{key_email}", limit=LOGIN_LIMIT, window_seconds=LOGIN_WINDOW_SECONDS
    )
    if client.ip_address:
        rate_limits.hit(
            session, f"login:ip:{address}", limit=LOGIN_ADDRESS_LIMIT, window_seconds=LOGIN_WINDOW_SECONDS
        )
    rate_limits.hit(
        session,
        f"login:email:{key_email}",
        limit=LOGIN_EMAIL_LIMIT,
        window_seconds=LOGIN_EMAIL_WINDOW_SECONDS,
    )
    user = session.exec(select(User).where(func.lower(User.email) == key_email)).first()
    if user is None:
        passwords.verify_password(password, passwords.dummy_hash())
        raise Unauthorized(_BAD_LOGIN)
    ok, rehash_due = passwords.verify_password(password, user.password_hash)
    if not ok or user.disabled:
        raise Unauthorized(_BAD_LOGIN)
    if rehash_due:
        user.password_hash = passwords.rehash_password(password)
    user.last_login_at = _now()
    membership = _primary_membership(session, user.id)
    return _start_session(session, user, membership.organization_id, Role(membership.role), client)


def refresh(session: Session, *, refresh_token: str) -> TokenPair:
    """Trade a refresh token for a new pair. A token used twice revokes its whole session."""
    token = session.exec(
        select(RefreshToken).where(RefreshToken.token_hash == _digest(refresh_token)).with_for_update()
    ).first()
    if token is None:
        raise Unauthorized("Not signed in or the session has expired.")
    user_session = session.get(UserSession, token.session_id, with_for_update=True)
    assert user_session is not None  # the foreign key guarantees it
    now = _now()
    if token.used_at is not None:
        # Someone holds a copy of a rotated token: end the session for every holder.
        user_session.revoked_at = user_session.revoked_at or now
        session.commit()
        raise Unauthorized("This sign-in was ended for safety; please sign in again.")
    if user_session.revoked_at is not None or user_session.expires_at <= now:
        raise Unauthorized("Not signed in or the session has expired.")
    token.used_at = now
    user_session.last_used_at = now
    user = session.get(User, user_session.user_id)
    membership = session.exec(
        select(Membership).where(
            Membership.user_id == user_session.user_id,
            Membership.organization_id == user_session.organization_id,
        )
    ).first()
    if user is None or user.disabled or membership is None:
        user_session.revoked_at = now
        session.commit()
        raise Unauthorized("Not signed in or the session has expired.")
    principal = Principal(user.id, membership.organization_id, Role(membership.role), user_session.id)
    return _issue_pair(session, user_session, principal)


def logout(session: Session, *, refresh_token: str) -> None:
    """End the session the token belongs to (unknown tokens are ignored: logging out twice is fine)."""
    token = session.exec(
        select(RefreshToken).where(RefreshToken.token_hash == _digest(refresh_token))
    ).first()
    if token is not None:
        session.exec(
            update(UserSession)
            .where(UserSession.id == token.session_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=_now())
        )


# --- the signed-in user's own account ------------------------------------------------------------------


class SessionPublic(BaseModel):
    id: uuid.UUID
    user_agent: str
    ip_address: str | None
    created_at: datetime
    last_used_at: datetime
    current: bool


def list_sessions(session: Session, principal: Principal) -> list[SessionPublic]:
    rows = session.exec(
        select(UserSession)
        .where(
            UserSession.user_id == principal.user_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > _now(),
        )
        .order_by(UserSession.last_used_at.desc())
    ).all()
    return [
        SessionPublic(
            id=row.id,
            user_agent=row.user_agent,
            ip_address=row.ip_address,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            current=row.id == principal.session_id,
        )
        for row in rows
    ]


def revoke_session(session: Session, principal: Principal, session_id: uuid.UUID) -> None:
    """End one of the user's own sessions; anyone else's is not found."""
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != principal.user_id or row.revoked_at is not None:
        raise NotFound("session")
    row.revoked_at = _now()


def change_password(
    session: Session, principal: Principal, *, current_password: str, new_password: str
) -> None:
    """Set a new password and end every other session of the user."""
    rate_limits.hit(
        session,
        f"password:user:{principal.user_id}",
        limit=PASSWORD_CHANGE_LIMIT,
        window_seconds=LOGIN_WINDOW_SECONDS,
    )
    user = session.get(User, principal.user_id)
    if user is None:
        raise Unauthorized("Not signed in or the session has expired.")
    ok, _ = passwords.verify_password(current_password, user.password_hash)
    if not ok:
        raise Invalid("Current password is incorrect.")
    user.password_hash = passwords.hash_password(new_password)
    session.exec(
        update(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.id != principal.session_id,
            UserSession.revoked_at.is_(None),
        )
        .values(revoked_at=_now())
    )
