"""transform → load → validate overlapped, as `migrate` runs them.

The transform runs in a thread of its own (its Auth users phase in a forked child process beside it:
migration_tools.auth_users_child) and hands each table to the load as soon as its rows file is complete;
the load takes it once the tables it refers to are loaded (`load_tables`); each loaded table is compared
with its rows on the comparison threads' connections while later tables load. So Python's transform and
PostgreSQL's load and comparisons use both cores instead of taking turns. The load and comparison threads
mostly wait on PostgreSQL, so they take the GIL from the transform only briefly.

The result is the one `transform`, `load` and `validate` run one after the other give: the same rows
file per table, loaded in an order that respects references, in the batch of the same fingerprint."""

from __future__ import annotations

import json
import queue
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from migration_tools.export_folder import ExportFolder
from migration_tools.load import CHANGED_BY_LATER, LoadResult, TableResult, load_tables
from migration_tools.mapping import Mapping
from migration_tools.staging import TableSpec
from migration_tools.transform import fingerprint, transform
from migration_tools.validate import (
    COMPARE_WORKERS,
    ORPHAN_QUERIES,
    Check,
    Connections,
    OrphanQuery,
    PasswordHashes,
    Report,
    compare_table,
    conclude,
    count_password_hashes,
    find_orphans,
)

# The load and comparison threads need the GIL only for moments between statements, but each time one
# wakes it waits for the transform's thread to hand the GIL over: up to the switch interval (5 ms by
# default), many times per table. Measured with a busy thread beside a load of 110k rows: 5.1 s at the
# default, 4.0-4.3 s at 0.2 ms, the same as with the busy work in another process (4.1-4.4 s).
SWITCH_INTERVAL = 0.0002


@contextmanager
def _quick_gil_handoff() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


class _Cancelled(Exception):
    """The load failed: the transform stops at its next table."""


@dataclass
class Migrated:
    manifest: dict
    load: LoadResult
    report: Report | None  # None for a dry run


class _ArrivingTables:
    """The transform's tables, handed to the load as they arrive."""

    def __init__(self, on_table: Callable[[str, dict], None] | None) -> None:
        self._messages: queue.Queue[tuple[str, object]] = queue.Queue()
        self._on_table = on_table
        self.cancelled = threading.Event()
        self.manifest: dict | None = None
        self.specs: dict[str, TableSpec] = {}

    def announce(self, name: str, entry: dict) -> None:
        """Called in the transform's thread when a table's rows file is complete."""
        if self.cancelled.is_set():
            raise _Cancelled
        if self._on_table:
            self._on_table(name, entry)
        self._messages.put(("table", TableSpec.from_manifest(name, entry)))

    def run_transform(self, work: Callable[[], dict]) -> None:
        try:
            self._messages.put(("done", work()))
        except BaseException as exc:  # handed to the load's thread, which raises it
            self._messages.put(("failed", exc))

    def __iter__(self) -> Iterator[TableSpec]:
        """The tables as they arrive (the load orders them by their references)."""
        while True:
            kind, value = self._messages.get()
            if kind == "table":
                assert isinstance(value, TableSpec)
                self.specs[value.name] = value
                yield value
            elif kind == "done":
                assert isinstance(value, dict)
                self.manifest = value
                return
            else:
                assert isinstance(value, BaseException)
                raise value


def migrate(
    export_dir: Path,
    out: Path,
    mapping: Mapping,
    conninfo: str,
    *,
    region: str = "US",
    run_dir: str | None = None,
    dry_run: bool = False,
    sample: int = 50,
    report_dir: Path | None = None,
    on_transformed: Callable[[str, dict], None] | None = None,
    on_read: Callable[[int], None] | None = None,
    on_loaded: Callable[[TableResult], None] | None = None,
) -> Migrated:
    """Transform `export_dir` into `out`, load it and validate the load (not in a dry run), overlapped.
    `on_read(n)` counts the documents the transform has read, `on_transformed(name, entry)` and
    `on_loaded(result)` follow the tables."""
    export = ExportFolder.open(export_dir, verify=False)  # the transform verifies the files
    tables = _ArrivingTables(on_transformed)
    transformer = threading.Thread(
        target=tables.run_transform,
        args=(
            lambda: transform(
                export_dir, out, mapping, region=region, on_table=tables.announce, on_progress=on_read
            ),
        ),
        name="transform",
    )
    comparisons: dict[str, Future[list[Check]]] = {}
    orphans: dict[OrphanQuery, Future[list[str]]] = {}
    loaded_tables: set[str] = set()
    waiting: list[str] = []  # loaded, but a later table's load changes their rows
    batch: list[uuid.UUID] = []
    hashes: list[Future[PasswordHashes]] = []

    with (
        _quick_gil_handoff(),
        Connections(conninfo) as connections,
        ThreadPoolExecutor(max_workers=COMPARE_WORKERS, thread_name_prefix="validate") as pool,
    ):

        def compare(name: str) -> None:
            comparisons[name] = pool.submit(compare_table, connections, out, tables.specs[name], sample)

        def look_for_orphans(everything_loaded: bool) -> None:
            for query in ORPHAN_QUERIES:
                if query not in orphans and (everything_loaded or query.tables <= loaded_tables):
                    orphans[query] = pool.submit(find_orphans, connections, batch[0], query)

        def loaded(result: TableResult) -> None:
            if on_loaded:
                on_loaded(result)
            if dry_run:
                return
            if result.table == "users":  # the app changes hashes later, a later table's load does not
                hashes.append(
                    pool.submit(count_password_hashes, conninfo, batch[0], export.manifest.get("hash_config"))
                )
            loaded_tables.add(result.table)
            waiting.append(result.table)
            for name in list(waiting):
                if CHANGED_BY_LATER.get(name, name) in loaded_tables:
                    waiting.remove(name)
                    compare(name)
            look_for_orphans(everything_loaded=False)

        transformer.start()
        try:
            loaded_result = load_tables(
                conninfo,
                out,
                tables,
                fingerprint=fingerprint(export, mapping, region),
                source_project=json.dumps(export.manifest.get("source") or {})[:200],
                run_dir=run_dir,
                dry_run=dry_run,
                on_batch=batch.append,
                on_table=loaded,
            )
        finally:
            tables.cancelled.set()
            transformer.join()
        if not dry_run:
            for name in waiting:
                compare(name)
            look_for_orphans(everything_loaded=True)
        checks = {name: future.result() for name, future in comparisons.items()}
        found = {query: future.result() for query, future in orphans.items()}
    assert tables.manifest is not None
    if dry_run:
        return Migrated(tables.manifest, loaded_result, None)
    report = conclude(
        conninfo,
        out,
        tables.manifest,
        loaded_result.batch_id,
        [check for result in loaded_result.tables for check in checks[result.table]],
        found,
        hashes[0].result()
        if hashes
        else count_password_hashes(conninfo, loaded_result.batch_id, export.manifest.get("hash_config")),
        report_dir=report_dir,
    )
    return Migrated(tables.manifest, loaded_result, report)
