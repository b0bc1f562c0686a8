"""validate: does the database hold what the export said, and nothing less?

Per table, the transformed rows are staged again and compared with the rows in the database (refs
compared as the firebase ids they point to): counts (minus reported rejects), a checksum over the
compared columns, the rows that differ, and a random sample compared field by field. Then referential
integrity (every organization has its owner, every message sits in its contact's conversation), the
collections' bookkeeping (documents = rows + rejects + skipped), and whether users can sign in (every
Firebase hash was kept in a form we verify). Writes validation.md and validation.json.
"""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from migration_tools import staging
from migration_tools.row_files import LOAD_REJECTS_DIR, read_jsonl, read_manifest
from migration_tools.staging import TableSpec, create_stage, q, specs
from reachimpact.services import firebase_scrypt

# Columns the app itself changes after the load (a sign-in upgrades the hash and stamps the time; a new
# message moves its conversation), and that the load derives again from what it loaded (a conversation's
# times and preview, from its messages).
VOLATILE = {
    "users": {"password_hash", "last_login_at"},
    "conversations": {"created_at", "last_message_at", "last_message_preview"},
}
REPORT_MD = "validation.md"
_LOADED_TABLES = (
    "users",
    "organizations",
    "memberships",
    "contacts",
    "campaigns",
    "calls",
    "conversations",
    "messages",
)
REPORT_JSON = "validation.json"
# Comparisons and orphan queries at once, each thread on a connection of its own. One more than the cores:
# each query waits a little on its client between statements, and at the end of `migrate` the last
# tables' checks are all that is left to run (3 ended it 4-6 % sooner than 2 in alternating runs; 4 no
# sooner than 2).
COMPARE_WORKERS = 3


