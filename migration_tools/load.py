"""load: transformed rows → the application tables, inside a batch, re-runnable.

Each table is one transaction: COPY its rows into a temp table, resolve references (firebase ids → row
ids), set aside rows that cannot be placed (a parent that is not there, a duplicate of a unique key) as
load rejects, upsert the rest keyed by firebase_id, and record every row in migration_id_map under the
batch. An upsert only touches rows whose values differ, so loading the same rows again changes nothing,
and a load killed between tables ends, when run again, with the same database as one that was not.
A table is loaded once the tables it refers to are; tables that do not refer to each other load at the
same time on separate connections.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import threading
import uuid
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from migration_tools import staging
from migration_tools.mapping import model_defaults
from migration_tools.row_files import LOAD_REJECTS_DIR, read_manifest
from migration_tools.staging import TableSpec, create_stage, q, specs

log = logging.getLogger("migration_tools.load")
# Test hook: SIGKILL this process right after the named table's transaction commits (kill-and-resume tests).
CRASH_AFTER_ENV = "MIGRATION_TOOLS_CRASH_AFTER"
LOAD_LOCK = 0x6D6967726174  # pg_advisory_lock key held while a load runs ("migrat")
# Connections a load uses: tables that do not refer to each other (contacts and campaigns, calls and
# conversations) load at the same time, each on a core of its own.
LOAD_CONNECTIONS = 2


# What the app may have changed since an earlier load and a re-run must not undo: a password the user
# changed (or a migrated hash already upgraded to bcrypt) and a later sign-in. `t` is the row in the
# table, `r` the incoming one.
_KEEP_APP_CHANGES = {
    ("users", "password_hash"): (
        "CASE WHEN t.password_hash IS NULL OR t.password_hash LIKE 'firebase-scrypt$%%' "
        "THEN r.password_hash ELSE t.password_hash END"
    ),
    ("users", "last_login_at"): "GREATEST(t.last_login_at, r.last_login_at)",
}


class LoadBusy(RuntimeError):
    pass


@dataclass
class TableResult:
    table: str
    staged: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    dangling: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(vars(self))


@dataclass
class LoadResult:
    batch_id: uuid.UUID
    tables: list[TableResult]
    resumed: bool
    dry_run: bool

    @property
    def rejected(self) -> int:
        return sum(t.rejected for t in self.tables)


def find_or_create_batch(
    conn: psycopg.Connection, fingerprint: str, source_project: str, *, run_dir: str | None
) -> tuple[uuid.UUID, bool]:
    """The batch already loading this transformed folder (resume), or a new one."""
    row = conn.execute(
        "SELECT id FROM migration_batches WHERE export_sha256 = %s AND status <> 'rolled_back' "
        "ORDER BY started_at DESC LIMIT 1",
        (fingerprint,),
    ).fetchone()
    if row:
        return row[0], True
    batch_id = uuid.uuid4()
    conn.execute(
        "INSERT INTO migration_batches "
        "(id, source_project, export_sha256, status, counts, details, started_at) "
        "VALUES (%s, %s, %s, 'running', '{}', %s, now())",
        (batch_id, source_project[:200], fingerprint, Jsonb({"run_dir": run_dir} if run_dir else {})),
    )
    return batch_id, False


def _key_names(key: list[str]) -> str:
    return ", ".join(k.format(a="").lstrip(".").replace('"', "") for k in key)


def _reject_rows(conn: psycopg.Connection, spec: TableSpec) -> list[dict]:
    """Delete from mig_resolved the rows that cannot be placed; returns them with their reasons."""
    rejects: list[dict] = []

    def take(sql: str, reason: Callable[[tuple], str]) -> None:
        for row in conn.execute(sql):
            rejects.append(
                {"table": spec.name, "source": row[1], "firebase_id": row[0], "reason": reason(row)}
            )

    # The per-row checks in one pass: a row's reason is the first check it fails, in this order.
    refs = list(spec.refs)
    checks: list[tuple[str, Callable[[tuple], str]]] = []
    for i, (ref, ref_spec) in enumerate(spec.refs.items()):
        if ref_spec["required"]:
            checks.append(
                (
                    f"{q(ref)} IS NULL",
                    lambda row, ref=ref, t=ref_spec["table"], i=i: (
                        f"{ref}: {t} {row[3 + i]!r} is not in the database (missing from the export, "
                        "or rejected)"
                        if row[3 + i]
                        else f"{ref} is missing"
                    ),
                )
            )
    target = spec.target
    for column in spec.data:
        if not target.c[column].nullable:
            checks.append((f"{q(column)} IS NULL", lambda row, column=column: f"{column} is empty"))
        length = getattr(target.c[column].type, "length", None)
        if length:
            checks.append(
                (
                    f"length({q(column)}) > {int(length)}",
                    lambda row, column=column, length=length: f"{column} is longer than {length} characters",
                )
            )
    if checks:
        failed = "CASE " + " ".join(f"WHEN {sql} THEN {i}" for i, (sql, _) in enumerate(checks)) + " END"
        fids = "".join(f", {q(ref + '__fid')}" for ref in refs)
        take(
            f"DELETE FROM mig_resolved WHERE {failed} IS NOT NULL "
            f"RETURNING firebase_id, source, {failed}{fids}",
            lambda row: checks[row[2]][1](row),
        )
    for key in spec.unique_keys():
        staged = ", ".join(k.format(a="r") for k in key)
        not_null = " AND ".join(f"{k.format(a='r')} IS NOT NULL" for k in key)
        # Two staged rows with the same key: the one with the smallest firebase_id stays.
        take(
            f"""DELETE FROM mig_resolved d USING (
                    SELECT r.firebase_id,
                           first_value(r.firebase_id)
                               OVER (PARTITION BY {staged} ORDER BY r.firebase_id) AS keeper
                    FROM mig_resolved r WHERE {not_null}) k
                WHERE d.firebase_id = k.firebase_id AND k.firebase_id <> k.keeper
                RETURNING d.firebase_id, d.source, k.keeper""",
            lambda row, key=key: f"duplicate of {row[2]} ({_key_names(key)})",
        )
        existing = " AND ".join(f"{k.format(a='t')} = {k.format(a='r')}" for k in key)
        identity = (
            "t.firebase_id IS DISTINCT FROM r.firebase_id"
            if spec.has_firebase_id
            else " OR ".join(f"t.{q(c)} <> r.{q(c)}" for c in spec.conflict_key)
        )
        take(
            f"""DELETE FROM mig_resolved r USING {q(spec.name)} t WHERE {existing} AND ({identity})
                RETURNING r.firebase_id, r.source, t.id""",
            lambda row, key=key: f"{_key_names(key)} already belongs to another row ({row[2]})",
        )
    return rejects


def load_table(conn: psycopg.Connection, folder: Path, spec: TableSpec, batch_id: uuid.UUID) -> TableResult:
    """Stage, resolve, reject, upsert and map one table (inside the caller's transaction)."""
    result = TableResult(spec.name)
    result.staged = create_stage(conn, folder, spec)

    select = ["s.source", "s.id", "s.firebase_id", *(f"s.{q(c)}" for c in spec.data)]
    joins = []
    for i, (ref, ref_spec) in enumerate(spec.refs.items()):
        select += [f"r{i}.id AS {q(ref)}", f"s.{q(ref)} AS {q(ref + '__fid')}"]
        joins.append(f"LEFT JOIN {q(ref_spec['table'])} r{i} ON r{i}.firebase_id = s.{q(ref)}")
    conn.execute("DROP TABLE IF EXISTS mig_resolved")
    # DISTINCT ON: derived rows (a conversation per message) arrive once per source document.
    # COLLATE "C": the same groups, sorted by bytes rather than through the locale.
    resolved = conn.execute(
        f'CREATE TEMP TABLE mig_resolved ON COMMIT DROP AS SELECT DISTINCT ON (s.firebase_id COLLATE "C") '
        f"{', '.join(select)} FROM mig_stage s {' '.join(joins)} "
        f'ORDER BY s.firebase_id COLLATE "C", s.source COLLATE "C"'
    ).rowcount
    optional = [ref for ref, ref_spec in spec.refs.items() if not ref_spec["required"]]
    if optional:
        counts = conn.execute(
            "SELECT "
            + ", ".join(
                f"count(*) FILTER (WHERE {q(ref)} IS NULL AND {q(ref + '__fid')} IS NOT NULL)"
                for ref in optional
            )
            + " FROM mig_resolved"
        ).fetchone()
        result.dangling = {ref: n for ref, n in zip(optional, counts, strict=True) if n}

    rejects = _reject_rows(conn, spec)
    result.rejected = len(rejects)
    reject_dir = folder / LOAD_REJECTS_DIR
    reject_dir.mkdir(exist_ok=True)
    with (reject_dir / f"{spec.name}.jsonl").open("w", encoding="utf-8") as handle:
        for reject in rejects:
            handle.write(json.dumps(reject, default=str) + "\n")

    key = spec.conflict_key
    written = ["id", *(["firebase_id"] if spec.has_firebase_id else []), *spec.data, *spec.stored_refs]
    updatable = [c for c in written if c not in ("id", *key)]
    same_row = " AND ".join(f"t.{q(c)} = r.{q(c)}" for c in key)
    if updatable:
        # Rows already there are updated only where a value differs, so loading the same rows again
        # changes nothing (and fires no update trigger).
        incoming = {c: _KEEP_APP_CHANGES.get((spec.name, c), "r.{c}").format(c=q(c)) for c in updatable}
        result.updated = conn.execute(
            f"""UPDATE {q(spec.name)} t SET {", ".join(f"{q(c)} = {incoming[c]}" for c in updatable)}
                FROM mig_resolved r WHERE {same_row}
                AND ROW({", ".join(f"t.{q(c)}" for c in updatable)})
                    IS DISTINCT FROM ROW({", ".join(incoming.values())})"""
        ).rowcount
    defaults = {c: v for c, v in model_defaults(spec.name).items() if c not in written}
    inserted_columns = ", ".join([*(q(c) for c in written), *(q(c) for c in defaults)])
    selected = ", ".join([*(f"r.{q(c)}" for c in written), *("%s" for _ in defaults)])
    # New rows are plain inserts (an ON CONFLICT insert costs a speculative insertion per row; the
    # load holds the migration lock, so no other load adds these keys meanwhile). Rows this load
    # inserts go into the id map in the same statement. Rows it only updates or leaves alone were
    # mapped by the run that inserted them (this batch resumed, or an earlier batch that owns them),
    # so a rollback of this batch never deletes what an earlier one brought.
    insert = f"""
        WITH inserted AS (
            INSERT INTO {q(spec.name)} ({inserted_columns}) SELECT {selected} FROM mig_resolved r
            WHERE NOT EXISTS (SELECT 1 FROM {q(spec.name)} t WHERE {same_row})
            RETURNING id
        ), mapped AS (
            INSERT INTO migration_id_map (batch_id, collection, firebase_id, table_name, row_id)
            SELECT %s, r.source, r.firebase_id, %s, r.id FROM mig_resolved r JOIN inserted i ON i.id = r.id
            {{conflict}}
        )
        SELECT count(*) FROM inserted"""
    # A map entry can outlive its row (the app deleted it): then the earlier batch keeps the entry.
    # Probing the map for every row is only worth it when it holds any entry of these collections.
    stale_map = (
        conn.execute(
            "SELECT EXISTS (SELECT 1 FROM migration_id_map m "
            "WHERE m.collection IN (SELECT DISTINCT source FROM mig_resolved))"
        ).fetchone()[0]
        and conn.execute(
            "SELECT EXISTS (SELECT 1 FROM mig_resolved r JOIN migration_id_map m "
            "ON m.collection = r.source AND m.firebase_id = r.firebase_id)"
        ).fetchone()[0]
    )
    insert = insert.format(conflict="ON CONFLICT (collection, firebase_id) DO NOTHING" if stale_map else "")
    rebuild = _set_indexes_aside(conn, spec.name)
    result.inserted = conn.execute(insert, [*defaults.values(), batch_id, spec.name]).fetchone()[0]
    for statement in rebuild:
        conn.execute(statement)
    result.unchanged = resolved - result.rejected - result.inserted - result.updated
    return result


def _set_indexes_aside(conn: psycopg.Connection, name: str) -> list[str]:
    """When table `name` is empty (a first migration), drop its indexes other than the primary key, and
    the unique constraints they back, and return the statements that build them again after the insert:
    one sorted build per index costs far less than entering every row into every index (pg_restore
    loads the same way). Unique keys are checked again by the build, and the load's transaction keeps
    the table locked until it commits, or rolls back with the indexes as they were. A table that holds
    rows keeps its indexes: the app may be reading it."""
    if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {q(name)})").fetchone()[0]:
        return []
    conn.execute(f"LOCK TABLE {q(name)} IN ACCESS EXCLUSIVE MODE")
    if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {q(name)})").fetchone()[0]:
        return []  # the app added a row since the first look: load around it, indexes in place
    rebuild = []
    for index, index_sql, constraint, constraint_sql in conn.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), c.conname,
                  pg_get_constraintdef(c.oid)
           FROM pg_index i
           LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
           WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
             AND NOT EXISTS (SELECT 1 FROM pg_constraint f
                             WHERE f.contype = 'f' AND f.conindid = i.indexrelid)""",
        (name,),
    ).fetchall():
        if constraint:
            conn.execute(f"ALTER TABLE {q(name)} DROP CONSTRAINT {q(constraint)}")
            rebuild.append(f"ALTER TABLE {q(name)} ADD CONSTRAINT {q(constraint)} {constraint_sql}")
        else:
            conn.execute(f"DROP INDEX {index}")
            rebuild.append(index_sql)
    return rebuild


# Tables whose rows the load of a later table changes: a conversation takes its times and preview from
# its messages.
CHANGED_BY_LATER = {"conversations": "messages"}


def _after_messages(conn: psycopg.Connection, batch_id: uuid.UUID) -> None:
    """A conversation made from messages starts at its first message and shows its last one. The
    transform writes each conversation so already; this brings back in line the ones whose messages the
    load rejected or the app added since an earlier load (and updates nothing otherwise)."""
    conn.execute(
        """UPDATE conversations c
           SET created_at = m.first_at, last_message_at = m.last_at, last_message_preview = m.preview
           FROM (SELECT DISTINCT ON (msg.conversation_id) msg.conversation_id,
                        min(msg.created_at) OVER (PARTITION BY msg.conversation_id) AS first_at,
                        msg.created_at AS last_at, left(msg.body, 200) AS preview
                 FROM messages msg
                 JOIN migration_id_map mm
                   ON mm.row_id = msg.conversation_id AND mm.table_name = 'conversations'
                 WHERE mm.batch_id = %s
                 ORDER BY msg.conversation_id, msg.created_at DESC, msg.id DESC) m
           WHERE c.id = m.conversation_id
             AND (c.created_at, c.last_message_at, c.last_message_preview)
                 IS DISTINCT FROM (m.first_at, m.last_at, m.preview)""",
        (batch_id,),
    )


def load(
    conninfo: str,
    folder: Path,
    *,
    source_project: str = "",
    run_dir: str | None = None,
    dry_run: bool = False,
    on_table: Callable[[TableResult], None] | None = None,
) -> LoadResult:
    """Load a transformed folder; the batch is found by the folder's fingerprint, so a re-run resumes it."""
    manifest = read_manifest(folder)
    return load_tables(
        conninfo,
        folder,
        specs(manifest),
        fingerprint=manifest["fingerprint"],
        source_project=source_project or json.dumps(manifest.get("source") or {})[:200],
        run_dir=run_dir,
        dry_run=dry_run,
        on_table=on_table,
    )


