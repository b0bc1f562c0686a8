"""Benchmark: the Firebase migration (transform + load + validate) against a raw COPY of the same rows.

    python bench/migration.py [--users 10000]

Builds an export folder of N Auth users and 10 N Firestore documents (per user: a profile, 4 contacts,
a campaign, 2 calls and 2 messages, with references between them), then, in a throw-away database,
measures (a) a raw COPY of the transformed rows into plain copies of the tables and (b) our transform,
load (staging COPY, set-based upserts, id map) and validate, overlapped as `migrate` runs them
(migration_tools.pipeline). Prints documents/s for each, the ratio, and peak RSS; the full size runs
--repeat times (default 3) and its median is the figure, as these machines' speed drifts from minute to
minute. One run at a quarter of the size shows whether memory stays flat as the export grows.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from migration_tools.export_folder import AUTH_STREAM, ExportWriter, collection_pattern  # noqa: E402
from migration_tools.sample_export import SampleExport  # noqa: E402
from reachimpact.db import libpq_url  # noqa: E402
from tests.databases import create_database, drop_database, migrate  # noqa: E402

PAGE = 5000


def build_export(folder: Path, users: int) -> int:
    """An export folder in the shape `export` writes; returns the number of Firestore documents."""
    sample = SampleExport(
        users=users,
        contacts_per_user=4,
        campaigns_per_user=1,
        calls_per_user=2,
        messages_per_user=2,
        analytics_per_user=0,
    )
    writer = ExportWriter(folder, source={"kind": "bench"}, hash_config=sample.hash_config)
    auth = sample.auth_users()
    for start in range(0, len(auth), PAGE):
        writer.write_page(AUTH_STREAM, auth[start : start + PAGE], cursor=str(start))
    writer.finish_stream(AUTH_STREAM)
    pages: dict[str, list[dict]] = {}
    count = 0
    for path, fields in sample.document_records():
        stream = collection_pattern(path)
        page = pages.setdefault(stream, [])
        page.append({"path": path, "data": fields})
        count += 1
        if len(page) >= PAGE:
            writer.write_page(stream, page, cursor=path)
            page.clear()
    for stream, page in pages.items():
        writer.write_page(stream, page, cursor=None)
        writer.finish_stream(stream)
    writer.finish()
    return count


def raw_copy(conninfo: str, transformed: Path) -> float:
    """COPY every rows file into an unindexed table of the same columns: the floor for moving the bytes."""
    from migration_tools.row_files import read_manifest
    from migration_tools.staging import create_stage, specs

    started = time.perf_counter()
    with psycopg.connect(conninfo) as conn:
        for spec in specs(read_manifest(transformed)):
            create_stage(conn, transformed, spec, name=f"raw_{spec.name}")
        conn.commit()
    return time.perf_counter() - started


def run_one(export: Path, users: int, documents: int) -> dict:
    """One migration of the built export, in this process (so ru_maxrss is this run's peak)."""
    from migration_tools import pipeline
    from migration_tools.mapping import load_mapping

    name = f"reachimpact_bench_migration_{uuid.uuid4().hex[:8]}"
    url = create_database(name)
    try:
        migrate(url)
        conninfo = libpq_url(url)
        with tempfile.TemporaryDirectory(prefix="bench-migration-") as tmp:
            rows = Path(tmp) / "rows"
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            # The three steps overlap (migration_tools.pipeline): when each one ended, from the start.
            ended: dict[str, float] = {}
            started = time.perf_counter()

            def mark(step: str) -> None:
                ended[step] = time.perf_counter() - started

            migrated = pipeline.migrate(
                export,
                rows,
                load_mapping(),
                conninfo,
                on_transformed=lambda *_: mark("transform"),
                on_loaded=lambda _: mark("load"),
            )
            mark("validate")
            raw = raw_copy(conninfo, rows)
            return {
                "users": users,
                "documents": documents,
                "ended": ended,
                "raw_copy": raw,
                "passed": migrated.report.passed,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                # The transform's Auth users child (forked: it shares this process's pages until it
                # writes, so the two peaks do not add up).
                "child_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "rss_before_migration_mb": rss_before / 1024,
            }
    finally:
        drop_database(name)


def _in_child(*args: str) -> str:
    """Run this script with `args` in a fresh interpreter; its last line of output."""
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs at full size; the median is the figure (noisy machines)"
    )
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--documents", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        print(build_export(args.build, args.users))
        return
    if args.one:
        print(json.dumps(run_one(args.one, args.users, args.documents)))
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-migration-export-") as tmp:
        for users, runs in ((max(args.users // 4, 1), 1), (args.users, max(args.repeat, 1))):
            export = Path(tmp) / f"export-{users}"
            # Built and migrated in child processes: each run's peak RSS is its migration's alone.
            documents = _in_child("--users", str(users), "--build", str(export))
            for _ in range(runs):
                one = _in_child("--users", str(users), "--documents", documents, "--one", str(export))
                results.append(json.loads(one))
    print("transform, load and validate overlap: when the transform and the load ended, from the start;")
    print("the validation ends last, at the total")
    print(
        f"{'users':>7} {'docs':>8} {'transform':>10} {'load':>8} {'total':>8} "
        f"{'docs/s':>8} {'raw COPY docs/s':>16} {'ratio':>6} {'peak RSS':>9} valid"
    )
    for r in results:
        t = r["ended"]
        r["docs_per_s"] = r["documents"] / t["validate"]
        raw = r["documents"] / r["raw_copy"]
        print(
            f"{r['users']:>7} {r['documents']:>8} {t['transform']:>9.2f}s {t['load']:>7.2f}s "
            f"{t['validate']:>7.2f}s {r['docs_per_s']:>8.0f} {raw:>16.0f} "
            f"{raw / r['docs_per_s']:>5.1f}x {r['peak_rss_mb']:>7.0f}MB {'yes' if r['passed'] else 'NO'}"
        )
    small, full = results[0], results[1:]
    rates = sorted(r["docs_per_s"] for r in full)
    print(
        f"{full[0]['documents']} documents: median {statistics.median(rates):,.0f} documents/s over "
        f"{len(rates)} runs (range {rates[0]:,.0f}-{rates[-1]:,.0f}; goal >= 20,000)"
    )
    print(
        f"peak RSS {small['peak_rss_mb']:.0f} MB at {small['documents']} documents, "
        f"{max(r['peak_rss_mb'] for r in full):.0f} MB at {full[0]['documents']} "
        f"(of which {small['rss_before_migration_mb']:.0f} MB before the migration started: imports); "
        f"the transform's Auth users child peaked at {small['child_peak_rss_mb']:.0f} and "
        f"{max(r['child_peak_rss_mb'] for r in full):.0f} MB"
    )


if __name__ == "__main__":
    main()