class Connections:
    """A connection per thread that runs checks, kept for that thread's next check, and closed together at
    the end: a new connection costs PostgreSQL about 9 ms of CPU, and its first queries more to fill its
    caches, where a migration runs some 25 checks."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._local = threading.local()
        self._opened: list[psycopg.Connection] = []
        self._lock = threading.Lock()

    def get(self) -> psycopg.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = staging.connect(self.conninfo)
            with self._lock:
                self._opened.append(conn)
        return conn

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *exc: object) -> None:
        for conn in self._opened:
            conn.close()


@dataclass
class Check:
    name: str
    subject: str
    passed: bool
    detail: str
    data: dict = field(default_factory=dict)


@dataclass
class Report:
    batch_id: uuid.UUID | None
    checks: list[Check] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def add(self, name: str, subject: str, passed: bool, detail: str, **data: Any) -> None:
        self.checks.append(Check(name, subject, passed, detail, data))

    def as_dict(self) -> dict:
        return {
            "batch_id": str(self.batch_id) if self.batch_id else None,
            "passed": self.passed,
            "validated_at": datetime.now(UTC).isoformat(),
            "figures": self.figures,
            "checks": [vars(c) for c in self.checks],
        }

    def markdown(self) -> str:
        lines = [
            "# Migration validation",
            "",
            f"Batch `{self.batch_id}`: **{'PASSED' if self.passed else 'FAILED'}** "
            f"({sum(c.passed for c in self.checks)} of {len(self.checks)} checks passed)",
            "",
        ]
        if self.figures:
            lines += ["| figure | value |", "| --- | --- |"]
            lines += [f"| {k} | {v} |" for k, v in self.figures.items()]
            lines.append("")
        lines += ["| result | check | subject | detail |", "| --- | --- | --- | --- |"]
        for c in self.checks:
            detail = c.detail.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {'pass' if c.passed else '**FAIL**'} | {c.name} | {c.subject} | {detail} |")
        return "\n".join(lines) + "\n"

    def write(self, folder: Path) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        md, js = folder / REPORT_MD, folder / REPORT_JSON
        md.write_text(self.markdown())
        js.write_text(json.dumps(self.as_dict(), indent=2, default=str) + "\n")
        return md, js


def _key_expression(spec: TableSpec, alias: str, ref_aliases: dict[str, str]) -> str:
    if spec.has_firebase_id:
        return f"{alias}.firebase_id"
    return " || '|' || ".join(f"{ref_aliases[c]}.firebase_id" for c in spec.conflict_key)


def _stage_rejects(conn: psycopg.Connection, folder: Path, spec: TableSpec) -> int:
    conn.execute("DROP TABLE IF EXISTS v_rejected")
    conn.execute("CREATE TEMP TABLE v_rejected (firebase_id text PRIMARY KEY) ON COMMIT DROP")
    rejects = read_jsonl(folder / LOAD_REJECTS_DIR / f"{spec.name}.jsonl")
    with conn.cursor().copy("COPY v_rejected (firebase_id) FROM STDIN") as copy:
        for firebase_id in {r["firebase_id"] for r in rejects}:
            copy.write_row((firebase_id,))
    return len(rejects)


def _compare_table(
    conn: psycopg.Connection, folder: Path, spec: TableSpec, report: Report, sample: int
) -> None:
    name = spec.name
    create_stage(conn, folder, spec, "v_stage")
    rejected = _stage_rejects(conn, folder, spec)
    compared = [c for c in spec.data if c not in VOLATILE.get(name, set())]
    refs = spec.stored_refs

    # What the table should hold: the staged rows the load did not reject. A reference to a document
    # that was never in the database (dangling in Firebase already) is expected to be NULL.
    expected_refs = []
    for ref in refs:
        ref_table = q(spec.refs[ref]["table"])
        if spec.refs[ref]["required"]:
            expected_refs.append(f"s.{q(ref)} AS {q(ref)}")
        else:
            expected_refs.append(
                f"CASE WHEN EXISTS (SELECT 1 FROM {ref_table} x WHERE x.firebase_id = s.{q(ref)}) "
                f"THEN s.{q(ref)} END AS {q(ref)}"
            )
    stage_key = (
        "s.firebase_id"
        if spec.has_firebase_id
        else " || '|' || ".join(f"s.{q(c)}" for c in spec.conflict_key)
    )
    conn.execute("DROP TABLE IF EXISTS v_expected")
    expected = conn.execute(
        "CREATE TEMP TABLE v_expected ON COMMIT DROP AS "
        f'SELECT DISTINCT ON (s.firebase_id COLLATE "C") {stage_key} AS k, '
        f"{', '.join([*(f's.{q(c)}' for c in compared), *expected_refs])} FROM v_stage s "
        f'WHERE s.firebase_id NOT IN (SELECT firebase_id FROM v_rejected) ORDER BY s.firebase_id COLLATE "C"'
    ).rowcount
    ref_aliases = {ref: f"r{i}" for i, ref in enumerate(refs)}
    joins = " ".join(
        f"LEFT JOIN {q(spec.refs[ref]['table'])} {alias} ON {alias}.id = t.{q(ref)}"
        for ref, alias in ref_aliases.items()
    )
    actual_key = _key_expression(spec, "t", ref_aliases)
    actual_refs = [f"{alias}.firebase_id AS {q(ref)}" for ref, alias in ref_aliases.items()]
    # What the table holds of those rows (each key at most once: the keys are unique in the table).
    actual_values = ", ".join([*(f"t.{q(c)}" for c in compared), *actual_refs])
    actual_from = f"SELECT {actual_key} AS k, {actual_values} FROM {q(name)} t {joins}"
    actual_rows = f"{actual_from} WHERE {actual_key} IN (SELECT k FROM v_expected)"

    columns = [*compared, *refs]
    row_of = lambda alias: f"ROW({', '.join(f'{alias}.{q(c)}' for c in columns)})"  # noqa: E731
    # Count and checksum in one pass over each side. The checksum adds up a 64-bit hash of each row, key
    # included: a row changed, added, lost or moved to another key changes the sum. Hashing the values
    # (each type's own hash, the same for varchar and text) needs neither their text nor a sort: less
    # than half of what md5 over each row's text, in key order, cost for 40k contacts (185 ms, 426 ms).
    summary_sql = (
        "SELECT count(*), coalesce(sum(hash_record_extended(ROW(x.k, {values}), 0)::numeric), 0)::text "
        "FROM ({rows}) x"
    )
    values = ", ".join(f"x.{q(c)}" for c in columns)
    want = conn.execute(summary_sql.format(values=values, rows="TABLE v_expected")).fetchone()[1]
    actual, have = conn.execute(summary_sql.format(values=values, rows=actual_rows)).fetchone()
    missing: list[str] = []
    differing: list[str] = []
    if actual != expected or have != want:
        # Something is off: name the rows that are missing or differ.
        conn.execute("DROP TABLE IF EXISTS v_actual")
        conn.execute(f"CREATE TEMP TABLE v_actual ON COMMIT DROP AS {actual_rows}")
        missing = [
            r[0] for r in conn.execute("SELECT k FROM v_expected EXCEPT SELECT k FROM v_actual LIMIT 20")
        ]
        differing = [
            r[0]
            for r in conn.execute(
                f"SELECT e.k FROM v_expected e JOIN v_actual a ON a.k = e.k "
                f"WHERE {row_of('e')} IS DISTINCT FROM {row_of('a')} ORDER BY e.k LIMIT 20"
            )
        ]
    report.add(
        "count",
        name,
        expected == actual,
        f"{actual} of {expected} expected rows present ({rejected} rejected at load)"
        + (f"; missing e.g. {', '.join(missing[:5])}" if missing else ""),
        expected=expected,
        actual=actual,
        load_rejected=rejected,
        missing=missing,
    )
    report.add(
        "checksum",
        name,
        want == have and not differing,
        f"sum of row hashes over the key, {', '.join(columns)}: "
        + ("equal" if want == have else f"expected {want[:12]}…, found {have[:12]}…")
        + (f"; rows that differ: {', '.join(differing[:10])}" if differing else ""),
        expected=want,
        actual=have,
        differing=differing,
    )

    keys = [r[0] for r in conn.execute("SELECT k FROM v_expected ORDER BY random() LIMIT %s", (sample,))]
    differences: list[dict] = []
    if keys:
        select = ", ".join(q(c) for c in columns)
        wanted = {
            r[0]: r[1:]
            for r in conn.execute(f"SELECT k, {select} FROM v_expected WHERE k = ANY(%s)", (keys,))
        }
        found = {r[0]: r[1:] for r in conn.execute(f"{actual_from} WHERE {actual_key} = ANY(%s)", (keys,))}
        for key in keys:
            if key not in found:
                differences.append({"row": key, "field": "*", "expected": "row", "actual": "missing"})
                continue
            for column, a, b in zip(columns, wanted[key], found[key], strict=True):
                if a != b:
                    differences.append({"row": key, "field": column, "expected": repr(a), "actual": repr(b)})
    report.add(
        "sample",
        name,
        not differences,
        f"{len(keys)} random rows compared field by field"
        + (
            "; "
            + "; ".join(f"{d['row']}.{d['field']}: {d['expected']} ≠ {d['actual']}" for d in differences[:5])
            if differences
            else ""
        ),
        sampled=len(keys),
        differences=differences,
    )


def compare_table(connections: Connections, folder: Path, spec: TableSpec, sample: int) -> list[Check]:
    """One table's count, checksum and sample checks, on this thread's connection."""
    part = Report(None)
    conn = connections.get()
    try:
        _compare_table(conn, folder, spec, part, sample)
    finally:
        conn.rollback()  # it only wrote temp tables
    return part.checks


def _compare_tables(connections: Connections, folder: Path, manifest: dict, sample: int) -> list[Check]:
    """Every table's comparison, COMPARE_WORKERS at a time, reported in load order."""
    ordered = specs(manifest)
    # Biggest first, so the last table to start is a small one and the workers finish together.
    by_size = sorted(ordered, key=lambda spec: -spec.rows)
    with ThreadPoolExecutor(max_workers=COMPARE_WORKERS) as pool:
        found = dict(
            zip(
                (spec.name for spec in by_size),
                pool.map(lambda spec: compare_table(connections, folder, spec, sample), by_size),
                strict=True,
            )
        )
    return [check for spec in ordered for check in found[spec.name]]