def load_tables(
    conninfo: str,
    folder: Path,
    tables: Iterable[TableSpec],
    *,
    fingerprint: str,
    source_project: str,
    run_dir: str | None = None,
    dry_run: bool = False,
    on_batch: Callable[[uuid.UUID], None] | None = None,
    on_table: Callable[[TableResult], None] | None = None,
) -> LoadResult:
    """Load `tables` in the batch of `fingerprint`. The iterable may hand them in any order and wait
    between them (the transform is still writing the later ones); each is loaded once the tables it
    refers to are, and tables that do not refer to each other load at the same time on LOAD_CONNECTIONS
    connections. `on_batch` is told the batch before any table loads, `on_table` each table once its rows
    are committed."""
    with ExitStack() as stack:
        conn = stack.enter_context(staging.connect(conninfo))
        # A dry run does all the work in one transaction and rolls it back at the end.
        commit = (lambda: None) if dry_run else conn.commit
        # One load at a time: the inserts below rely on no other load adding the same keys meanwhile.
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", (LOAD_LOCK,)).fetchone()[0]:
            raise LoadBusy("another load is running against this database: wait for it to finish")
        batch_id, resumed = find_or_create_batch(conn, fingerprint, source_project, run_dir=run_dir)
        commit()
        log.info("batch %s (%s)", batch_id, "resumed" if resumed else "new")
        if on_batch:
            on_batch(batch_id)
        workers = [conn]
        if not dry_run:  # a dry run's tables see each other only inside its one transaction
            workers += [stack.enter_context(staging.connect(conninfo)) for _ in range(LOAD_CONNECTIONS - 1)]
            for worker in workers:
                # A table's commit need not wait for its WAL to reach the disk: a crash loses at most the
                # last tables, which a re-run loads again (that is what resuming does). The final commit
                # below waits, and with it everything committed before it.
                worker.execute("SET synchronous_commit = off")
                worker.commit()
        results = _TableLoads(workers, folder, batch_id, dry_run=dry_run, on_table=on_table).run(tables)
        if dry_run:
            conn.rollback()
        else:
            conn.execute("SET synchronous_commit = on")
            conn.execute(
                "UPDATE migration_batches SET status = 'loaded', finished_at = now(), "
                "details = details || %s WHERE id = %s",
                (
                    Jsonb(
                        {
                            "transformed_folder": str(folder.resolve()),
                            "load_rejects": {r.table: r.rejected for r in results},
                        }
                    ),
                    batch_id,
                ),
            )
            conn.commit()
    return LoadResult(batch_id=batch_id, tables=results, resumed=resumed, dry_run=dry_run)


