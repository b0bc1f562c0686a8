"""Benchmark: the contacts page's queries at a million contacts, against a plain indexed lookup.

    python bench/contacts_query.py [--rows 1000000] [--explain]

Fills a throw-away database with N contacts shaped like bench/import_contacts.py's file (its names,
emails, numbers and tags), then times each query the contacts page sends through
services.contacts.list_contacts (the page of rows and its capped count) and prints the median ms and
its ratio to a lookup of one contact by number in the same run. --explain prints each query's
EXPLAIN (ANALYZE, BUFFERS). bench/import_contacts.py runs the same cases after its import.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.databases import create_database, drop_database, migrate  # noqa: E402

# Each goal query of issue #4 ("first page, search by name/phone/email, tag filter") and the rest of
# what the page offers. "rare name" matches a few rows: the case a scan in created_at order cannot serve.
CASES: dict[str, dict[str, Any]] = {
    "first page": {},
    "search name": {"q": "smi"},
    "search first name": {"q": "maya"},
    "search full name": {"q": "maya smith"},
    "search rare name": {"q": "zed"},
    "search email": {"q": "kofi.rossi12"},
    "search phone": {"q": "(415) 201-0005"},
    "search last digits": {"q": "0143"},
    "tag filter": {"tag": "donor"},
    "rare tag filter": {"tag": "vip"},
    "sort by name": {"sort": "name"},
    "search + tag": {"q": "smi", "tag": "volunteer"},
}
GOAL_MS = 100

_FILL = """
INSERT INTO contacts (id, organization_id, first_name, last_name, phone, email, tags, custom_fields,
                      time_zone, created_at)
SELECT gen_random_uuid(), %(org)s, f, l,
       '+1' || (ARRAY['212','415','312','713','305','206','617','503','404','602'])[1 + n %% 10]
            || lpad((200 + (n / 10000) %% 800)::text, 3, '0') || lpad((n %% 10000)::text, 4, '0'),
       lower(f || '.' || l || n || '@example.org'),
       CASE WHEN n %% 5000 = 0 THEN '{vip}'::text[] WHEN n %% 3 = 0 THEN '{donor}'
            WHEN n %% 3 = 1 THEN '{}' ELSE '{volunteer,donor}' END,
       jsonb_build_object('Precinct', 'P' || n %% 97), 'America/New_York',
       now() - make_interval(secs => %(rows)s - n)
FROM (
    SELECT n,
           CASE WHEN n %% 20000 = 7 THEN 'Zed' ELSE (ARRAY['Ann','Bob','Cara','Dan','Eve','Femi','Gus','Hana',
               'Ivan','Jia','Kofi','Lena','Maya','Noor'])[1 + (n * 5) %% 14] END AS f,
           (ARRAY['Lee','Smith','Garcia','Nguyen','Okafor','Kowalski','Brown','Haddad','Rossi','Tanaka',
                  'Diaz'])[1 + (n * 13) %% 11] AS l
    FROM generate_series(0, %(rows)s - 1) AS n
) AS generated
"""


def fill(conninfo: str, organization_id: uuid.UUID, rows: int) -> None:
    """N contacts of one organization, plus a small second organization sharing the table."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        other = uuid.uuid4()
        for org, name in [(organization_id, "Bench"), (other, "Neighbour")]:
            conn.execute(
                "INSERT INTO organizations (id, name, default_region, time_zone) "
                "VALUES (%s, %s, 'US', 'America/New_York')",
                (org, name),
            )
        conn.execute(_FILL, {"org": organization_id, "rows": rows})
        conn.execute(_FILL, {"org": other, "rows": max(rows // 100, 1)})
        conn.execute("VACUUM ANALYZE contacts")


def _median_ms(run: Any, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def page_queries(db_url: str, organization_id: uuid.UUID, repeat: int = 7) -> dict[str, float]:
    """Median ms of each case through the service (count + page), and of the baseline lookup."""
    os.environ["DATABASE_URL"] = db_url
    import sqlalchemy as sa

    from reachimpact.db import session_scope
    from reachimpact.models import Role
    from reachimpact.services import contacts
    from reachimpact.services.auth import Principal

    principal = Principal(uuid.uuid4(), organization_id, Role.OWNER)
    timings = {}
    with session_scope() as session:
        phone = session.execute(
            sa.text("SELECT phone FROM contacts WHERE organization_id = :org LIMIT 1"),
            {"org": organization_id},
        ).scalar_one()
        timings["baseline: one contact by number"] = _median_ms(
            lambda: session.execute(
                sa.text("SELECT * FROM contacts WHERE organization_id = :org AND phone = :phone"),
                {"org": organization_id, "phone": phone},
            ).all(),
            repeat,
        )
        for label, params in CASES.items():
            timings[label] = _median_ms(
                lambda params=params: contacts.list_contacts(
                    session, principal, page_size=50, count_cap=contacts.PAGE_COUNT_CAP, **params
                ),
                repeat,
            )
    return timings


def explain(db_url: str, organization_id: uuid.UUID) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement list_contacts sends, case by case."""
    os.environ["DATABASE_URL"] = db_url
    from sqlalchemy import event

    from reachimpact.db import get_engine, session_scope
    from reachimpact.models import Role
    from reachimpact.services import contacts
    from reachimpact.services.auth import Principal

    principal = Principal(uuid.uuid4(), organization_id, Role.OWNER)
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "contacts" in statement:
            statements.append((statement, parameters))

    event.listen(get_engine(), "before_cursor_execute", capture)
    try:
        for label, params in CASES.items():
            statements.clear()
            with session_scope() as session:
                contacts.list_contacts(
                    session, principal, page_size=50, count_cap=contacts.PAGE_COUNT_CAP, **params
                )
                for statement, parameters in list(statements):
                    plan = session.connection().exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                    )
                    print(f"--- {label}")
                    print("\n".join(row[0] for row in plan))
    finally:
        event.remove(get_engine(), "before_cursor_execute", capture)


def report(timings: dict[str, float]) -> None:
    baseline_label = next(label for label in timings if label.startswith("baseline"))
    baseline = timings[baseline_label]
    print(f"contacts page at this size, median of 7 ({baseline_label}: {baseline:.1f} ms):")
    for label, ms in timings.items():
        if label == baseline_label:
            continue
        verdict = "ok" if ms < GOAL_MS else f"over {GOAL_MS} ms"
        print(f"  {label:<20} {ms:7.1f} ms  {ms / baseline:6.1f}x baseline  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    args = parser.parse_args()

    name = f"reachimpact_bench_{uuid.uuid4().hex[:8]}"
    db_url = create_database(name)
    try:
        migrate(db_url)
        organization_id = uuid.uuid4()
        started = time.perf_counter()
        fill(db_url.replace("postgresql+psycopg://", "postgresql://"), organization_id, args.rows)
        print(f"filled {args.rows:,} contacts in {time.perf_counter() - started:.0f}s")
        if args.explain:
            explain(db_url, organization_id)
        report(page_queries(db_url, organization_id))
    finally:
        drop_database(name)


if __name__ == "__main__":
    main()