@dataclass(frozen=True)
class OrphanQuery:
    """A part of an orphans check: what it finds once `tables` are loaded (later loads change none of
    what it looks at, so `migrate` runs it while later tables are still loading)."""

    check: str
    tables: frozenset[str]
    sql: str


def _orphan_queries() -> list[OrphanQuery]:
    batch_rows = "SELECT row_id FROM migration_id_map WHERE batch_id = %(b)s AND table_name = '{t}'"
    other_org = """
        SELECT c.firebase_id FROM {child} c JOIN {parent} k ON k.id = c.{ref}
        WHERE c.id IN ({rows}) AND c.organization_id <> k.organization_id"""
    return [
        OrphanQuery(
            "organizations without an owner",
            frozenset({"organizations", "memberships"}),
            f"""SELECT o.firebase_id FROM organizations o
                WHERE o.id IN ({batch_rows.format(t="organizations")})
                  AND NOT EXISTS (SELECT 1 FROM memberships m
                                  WHERE m.organization_id = o.id AND m.role = 'owner')""",
        ),
        OrphanQuery(
            "users without an organization",
            frozenset({"users", "memberships"}),
            f"""SELECT u.firebase_id FROM users u WHERE u.id IN ({batch_rows.format(t="users")})
                  AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)""",
        ),
        OrphanQuery(
            "messages outside their contact's conversation",
            frozenset({"messages", "conversations"}),
            f"""SELECT m.firebase_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.id IN ({batch_rows.format(t="messages")})
                  AND (m.contact_id IS DISTINCT FROM c.contact_id
                       OR m.organization_id <> c.organization_id)""",
        ),
        *(
            OrphanQuery(
                "rows in another organization than their parent",
                frozenset({child, parent}),
                other_org.format(child=child, parent=parent, ref=ref, rows=batch_rows.format(t=child)),
            )
            for child, parent, ref in (
                ("calls", "contacts", "contact_id"),
                ("calls", "campaigns", "campaign_id"),
                ("messages", "contacts", "contact_id"),
            )
        ),
        # One anti-join per table (a correlated probe of every table per entry was the slow way).
        *(
            OrphanQuery(
                "id map entries without their row",
                frozenset({t}),
                f"""SELECT mm.firebase_id FROM migration_id_map mm
                    WHERE mm.batch_id = %(b)s AND mm.table_name = '{t}'
                      AND NOT EXISTS (SELECT 1 FROM {t} x WHERE x.id = mm.row_id)""",
            )
            for t in _LOADED_TABLES
        ),
        OrphanQuery(
            "id map entries without their row",
            frozenset(_LOADED_TABLES),
            "SELECT mm.firebase_id FROM migration_id_map mm WHERE mm.batch_id = %(b)s "
            f"AND mm.table_name NOT IN ({', '.join(repr(t) for t in _LOADED_TABLES)})",
        ),
    ]