class _TableLoads:
    """Loads tables as they arrive, each in a transaction of its own on a free connection, once the
    tables it refers to are loaded. Loading in any such order gives the same rows: a table's load reads
    only the tables it refers to (complete by then) and itself."""

    def __init__(
        self,
        workers: list[psycopg.Connection],
        folder: Path,
        batch_id: uuid.UUID,
        *,
        dry_run: bool,
        on_table: Callable[[TableResult], None] | None,
    ) -> None:
        self.free = list(workers)
        self.folder = folder
        self.batch_id = batch_id
        self.dry_run = dry_run
        self.on_table = on_table
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def _arrive(self, tables: Iterable[TableSpec]) -> None:
        try:
            for spec in tables:
                self.events.put(("arrived", spec))
            self.events.put(("all arrived", None))
        except BaseException as exc:  # raised again in the loading thread
            self.events.put(("failed", (None, exc)))

    def _load(self, conn: psycopg.Connection, spec: TableSpec) -> None:
        try:
            result = load_table(conn, self.folder, spec, self.batch_id)
            if spec.name == "messages":
                _after_messages(conn, self.batch_id)
            conn.execute(
                "UPDATE migration_batches SET counts = counts || %s, status = 'running' WHERE id = %s",
                (Jsonb({spec.name: result.as_dict()}), self.batch_id),
            )
            if not self.dry_run:
                conn.commit()
            self.events.put(("loaded", (conn, result)))
        except BaseException as exc:
            self.events.put(("failed", (spec.name, exc)))

    def run(self, tables: Iterable[TableSpec]) -> list[TableResult]:
        threading.Thread(target=self._arrive, args=(tables,), name="load-arrivals", daemon=True).start()
        waiting: dict[str, TableSpec] = {}
        running: dict[str, psycopg.Connection] = {}
        loaded: set[str] = set()
        everything_arrived = False
        results: list[TableResult] = []
        crash_after = os.environ.get(CRASH_AFTER_ENV)
        while True:
            for name in sorted(waiting):
                later = (waiting.keys() | running.keys()) - {name}
                if self.free and all(
                    r["table"] in loaded
                    or r["table"] == name
                    or (everything_arrived and r["table"] not in later)
                    for r in waiting[name].refs.values()
                ):
                    running[name] = conn = self.free.pop()
                    thread = threading.Thread(
                        target=self._load, args=(conn, waiting.pop(name)), name=f"load-{name}", daemon=True
                    )
                    thread.start()
            if everything_arrived and not running:
                if waiting:
                    raise ValueError(f"references between {sorted(waiting)} go round in a circle")
                return results
            kind, value = self.events.get()
            if kind == "arrived":
                waiting[value.name] = value
            elif kind == "all arrived":
                everything_arrived = True
            elif kind == "loaded":
                conn, result = value
                del running[result.table]
                self.free.append(conn)
                loaded.add(result.table)
                results.append(result)
                log.info("%s: %s", result.table, result.as_dict())
                if self.on_table:
                    self.on_table(result)
                if crash_after == result.table and not self.dry_run:
                    os.kill(os.getpid(), signal.SIGKILL)
            else:
                failed, exc = value
                running.pop(failed, None)
                self._stop(running)
                raise exc

    def _stop(self, running: dict[str, psycopg.Connection]) -> None:
        """After a failure: cancel the other tables' loads and wait for them to end (rolled back)."""
        for conn in running.values():
            conn.cancel()
        while running:
            kind, value = self.events.get()
            if kind == "loaded":
                del running[value[1].table]
            elif kind == "failed":
                running.pop(value[0], None)
