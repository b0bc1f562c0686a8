"""Benchmark: the dialer's pace and concurrency with the simulator and 10,000 contacts.

    python bench/dialer.py [--contacts 10000] [--cpm 600] [--seconds 60] [--time-scale 0.05]

On a throw-away database: our API (the webhooks) runs as one uvicorn worker, the job worker as
`procrastinate worker`, both real processes; the simulator plays every call (time scale 0.05: a 60 s
call lasts 3 s) and posts its signed callbacks to the API. Two campaigns over the same 10,000 contacts:

1. pace-bound: plenty of lines, so calls per minute is the limit;
2. line-bound: few lines, so the concurrency limit binds.

The baseline of each is its own configuration, measured against in the same run: the measured pace
over the steady part of the run (after the first BURST_SECONDS) against calls_per_minute (goal: within
5 %), and the most calls ever in flight at once against max_concurrent (goal: never above), counted
both at the provider (from a call's first callback to its final one) and in our own records (calls
not in a final status, sampled every 50 ms).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.databases import create_database, drop_database, migrate  # noqa: E402

WARM_UP_SECONDS = 5.0  # the first tick's burst allowance and worker start-up are not the steady pace


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the API did not start") from None
            time.sleep(0.1)


def _run_campaign(args: argparse.Namespace, env: dict[str, str], cpm: int, lines: int, label: str) -> None:
    # Imported here: reachimpact reads its settings (DATABASE_URL ...) from this process's environment.
    from sqlmodel import Session, col, func, select

    from reachimpact.db import get_engine
    from reachimpact.models import Call, Campaign, Contact, Membership, Organization, User, WebhookEvent
    from reachimpact.services import campaigns
    from reachimpact.services.auth import Principal
    from reachimpact.services.campaigns import CampaignIn
    from reachimpact.services.dialer import LIVE_STATUSES

    with Session(get_engine()) as session:
        org = session.exec(select(Organization)).first()
        if org is None:
            org = Organization(name="Bench", time_zone="UTC")
            user = User(email="bench@example.org", name="Bench")
            session.add_all([org, user])
            session.flush()
            session.add(Membership(organization_id=org.id, user_id=user.id, role="owner"))
            session.add_all(
                Contact(organization_id=org.id, first_name=f"P{i}", phone=f"+1202{i:07d}", time_zone="UTC")
                for i in range(args.contacts)
            )
            session.commit()
        user_id = session.exec(select(Membership.user_id).where(Membership.organization_id == org.id)).one()
        principal = Principal(user_id, org.id, "owner")  # type: ignore[arg-type]
        campaign = campaigns.create_campaign(
            session,
            principal,
            CampaignIn(
                name=label,
                calls_per_minute=cpm,
                max_concurrent=lines,
                window_start="00:00",
                window_end="23:59:59",
            ),
        )
        campaigns.start_campaign(session, principal, campaign.id)
        session.commit()

    worker = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "procrastinate"), "--app=reachimpact.jobs.app", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak_seen = 0
    try:
        stop_at = time.monotonic() + args.seconds
        with Session(get_engine()) as session:
            while time.monotonic() < stop_at:
                live = session.exec(
                    select(func.count())
                    .select_from(Call)
                    .where(Call.campaign_id == campaign.id, col(Call.status).in_(LIVE_STATUSES))
                ).one()
                session.rollback()
                peak_seen = max(peak_seen, live)
                time.sleep(0.05)
            with Session(get_engine()) as pausing:
                campaigns.pause_campaign(pausing, principal, campaign.id)
                pausing.commit()
            paused_at = datetime.now(UTC)
        time.sleep(3)  # calls under way finish (their callbacks keep coming)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    with Session(get_engine()) as session:
        started = session.get(Campaign, campaign.id).started_at  # type: ignore[union-attr]
        calls = session.exec(select(Call.id, Call.created_at).where(Call.campaign_id == campaign.id)).all()
        # Each call at the provider: from its first callback (initiated) to its final one, by the
        # database's clock when each was received.
        spans = session.exec(
            select(
                WebhookEvent.call_id,
                func.min(WebhookEvent.created_at),
                func.min(WebhookEvent.created_at).filter(
                    WebhookEvent.payload["CallStatus"].astext.in_(
                        ["completed", "busy", "no-answer", "failed"]
                    )
                ),
            )
            .where(col(WebhookEvent.call_id).in_([c.id for c in calls]), WebhookEvent.kind == "status")
            .group_by(WebhookEvent.call_id)
        ).all()

    # Steady pace: dials from the end of the warm-up to the pause, over that same span.
    assert started is not None
    steady_from = started + timedelta(seconds=WARM_UP_SECONDS)
    steady = [created for _, created in calls if steady_from <= created < paused_at]
    per_minute = len(steady) / (paused_at - steady_from).total_seconds() * 60
    # Calls in flight at once (a call with no final callback yet counts until now).
    now = datetime.now(UTC)
    edges = sorted(
        [(began, 1) for _, began, _ in spans] + [(ended or now, -1) for _, _, ended in spans],
        key=lambda edge: (edge[0], edge[1]),
    )
    in_flight = peak = 0
    for _, step in edges:
        in_flight += step
        peak = max(peak, in_flight)

    print(f"\n{label}: {cpm} calls/min configured, {lines} lines, {len(calls)} calls in {args.seconds:g} s")
    print(f"  measured pace (after {WARM_UP_SECONDS:g} s): {per_minute:7.1f} calls/min")
    pace_ratio = per_minute / cpm
    if label.startswith("pace"):
        verdict = "ok" if abs(pace_ratio - 1) <= 0.05 else "OUTSIDE 5 %"
        print(f"  ratio measured / configured pace: {pace_ratio:.1%} (goal 95-105 %)  {verdict}")
    else:
        print(
            f"  ratio measured / configured pace: {pace_ratio:.1%} (the lines bind: below 100 % is expected)"
        )
    print(
        f"  most calls in flight: {peak} at the provider (first to final callback),"
        f" {peak_seen} live in our records"
    )
    worst = max(peak, peak_seen)
    verdict = "ok" if worst <= lines else "OVER"
    print(f"  ratio peak / max_concurrent: {worst / lines:.0%} (goal <= 100 %)  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--cpm", type=int, default=600, help="calls per minute configured")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each campaign runs")
    parser.add_argument("--time-scale", type=float, default=0.05, help="simulated seconds → real seconds")
    args = parser.parse_args()

    name = f"reachimpact_bench_dialer_{uuid.uuid4().hex[:8]}"
    db_url = create_database(name)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "PYTHONPATH": str(ROOT),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SIMULATOR_TIME_SCALE": str(args.time_scale),
        "LOG_LEVEL": "WARNING",
        "APP_ENV": "test",
        "TWILIO_ACCOUNT_SID": "",
        "TWILIO_AUTH_TOKEN": "",
    }
    os.environ.update(env)
    api = None
    try:
        migrate(db_url)
        api = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "reachimpact.api.app:create_api",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        _wait_for_port(port, api)
        _run_campaign(args, env, args.cpm, lines=max(100, args.cpm // 3), label="pace-bound")
        _run_campaign(args, env, args.cpm, lines=10, label="line-bound")
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=10)
        from reachimpact.db import get_engine

        get_engine().dispose()
        drop_database(name)


if __name__ == "__main__":
    main()
