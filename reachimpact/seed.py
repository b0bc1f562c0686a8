"""`python -m reachimpact.seed`: create the demo organization and its demo login.

python -m reachimpact.seed             seed unless the demo organization exists
python -m reachimpact.seed --if-empty  seed only into a database without any organization (make run)
python -m reachimpact.seed --reset     delete the demo organization and user, then seed again
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from reachimpact import demo
from reachimpact.db import session_scope
from reachimpact.settings import get_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reachimpact.seed",
        description="Create the demo organization: ~200 contacts, 3 campaigns, a month of calls and texts.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--if-empty",
        action="store_true",
        help="seed only when the database has no organization at all (what `make run` does)",
    )
    mode.add_argument(
        "--reset", action="store_true", help="delete the demo organization and demo user, then recreate them"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=demo.DEFAULT_SEED,
        help=f"random seed: the same seed gives the same demo data (default {demo.DEFAULT_SEED})",
    )
    parser.add_argument(
        "--allow-prod",
        action="store_true",
        help="seed even with APP_ENV=prod (the demo login's password is public)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = get_settings()
    if settings.app_env == "prod" and not args.allow_prod:
        print("Not seeding: APP_ENV=prod and the demo password is public. Pass --allow-prod to seed anyway.")
        return 1

    started = time.perf_counter()
    with session_scope() as session:
        demo.lock_for_seeding(session)
        if args.if_empty and demo.organizations_exist(session):
            print("Skipped the demo seed: the database already has organizations.")
            return 0
        if not args.reset and not args.if_empty and demo.find_demo_organization(session) is not None:
            print(f"The demo organization {demo.DEMO_ORG_NAME!r} already exists; --reset recreates it.")
            return 0
        if args.reset and demo.delete_demo(session):
            print("Deleted the previous demo organization and demo user.")
        summary = demo.create_demo(session, seed=args.seed, from_number=settings.twilio_from_number)

    elapsed = time.perf_counter() - started
    print(f"Seeded {demo.DEMO_ORG_NAME!r} in {elapsed:.1f}s (seed {args.seed}):")
    print(f"  {summary.contacts} contacts, {summary.opt_outs} opt-outs")
    print(f"  {summary.campaigns} campaigns, {summary.campaign_contacts} campaign contacts")
    print(f"  {summary.calls} calls")
    print(f"  {summary.conversations} conversations, {summary.messages} messages")
    print(f"  phone number: {summary.from_number or 'none'}")
    for note in summary.notes:
        print(f"  note: {note}")
    print(f"Demo login: {demo.DEMO_EMAIL} / {demo.DEMO_PASSWORD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
