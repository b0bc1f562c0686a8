"""Benchmark: our CSV contact import against a raw PostgreSQL COPY of the same rows, in one run.

    python bench/import_contacts.py [--rows 1000000]

Generates a realistic file (names, phones in mixed spellings, 5 % bad rows, 3 % repeats), then measures
(a) COPY of the same rows already normalised into a plain table and (b) our whole import (encoding
scan, parsing, COPY, merge into the indexed contacts table), and prints rows/s for both, the ratio,
our peak RSS, and the contacts page's queries at that size. Runs in a throw-away database.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.databases import create_database, drop_database, migrate  # noqa: E402

FIRST = [
    "Ann",
    "Bob",
    "Cara",
    "Dan",
    "Eve",
    "Femi",
    "Gus",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lena",
    "Maya",
    "Noor",
]
LAST = [
    "Lee",
    "Smith",
    "Garcia",
    "Nguyen",
    "Okafor",
    "Kowalski",
    "Brown",
    "Haddad",
    "Rossi",
    "Tanaka",
    "Diaz",
]
AREAS = ["212", "415", "312", "713", "305", "206", "617", "503", "404", "602"]
SHAPES = ["({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}", "1{a}{b}{c}", "{a}{b}{c}"]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """Write the CSV file, row by row."""
    rng = random.Random(seed)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["First Name", "Last Name", "Phone Number", "E-mail", "Tags", "Precinct"])
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            n = i if rng.random() > 0.03 else rng.randrange(max(i, 1))  # 3 % repeat an earlier number
            a, b, c = AREAS[n % len(AREAS)], f"{200 + (n // 10_000) % 800:03d}", f"{n % 10_000:04d}"
            phone = rng.choice(SHAPES).format(a=a, b=b, c=c)
            email = f"{first}.{last}{i}@example.org".lower()
            if rng.random() < 0.05:  # 5 % bad rows
                phone, email = rng.choice([("12", email), (phone, "not-an-email"), ("call me", email)])
            out.writerow(
                [first, last, phone, email, rng.choice(["", "donor", "volunteer,donor"]), f"P{n % 97}"]
            )


def baseline_copy(conninfo: str, organization_id: uuid.UUID) -> dict[str, float]:
    """Rows/s of a raw COPY of the rows our import produced (already normalised, no parsing, no merge):
    into a table shaped like contacts with all its indexes, and into a bare table with none."""
    columns = "organization_id, first_name, last_name, phone, email, tags, custom_fields, time_zone, notes"
    with psycopg.connect(conninfo) as conn:
        buffer = io.BytesIO()
        with conn.cursor().copy(
            f"COPY (SELECT {columns} FROM contacts WHERE organization_id = %s) TO STDOUT", (organization_id,)
        ) as copy:
            for block in copy:
                buffer.write(block)
        data = buffer.getvalue()
        rows = data.count(b"\n")
        rates = {}
        for label, shape in [("indexed like contacts", "INCLUDING ALL"), ("bare table", "")]:
            conn.execute(f"CREATE TABLE copy_baseline (LIKE contacts {shape})")
            if not shape:  # the bare table still needs an id column value: take the default
                conn.execute("ALTER TABLE copy_baseline ALTER COLUMN id SET DEFAULT gen_random_uuid()")
                conn.execute("ALTER TABLE copy_baseline ALTER COLUMN created_at SET DEFAULT now()")
                conn.execute("ALTER TABLE copy_baseline ALTER COLUMN updated_at SET DEFAULT now()")
                conn.execute("ALTER TABLE copy_baseline ALTER COLUMN opt_out_calls SET DEFAULT false")
                conn.execute("ALTER TABLE copy_baseline ALTER COLUMN opt_out_sms SET DEFAULT false")
            conn.commit()
            started = time.perf_counter()
            with conn.cursor().copy(f"COPY copy_baseline ({columns}) FROM STDIN") as copy:
                for i in range(0, len(data), 1 << 20):
                    copy.write(data[i : i + (1 << 20)])
            conn.commit()
            rates[label] = rows / (time.perf_counter() - started)
            conn.execute("DROP TABLE copy_baseline")
            conn.commit()
    return rates


def page_queries(db_url: str, organization_id: uuid.UUID) -> dict[str, float]:
    """Median milliseconds of the contacts page's queries at this size."""
    os.environ["DATABASE_URL"] = db_url
    from reachimpact.db import session_scope
    from reachimpact.models import Role
    from reachimpact.services import contacts
    from reachimpact.services.auth import Principal

    principal = Principal(uuid.uuid4(), organization_id, Role.OWNER)
    cases = {
        "first page": {},
        "search name": {"q": "smi"},
        "search phone": {"q": "(415) 201-0005"},
        "search last digits": {"q": "0143"},
        "tag filter": {"tag": "donor"},
        "sort by name": {"sort": "name"},
    }
    timings = {}
    for label, params in cases.items():
        samples = []
        for _ in range(7):
            with session_scope() as session:
                started = time.perf_counter()
                contacts.list_contacts(session, principal, page_size=50, **params)
                samples.append((time.perf_counter() - started) * 1000)
        timings[label] = statistics.median(samples)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    name = f"reachimpact_bench_{uuid.uuid4().hex[:8]}"
    db_url = create_database(name)
    conninfo = db_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        migrate(db_url)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "contacts.csv"
            started = time.perf_counter()
            generate(path, args.rows)
            megabytes = path.stat().st_size / 1e6
            print(
                f"generated {args.rows:,} rows ({megabytes:.0f} MB) in {time.perf_counter() - started:.1f}s"
            )

            os.environ["DATABASE_URL"] = db_url
            from reachimpact.services.contact_import import import_contacts

            organization_id = uuid.uuid4()
            with psycopg.connect(conninfo) as conn:
                conn.execute(
                    "INSERT INTO organizations (id, name, default_region, time_zone) "
                    "VALUES (%s, 'Bench', 'US', 'America/New_York')",
                    (organization_id,),
                )
            started = time.perf_counter()
            with (Path(folder) / "errors.csv").open("w") as errors:
                result = import_contacts(path, organization_id=organization_id, errors_out=errors)
            ours = args.rows / (time.perf_counter() - started)
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rates = baseline_copy(conninfo, organization_id)
        raw = rates["indexed like contacts"]

        print(
            f"import: {result.imported:,} imported, {result.skipped:,} skipped, {result.rejected:,} rejected"
        )
        print(f"raw COPY, same rows, into a bare table:        {rates['bare table']:,.0f} rows/s")
        print(f"raw COPY, same rows, into a contacts-like table: {raw:,.0f} rows/s (baseline)")
        print(f"our import (read, parse, COPY, merge):           {ours:,.0f} rows/s")
        print(f"ratio ours / baseline:                            {ours / raw:.1%}")
        print(f"ratio ours / bare-table COPY:                     {ours / rates['bare table']:.1%}")
        print(f"peak RSS: {peak_mb:.0f} MB (parser child: {child_mb:.0f} MB)")
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE contacts")
        for label, ms in page_queries(db_url, organization_id).items():
            print(f"contacts page, {label:<20} {ms:7.1f} ms (median of 7)")
    finally:
        drop_database(name)


if __name__ == "__main__":
    main()
