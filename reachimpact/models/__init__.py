"""Every table, imported from one place so SQLModel.metadata is complete (Alembic, Reflex, tests)."""

from reachimpact.models.call import FINAL_CALL_STATUSES, Call, CallStatus, Direction
from reachimpact.models.campaign import (
    Campaign,
    CampaignContact,
    CampaignContactStatus,
    CampaignStatus,
    CampaignStatusChange,
    CampaignType,
    MachineAction,
)
from reachimpact.models.contact import Contact, OptOut, OptOutChannel
from reachimpact.models.job import Job, JobFile, JobStatus
from reachimpact.models.message import Conversation, Message, MessageStatus
from reachimpact.models.migration import MigrationBatch, MigrationIdMap
from reachimpact.models.organization import Invite, Membership, Organization, Role
from reachimpact.models.phone_number import PhoneNumber
from reachimpact.models.rate_limit import RateLimitWindow
from reachimpact.models.user import RefreshToken, User, UserSession
from reachimpact.models.webhook_event import WebhookEvent

__all__ = [
    "FINAL_CALL_STATUSES",
    "Call",
    "CallStatus",
    "Campaign",
    "CampaignContact",
    "CampaignContactStatus",
    "CampaignStatus",
    "CampaignStatusChange",
    "CampaignType",
    "Contact",
    "Conversation",
    "Direction",
    "Invite",
    "Job",
    "JobFile",
    "JobStatus",
    "MachineAction",
    "Membership",
    "Message",
    "MessageStatus",
    "MigrationBatch",
    "MigrationIdMap",
    "OptOut",
    "OptOutChannel",
    "Organization",
    "PhoneNumber",
    "RateLimitWindow",
    "RefreshToken",
    "Role",
    "User",
    "UserSession",
    "WebhookEvent",
]