ORPHAN_QUERIES = _orphan_queries()


def find_orphans(connections: Connections, batch_id: uuid.UUID, query: OrphanQuery) -> list[str]:
    """Up to 20 firebase ids that one orphans query finds, on this thread's connection."""
    conn = connections.get()
    try:
        return [str(r[0]) for r in conn.execute(query.sql + " LIMIT 20", {"b": batch_id})]
    finally:
        conn.rollback()


def _find_all_orphans(connections: Connections, batch_id: uuid.UUID) -> dict[OrphanQuery, list[str]]:
    with ThreadPoolExecutor(max_workers=COMPARE_WORKERS) as pool:
        found = pool.map(lambda query: find_orphans(connections, batch_id, query), ORPHAN_QUERIES)
        return dict(zip(ORPHAN_QUERIES, found, strict=True))


def _integrity(found: dict[OrphanQuery, list[str]], report: Report) -> None:
    by_check: dict[str, list[str]] = {}
    for query in ORPHAN_QUERIES:
        by_check.setdefault(query.check, []).extend(found[query])
    for name, orphans in by_check.items():
        report.add("orphans", name, not orphans, "none" if not orphans else f"e.g. {', '.join(orphans[:5])}")


def _bookkeeping(manifest: dict, report: Report) -> None:
    for name, c in manifest["collections"].items():
        accounted = c["rows"] + c["rejected"] + c["skipped"]
        report.add(
            "documents",
            name,
            accounted == c["documents"],
            f"{c['documents']} documents = {c['rows']} rows + {c['rejected']} rejected "
            f"+ {c['skipped']} skipped"
            + (f" ({c['skip_reason']})" if c.get("skip_reason") else "")
            + (
                f"; fields kept only in the export: {', '.join(c['unmapped_fields'])}"
                if c.get("unmapped_fields")
                else ""
            ),
        )


@dataclass
class PasswordHashes:
    """The batch's users by the state of their password hash."""

    scrypt: int = 0
    upgraded: int = 0
    none: int = 0
    broken: list[str] = field(default_factory=list)


def count_password_hashes(conninfo: str, batch_id: uuid.UUID, export_hash: dict | None) -> PasswordHashes:
    """Whether each user of the batch can sign in: every Firebase hash kept in a form we verify, with the
    project's parameters (`export_hash`, when known). On a connection of its own."""
    signer_key = (
        firebase_scrypt.b64encode(firebase_scrypt.b64decode_any(export_hash["base64_signer_key"]))
        if export_hash
        else None
    )
    counts = PasswordHashes()
    with psycopg.connect(conninfo) as conn, conn.cursor(name="password_hashes") as rows:
        # A server-side cursor: the users stream through in pages, however many there are.
        rows.itersize = 2000
        rows.execute(
            """SELECT u.firebase_id, u.password_hash FROM users u
               JOIN migration_id_map mm ON mm.row_id = u.id AND mm.table_name = 'users'
               WHERE mm.batch_id = %s""",
            (batch_id,),
        )
        for firebase_id, password_hash in rows:
            _count_hash(counts, firebase_id, password_hash, export_hash, signer_key)
    return counts


