"""The demo organization (`python -m reachimpact.seed`): a fixture generator outside the domain, which
nothing in reachimpact.services imports.

story.py holds its people and words, builder.py turns them into rows. What the seed command and the
tests use is exported here.
"""

from __future__ import annotations

from reachimpact.demo.builder import (
    DEFAULT_SEED,
    DEMO_EMAIL,
    DEMO_FROM_NUMBER,
    DEMO_PASSWORD,
    DemoSummary,
    create_demo,
    delete_demo,
    find_demo_organization,
    lock_for_seeding,
    organizations_exist,
)
from reachimpact.demo.story import DEMO_ORG_NAME

__all__ = [
    "DEFAULT_SEED",
    "DEMO_EMAIL",
    "DEMO_FROM_NUMBER",
    "DEMO_ORG_NAME",
    "DEMO_PASSWORD",
    "DemoSummary",
    "create_demo",
    "delete_demo",
    "find_demo_organization",
    "lock_for_seeding",
    "organizations_exist",
]
