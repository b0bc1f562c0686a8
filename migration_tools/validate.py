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

# Columns the app itself changes after the load (a sign-in upgrades the hash and stamps the time).
VOLATILE = {"users": {"password_hash", "last_login_at"}}
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
COMPARE_WORKERS = 2


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
    conn.execute(
        "CREATE TEMP TABLE v_expected ON COMMIT DROP AS "
        f'SELECT DISTINCT ON (s.firebase_id COLLATE "C") {stage_key} AS k, '
        f"{', '.join([*(f's.{q(c)}' for c in compared), *expected_refs])} FROM v_stage s "
        f'WHERE s.firebase_id NOT IN (SELECT firebase_id FROM v_rejected) ORDER BY s.firebase_id COLLATE "C"'
    )
    ref_aliases = {ref: f"r{i}" for i, ref in enumerate(refs)}
    joins = " ".join(
        f"LEFT JOIN {q(spec.refs[ref]['table'])} {alias} ON {alias}.id = t.{q(ref)}"
        for ref, alias in ref_aliases.items()
    )
    actual_key = _key_expression(spec, "t", ref_aliases)
    actual_refs = [f"{alias}.firebase_id AS {q(ref)}" for ref, alias in ref_aliases.items()]
    conn.execute("DROP TABLE IF EXISTS v_actual")
    conn.execute(
        f"CREATE TEMP TABLE v_actual ON COMMIT DROP AS SELECT {actual_key} AS k, "
        f"{', '.join([*(f't.{q(c)}' for c in compared), *actual_refs])} "
        f"FROM {q(name)} t {joins} WHERE {actual_key} IN (SELECT k FROM v_expected)"
    )
    expected = conn.execute("SELECT count(*) FROM v_expected").fetchone()[0]
    actual = conn.execute("SELECT count(*) FROM v_actual").fetchone()[0]
    missing = [r[0] for r in conn.execute("SELECT k FROM v_expected EXCEPT SELECT k FROM v_actual LIMIT 20")]
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

    columns = [*compared, *refs]
    row_of = lambda alias: f"ROW({', '.join(f'{alias}.{q(c)}' for c in columns)})"  # noqa: E731
    # Ordered by bytes (COLLATE "C"): the same order on both sides, without the locale's cost.
    checksum_sql = (
        "SELECT md5(coalesce(string_agg(md5({row}::text), '' ORDER BY k COLLATE \"C\"), '')) FROM {t} x"
    )
    want = conn.execute(checksum_sql.format(row=row_of("x"), t="v_expected")).fetchone()[0]
    have = conn.execute(checksum_sql.format(row=row_of("x"), t="v_actual")).fetchone()[0]
    differing = [
        r[0]
        for r in conn.execute(
            f"SELECT e.k FROM v_expected e JOIN v_actual a ON a.k = e.k "
            f"WHERE {row_of('e')} IS DISTINCT FROM {row_of('a')} ORDER BY e.k LIMIT 20"
        )
    ]
    report.add(
        "checksum",
        name,
        want == have and not differing,
        f"md5 over {', '.join(columns)}: "
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
        found = {
            r[0]: r[1:] for r in conn.execute(f"SELECT k, {select} FROM v_actual WHERE k = ANY(%s)", (keys,))
        }
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


def _compare_tables(
    conninfo: str, folder: Path, manifest: dict, batch_id: uuid.UUID, sample: int
) -> list[Check]:
    """Every table's comparison, COMPARE_WORKERS at a time (each on its own connection, so on its own
    core), reported in load order."""

    def compare(spec: TableSpec) -> list[Check]:
        part = Report(batch_id)
        with staging.connect(conninfo) as conn:
            _compare_table(conn, folder, spec, part, sample)
            conn.rollback()  # it only wrote temp tables
        return part.checks

    ordered = specs(manifest)
    # Biggest first, so the last table to start is a small one and the workers finish together.
    by_size = sorted(ordered, key=lambda spec: -spec.rows)
    with ThreadPoolExecutor(max_workers=COMPARE_WORKERS) as pool:
        found = dict(zip((spec.name for spec in by_size), pool.map(compare, by_size), strict=True))
    return [check for spec in ordered for check in found[spec.name]]


def _integrity(conn: psycopg.Connection, batch_id: uuid.UUID, report: Report) -> None:
    batch_rows = "SELECT row_id FROM migration_id_map WHERE batch_id = %(b)s AND table_name = '{t}'"
    checks = {
        "organizations without an owner": f"""
            SELECT o.firebase_id FROM organizations o WHERE o.id IN ({batch_rows.format(t="organizations")})
              AND NOT EXISTS (SELECT 1 FROM memberships m
                              WHERE m.organization_id = o.id AND m.role = 'owner')""",
        "users without an organization": f"""
            SELECT u.firebase_id FROM users u WHERE u.id IN ({batch_rows.format(t="users")})
              AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)""",
        "messages outside their contact's conversation": f"""
            SELECT m.firebase_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE m.id IN ({batch_rows.format(t="messages")})
              AND (m.contact_id IS DISTINCT FROM c.contact_id OR m.organization_id <> c.organization_id)""",
        "rows in another organization than their parent": f"""
            SELECT x.firebase_id FROM (
                SELECT c.firebase_id, c.organization_id, k.organization_id AS parent_org FROM calls c
                  JOIN contacts k ON k.id = c.contact_id WHERE c.id IN ({batch_rows.format(t="calls")})
                UNION ALL
                SELECT c.firebase_id, c.organization_id, k.organization_id FROM calls c
                  JOIN campaigns k ON k.id = c.campaign_id WHERE c.id IN ({batch_rows.format(t="calls")})
                UNION ALL
                SELECT m.firebase_id, m.organization_id, k.organization_id FROM messages m
                  JOIN contacts k ON k.id = m.contact_id WHERE m.id IN ({batch_rows.format(t="messages")})
            ) x WHERE x.organization_id <> x.parent_org""",
        # One anti-join per table (a correlated probe of every table per entry was the slow way).
        "id map entries without their row": " UNION ALL ".join(
            [
                f"""(SELECT mm.firebase_id FROM migration_id_map mm
                     WHERE mm.batch_id = %(b)s AND mm.table_name = '{t}'
                       AND NOT EXISTS (SELECT 1 FROM {t} x WHERE x.id = mm.row_id))"""
                for t in _LOADED_TABLES
            ]
            + [
                "(SELECT mm.firebase_id FROM migration_id_map mm WHERE mm.batch_id = %(b)s "
                f"AND mm.table_name NOT IN ({', '.join(repr(t) for t in _LOADED_TABLES)}))"
            ]
        ),
    }
    for name, sql in checks.items():
        found = [r[0] for r in conn.execute(sql + " LIMIT 20", {"b": batch_id})]
        report.add(
            "orphans", name, not found, "none" if not found else f"e.g. {', '.join(map(str, found[:5]))}"
        )


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


def _authentication(
    conn: psycopg.Connection, batch_id: uuid.UUID, manifest: dict, export_hash: dict | None, report: Report
) -> None:
    rows = conn.execute(
        """SELECT u.firebase_id, u.password_hash FROM users u
           JOIN migration_id_map mm ON mm.row_id = u.id AND mm.table_name = 'users' WHERE mm.batch_id = %s""",
        (batch_id,),
    ).fetchall()
    scrypt = upgraded = none = 0
    broken: list[str] = []
    for firebase_id, password_hash in rows:
        if password_hash is None:
            none += 1
        elif password_hash.startswith(firebase_scrypt.PREFIX):
            try:
                parsed = firebase_scrypt.parse_hash(password_hash)
            except ValueError:
                broken.append(firebase_id)
                continue
            if export_hash and (
                firebase_scrypt.b64encode(parsed.params.signer_key)
                != firebase_scrypt.b64encode(firebase_scrypt.b64decode_any(export_hash["base64_signer_key"]))
                or parsed.params.rounds != int(export_hash["rounds"])
                or parsed.params.mem_cost != int(export_hash["mem_cost"])
            ):
                broken.append(firebase_id)
                continue
            scrypt += 1
        elif password_hash.startswith("$2"):
            upgraded += 1
        else:
            broken.append(firebase_id)
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
    with staging.connect(conninfo) as conn:
        batch_id = batch_id or latest_batch(conn, manifest["fingerprint"])
        report = Report(batch_id)
        if batch_id is None:
            report.add("batch", "load", False, "no loaded batch for this transformed folder: run load first")
        else:
            report.checks += _compare_tables(conninfo, folder, manifest, batch_id, sample)
            _integrity(conn, batch_id, report)
            _authentication(conn, batch_id, manifest, export_hash_config, report)
        _bookkeeping(manifest, report)
        rejected = sum(c["rejected"] for c in manifest["collections"].values())
        report.figures["documents rejected by transform"] = rejected
        report.figures["rows rejected by load"] = sum(
            len(read_jsonl(p)) for p in (folder / LOAD_REJECTS_DIR).glob("*.jsonl")
        )
        if batch_id is not None:
            conn.execute(
                "UPDATE migration_batches SET status = CASE WHEN %s THEN 'validated' ELSE 'failed' END, "
                "details = details || %s WHERE id = %s AND status <> 'rolled_back'",
                (
                    report.passed,
                    Jsonb({"validation": {"passed": report.passed, "at": datetime.now(UTC).isoformat()}}),
                    batch_id,
                ),
            )
            conn.commit()
    report.write(report_dir or folder)
    return report