def _count_hash(
    counts: PasswordHashes,
    firebase_id: str,
    password_hash: str | None,
    export_hash: dict | None,
    signer_key: str | None,
) -> None:
    if password_hash is None:
        counts.none += 1
    elif password_hash.startswith(firebase_scrypt.PREFIX):
        try:
            parsed = firebase_scrypt.parse_hash(password_hash)
        except ValueError:
            counts.broken.append(firebase_id)
            return
        if export_hash and (
            firebase_scrypt.b64encode(parsed.params.signer_key) != signer_key
            or parsed.params.rounds != int(export_hash["rounds"])
            or parsed.params.mem_cost != int(export_hash["mem_cost"])
        ):
            counts.broken.append(firebase_id)
            return
        counts.scrypt += 1
    elif password_hash.startswith("$2"):
        counts.upgraded += 1
    else:
        counts.broken.append(firebase_id)


def _authentication(counts: PasswordHashes, manifest: dict, report: Report) -> None:
    scrypt, upgraded, none, broken = counts.scrypt, counts.upgraded, counts.none, counts.broken
    expected_none = manifest.get("auth", {}).get("users_without_password", 0)
    report.figures.update(
        {
            "users with their Firebase password": scrypt,
            "users already on bcrypt (signed in since)": upgraded,
            "users who must reset their password (no Firebase password hash)": none,
        }
    )
    report.add(
        "authentication",
        "users",
        not broken and none <= expected_none,
        f"{scrypt} keep their Firebase password, {upgraded} signed in since (bcrypt), "
        f"{none} must reset (Firebase had no password hash for {expected_none})"
        + (f"; unusable hashes: {', '.join(broken[:5])}" if broken else ""),
        broken=broken,
    )


def latest_batch(conn: psycopg.Connection, fingerprint: str) -> uuid.UUID | None:
    row = conn.execute(
        "SELECT id FROM migration_batches WHERE export_sha256 = %s AND status <> 'rolled_back' "
        "ORDER BY started_at DESC LIMIT 1",
        (fingerprint,),
    ).fetchone()
    return row[0] if row else None


def validate(
    conninfo: str,
    folder: Path,
    *,
    batch_id: uuid.UUID | None = None,
    sample: int = 50,
    report_dir: Path | None = None,
    export_hash_config: dict | None = None,
) -> Report:
    """Validate the load of a transformed folder; the report is written to `report_dir` (else `folder`)."""
    manifest = read_manifest(folder)
    if export_hash_config is None:
        export_manifest = Path(manifest.get("export_folder") or "") / "manifest.json"
        if export_manifest.is_file():
            export_hash_config = json.loads(export_manifest.read_text()).get("hash_config")
    if batch_id is None:
        with psycopg.connect(conninfo) as conn:
            batch_id = latest_batch(conn, manifest["fingerprint"])
    if batch_id is None:
        return conclude(conninfo, folder, manifest, None, [], {}, None, report_dir=report_dir)
    with Connections(conninfo) as connections:
        compared = _compare_tables(connections, folder, manifest, sample)
        orphans = _find_all_orphans(connections, batch_id)
    hashes = count_password_hashes(conninfo, batch_id, export_hash_config)
    return conclude(conninfo, folder, manifest, batch_id, compared, orphans, hashes, report_dir=report_dir)


def conclude(
    conninfo: str,
    folder: Path,
    manifest: dict,
    batch_id: uuid.UUID | None,
    compared: list[Check],
    orphans: dict[OrphanQuery, list[str]],
    hashes: PasswordHashes | None,
    *,
    report_dir: Path | None = None,
) -> Report:
    """The report from the tables' comparisons (`compared`), what every ORPHAN_QUERIES found (`orphans`)
    and the users' password hashes, with the bookkeeping checks; records the outcome on the batch and
    writes the report."""
    report = Report(batch_id)
    if batch_id is None or hashes is None:
        report.add("batch", "load", False, "no loaded batch for this transformed folder: run load first")
    else:
        report.checks += compared
        _integrity(orphans, report)
        _authentication(hashes, manifest, report)
    _bookkeeping(manifest, report)
    rejected = sum(c["rejected"] for c in manifest["collections"].values())
    report.figures["documents rejected by transform"] = rejected
    report.figures["rows rejected by load"] = sum(
        len(read_jsonl(p)) for p in (folder / LOAD_REJECTS_DIR).glob("*.jsonl")
    )
    if batch_id is not None:
        with psycopg.connect(conninfo) as conn:
            conn.execute(
                "UPDATE migration_batches SET status = CASE WHEN %s THEN 'validated' ELSE 'failed' END, "
                "details = details || %s WHERE id = %s AND status <> 'rolled_back'",
                (
                    report.passed,
                    Jsonb({"validation": {"passed": report.passed, "at": datetime.now(UTC).isoformat()}}),
                    batch_id,
                ),
            )
    report.write(report_dir or folder)
    return report
