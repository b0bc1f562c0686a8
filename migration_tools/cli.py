"""`python -m migration_tools`: the admin CLI for moving a Firebase project into ReachImpact's PostgreSQL.

export → transform → load → validate, each a command (and `migrate` for all four with a pg_dump backup
first), plus rollback of one batch, export-back to Firebase's formats, and status. Every command writes
a log file in its run folder (.data/migrations/<run id>/run.log unless --work-dir says otherwise) and
exits non-zero when it fails.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import psycopg
import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from migration_tools.runs import Run, start_run

# Each step's modules are imported where it runs, so that `--help` answers without importing the models,
# the transform and the load (most of a second) and each command loads only what it uses. Types only here.
if TYPE_CHECKING:
    from migration_tools.load import LoadResult
    from migration_tools.mapping import Mapping
    from migration_tools.pipeline import Migrated
    from migration_tools.validate import Report

T = TypeVar("T")

app = typer.Typer(
    name="python -m migration_tools",
    help=(
        "Move a Firebase project (Auth users with their password hashes, Firestore collections) into "
        "ReachImpact's PostgreSQL database, in re-runnable batches that can be validated and rolled back."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
log = logging.getLogger("migration_tools")

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="Target database (default: DATABASE_URL / the app's settings)."),
]
WorkDir = Annotated[
    Path | None, typer.Option("--work-dir", help="Where run folders go (default .data/migrations).")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Do all the work, then write nothing.")]
MappingFile = Annotated[
    Path | None,
    typer.Option("--mapping", help="Mapping TOML (default: migration_tools/default_mapping.toml)."),
]
HashConfig = Annotated[
    Path | None,
    typer.Option("--hash-config", help="The project's password hash parameters (JSON as the console shows)."),
]


class Failed(Exception):
    """A step failed in a way the admin must act on; the message says how."""


def _conninfo(database_url: str | None) -> str:
    from reachimpact.db import database_url as app_database_url
    from reachimpact.db import libpq_url

    return libpq_url(database_url or app_database_url())


@contextmanager
def _run(command: str, work_dir: Path | None) -> Iterator[Run]:
    """A run folder and log for one command; any error ends it with a message and exit code 1."""
    run = start_run(command, work_dir)
    console.print(f"[dim]run {run.id} · log {run.log_path}[/dim]")
    try:
        yield run
    except typer.Exit:
        raise
    except Exception as exc:
        log.exception("%s failed", command)
        console.print(f"[bold red]{command} failed:[/bold red] {exc}")
        raise typer.Exit(1) from exc
    log.info("%s finished", command)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@contextmanager
def _maybe_temporary(out: Path, dry_run: bool) -> Iterator[Path]:
    if not dry_run:
        yield out
        return
    folder = Path(tempfile.mkdtemp(prefix="migration-dry-run-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _hash_config(path: Path | None) -> dict | None:
    from migration_tools.hash_config import load_hash_config

    return load_hash_config(path) if path else None


def _load_mapping(path: Path | None) -> Mapping:
    from migration_tools.mapping import load_mapping

    return load_mapping(path)


def _collections(mapping: Mapping) -> list[str]:
    return [mapping.auth.profile_collection, *mapping.collections]


# --- steps shared by the commands and `migrate` ---------------------------------------------------------


def do_export(
    out: Path,
    *,
    from_files: Path | None,
    credentials: Path | None,
    project: str | None,
    hash_config: dict | None,
    mapping: Mapping,
    progress: Progress,
    page_size: int = 1000,
) -> dict:
    task = progress.add_task("export", total=None)

    def on_page(stream: str, count: int) -> None:
        progress.advance(task, count)

    if from_files is not None:
        from migration_tools.from_files import export_from_files

        manifest = export_from_files(
            from_files, out, hash_config=hash_config, subcollections=_collections(mapping)
        )
    else:
        from migration_tools.live_export import export_live

        manifest = export_live(
            out,
            collections=_collections(mapping),
            hash_config=hash_config,
            credentials=credentials,
            project_id=project,
            page_size=page_size,
            on_page=on_page,
        )
    total = sum(f["count"] for f in manifest["files"].values())
    progress.update(task, total=total, completed=total)
    for name, entry in manifest["files"].items():
        log.info("export %s: %s records, sha256 %s", name, entry["count"], entry["sha256"])
    return manifest


def do_transform(export_dir: Path, out: Path, mapping: Mapping, region: str, progress: Progress) -> dict:
    from migration_tools.export_folder import ExportFolder
    from migration_tools.transform import transform

    total = sum(ExportFolder.open(export_dir, verify=False).streams().values())
    task = progress.add_task("transform", total=total)
    manifest = transform(
        export_dir, out, mapping, region=region, on_progress=lambda n: progress.advance(task, n)
    )
    for name, c in manifest["collections"].items():
        log.info("transform %s: %s", name, c)
    return manifest


def do_load(conninfo: str, folder: Path, *, run: Run, dry_run: bool, progress: Progress) -> LoadResult:
    from migration_tools.load import load
    from migration_tools.row_files import read_manifest

    manifest = read_manifest(folder)
    task = progress.add_task("load", total=sum(t["rows"] for t in manifest["tables"].values()))
    result = load(
        conninfo,
        folder,
        run_dir=str(run.folder),
        dry_run=dry_run,
        on_table=lambda r: progress.advance(task, r.staged),
    )
    return result


def do_validate(
    conninfo: str, folder: Path, *, batch: uuid.UUID | None, sample: int, report_dir: Path
) -> Report:
    from migration_tools.validate import validate

    report = validate(conninfo, folder, batch_id=batch, sample=sample, report_dir=report_dir)
    _log_checks(report)
    return report


def do_pipeline(
    conninfo: str,
    export_dir: Path,
    out: Path,
    mapping: Mapping,
    *,
    region: str,
    run: Run,
    dry_run: bool,
    sample: int,
    progress: Progress,
) -> Migrated:
    """transform → load → validate, overlapped (migration_tools.pipeline), with progress and log."""
    from migration_tools.export_folder import ExportFolder
    from migration_tools.pipeline import migrate

    records = sum(ExportFolder.open(export_dir, verify=False).streams().values())
    transformed = progress.add_task("transform", total=records)
    loading = progress.add_task("load", total=None)
    migrated = migrate(
        export_dir,
        out,
        mapping,
        conninfo,
        region=region,
        run_dir=str(run.folder),
        dry_run=dry_run,
        sample=sample,
        report_dir=run.folder,
        on_read=lambda n: progress.advance(transformed, n),
        on_loaded=lambda r: progress.advance(loading, r.staged),
    )
    staged = sum(t.staged for t in migrated.load.tables)
    progress.update(loading, total=staged, completed=staged)
    for name, c in migrated.manifest["collections"].items():
        log.info("transform %s: %s", name, c)
    if migrated.report is not None:
        _log_checks(migrated.report)
    return migrated


def _log_checks(report: Report) -> None:
    for check in report.checks:
        log.log(
            logging.INFO if check.passed else logging.ERROR,
            "validate %s %s: %s",
            check.name,
            check.subject,
            check.detail,
        )


def _print_load(result: LoadResult) -> None:
    table = Table(
        title=f"batch {result.batch_id}" + (" (dry run: nothing written)" if result.dry_run else ""),
        box=box.SIMPLE_HEAD,  # no column rules: the numbers fit an 80-column terminal
        pad_edge=False,
    )
    # Table names whole; in a narrow terminal the dangling references fold instead.
    table.add_column("table", no_wrap=True)
    for column in ("staged", "inserted", "updated", "unchanged", "rejected"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("dangling", overflow="fold")
    for t in result.tables:
        dangling = ", ".join(f"{k} {v}" for k, v in t.dangling.items())
        table.add_row(
            t.table,
            str(t.staged),
            str(t.inserted),
            str(t.updated),
            str(t.unchanged),
            str(t.rejected),
            dangling,
        )
    console.print(table)


def _print_report(report: Report, folder: Path) -> None:
    failed = [c for c in report.checks if not c.passed]
    for figure, value in report.figures.items():
        console.print(f"  {figure}: {value}")
    for check in failed:
        console.print(f"[red]FAIL[/red] {check.name} {check.subject}: {check.detail}")
    verdict = "[green]passed[/green]" if report.passed else "[bold red]FAILED[/bold red]"
    console.print(
        f"validation {verdict}: {len(report.checks) - len(failed)}/{len(report.checks)} checks · {folder}"
    )


def _step(progress: Progress, description: str, work: Callable[[], T]) -> T:
    task = progress.add_task(description, total=1)
    result = work()
    progress.update(task, completed=1)
    return result


# --- commands -----------------------------------------------------------------------------------------


@app.command()
def export(
    out: Annotated[
        Path | None, typer.Option("--out", help="Export folder (default: <run folder>/export).")
    ] = None,
    from_files: Annotated[
        Path | None, typer.Option("--from-files", help="DIR with auth_users.json and firestore.json.")
    ] = None,
    credentials: Annotated[
        Path | None, typer.Option("--credentials", help="Service-account JSON file.")
    ] = None,
    project: Annotated[str | None, typer.Option("--project", help="Firebase project id.")] = None,
    hash_config: HashConfig = None,
    mapping: MappingFile = None,
    page_size: Annotated[int, typer.Option("--page-size", help="Users or documents per request.")] = 1000,
    work_dir: WorkDir = None,
    dry_run: DryRun = False,
) -> None:
    """Export Auth users and the mapped Firestore collections to JSONL files with a manifest (resumable:
    run it again on the same --out to continue after the last completed page)."""
    with _run("export", work_dir) as run:
        target = out or run.folder / "export"
        with _maybe_temporary(target, dry_run) as folder, _progress() as progress:
            manifest = do_export(
                folder,
                from_files=from_files,
                credentials=credentials,
                project=project,
                hash_config=_hash_config(hash_config),
                mapping=_load_mapping(mapping),
                progress=progress,
                page_size=page_size,
            )
        for name, entry in manifest["files"].items():
            console.print(f"  {name}: {entry['count']}")
        console.print("dry run: nothing kept" if dry_run else f"export written to {target}")


@app.command()
def transform(
    export_dir: Annotated[Path, typer.Argument(help="A complete export folder.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default: <run folder>/transformed).")
    ] = None,
    mapping: MappingFile = None,
    region: Annotated[
        str, typer.Option(help="Region for phone numbers written without a country code.")
    ] = "US",
    work_dir: WorkDir = None,
    dry_run: DryRun = False,
) -> None:
    """Turn an export into rows per table following the mapping; bad documents go to rejects.jsonl."""
    with _run("transform", work_dir) as run:
        target = out or run.folder / "transformed"
        with _maybe_temporary(target, dry_run) as folder, _progress() as progress:
            manifest = do_transform(export_dir, folder, _load_mapping(mapping), region, progress)
        for name, c in manifest["collections"].items():
            console.print(
                f"  {name}: {c['documents']} documents → {c['rows']} rows, "
                f"{c['rejected']} rejected, {c['skipped']} skipped"
            )
        console.print("dry run: nothing kept" if dry_run else f"rows written to {target}")


@app.command()
def load(
    transformed: Annotated[Path, typer.Argument(help="A transformed folder.")],
    database_url: DatabaseUrl = None,
    backup: Annotated[bool, typer.Option("--backup/--no-backup", help="pg_dump the database first.")] = True,
    work_dir: WorkDir = None,
    dry_run: DryRun = False,
) -> None:
    """COPY the rows into staging tables and upsert them by firebase_id in a batch (re-runnable)."""
    with _run("load", work_dir) as run:
        conninfo = _conninfo(database_url)
        schema = _check_schema(conninfo, dry_run)
        _backup(conninfo, run, backup and not dry_run)
        _upgrade_schema(conninfo, schema)
        with _progress() as progress:
            result = do_load(conninfo, transformed, run=run, dry_run=dry_run, progress=progress)
        _print_load(result)


@app.command()
def validate(
    transformed: Annotated[Path, typer.Argument(help="The transformed folder that was loaded.")],
    batch: Annotated[uuid.UUID | None, typer.Option(help="Batch id (default: the folder's latest).")] = None,
    sample: Annotated[int, typer.Option(help="Rows per table to compare field by field.")] = 50,
    database_url: DatabaseUrl = None,
    report_dir: Annotated[Path | None, typer.Option("--report-dir", help="Default: the run folder.")] = None,
    work_dir: WorkDir = None,
) -> None:
    """Compare the database with the export; writes validation.md and .json; exit 1 on any failed check."""
    with _run("validate", work_dir) as run:
        folder = report_dir or run.folder
        report = do_validate(
            _conninfo(database_url), transformed, batch=batch, sample=sample, report_dir=folder
        )
        _print_report(report, folder)
        if not report.passed:
            raise typer.Exit(1)


@app.command()
def rollback(
    batch: Annotated[uuid.UUID, typer.Argument(help="The batch to remove (see `status`).")],
    force: Annotated[
        bool, typer.Option(help="Also when rows were added to its organizations since.")
    ] = False,
    database_url: DatabaseUrl = None,
    work_dir: WorkDir = None,
    dry_run: DryRun = False,
) -> None:
    """Delete every row the batch loaded, and only those, in one transaction."""
    from migration_tools.rollback import rollback as do_rollback

    with _run("rollback", work_dir):
        result = do_rollback(_conninfo(database_url), batch, dry_run=dry_run, force=force)
        for table, count in result.deleted.items():
            console.print(f"  {table}: {count} deleted")
        log.info("rollback %s: %s", batch, result.deleted)
        console.print(f"batch {batch} " + ("would be rolled back (dry run)" if dry_run else "rolled back"))


@app.command("export-back")
def export_back(
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder (default: <run folder>/firebase).")
    ] = None,
    mapping: MappingFile = None,
    database_url: DatabaseUrl = None,
    work_dir: WorkDir = None,
    dry_run: DryRun = False,
) -> None:
    """Write the database as Firebase-importable JSON: Auth users with their hashes, and documents."""
    from migration_tools.export_back import export_back as do_export_back

    with _run("export-back", work_dir) as run:
        target = out or run.folder / "firebase"
        with _maybe_temporary(target, dry_run) as folder:
            summary = do_export_back(_conninfo(database_url), folder, _load_mapping(mapping))
        for name, count in summary.items():
            console.print(f"  {name}: {count}")
        console.print("dry run: nothing kept" if dry_run else f"written to {target} (see IMPORT.md there)")


def _source_label(source: str) -> str:
    """{"kind": "files", "dir": "/exports/acme"} → "files /exports/acme" (older batches: as stored)."""
    try:
        described = json.loads(source)
    except ValueError:
        return source
    if not isinstance(described, dict):
        return source
    return " ".join(
        str(v) for v in (described.get("kind"), described.get("dir") or described.get("project_id")) if v
    )


@app.command()
def status(database_url: DatabaseUrl = None) -> None:
    """Show the migration batches, newest first."""
    with psycopg.connect(_conninfo(database_url)) as conn:
        rows = conn.execute(
            "SELECT id, status, source_project, started_at, finished_at, counts, details "
            "FROM migration_batches ORDER BY started_at DESC"
        ).fetchall()
    out = Console()  # the command's answer: stdout, unlike the progress and log lines
    if not rows:
        out.print("no batches yet")
    # Two lines per batch rather than a table: the id stays whole (it is what `rollback` takes) in any
    # terminal width.
    for batch_id, state, source, started, _, counts, details in rows:
        loaded = sum(
            t.get("inserted", 0) + t.get("updated", 0) + t.get("unchanged", 0) for t in counts.values()
        )
        rejected = sum((details.get("load_rejects") or {}).values())
        out.print(f"[bold]{batch_id}[/bold]  {state}  started {started:%Y-%m-%d %H:%M}", soft_wrap=True)
        out.print(f"    {_source_label(source)} · {loaded:,} rows loaded · {rejected:,} rejected at load")


@app.command()
def migrate(
    from_files: Annotated[
        Path | None,
        typer.Option("--from-files", help="DIR with auth_users.json and (optionally) firestore.json."),
    ] = None,
    hash_config: HashConfig = None,
    credentials: Annotated[
        Path | None, typer.Option("--credentials", help="Service-account JSON file.")
    ] = None,
    project: Annotated[str | None, typer.Option("--project", help="Firebase project id.")] = None,
    database_url: DatabaseUrl = None,
    mapping: MappingFile = None,
    region: Annotated[str, typer.Option(help="Region for phone numbers without a country code.")] = "US",
    backup: Annotated[
        bool, typer.Option("--backup/--no-backup", help="pg_dump the database before loading.")
    ] = True,
    sample: Annotated[int, typer.Option(help="Rows per table to compare field by field.")] = 50,
    work_dir: WorkDir = None,
    dry_run: DryRun = False,
) -> None:
    """export → backup → transform, load and validate (overlapped), in one run folder; exit 1 if validation
    fails."""
    with _run("migrate", work_dir) as run:
        conninfo = _conninfo(database_url)
        schema = _check_schema(conninfo, dry_run)
        mapping_obj = _load_mapping(mapping)
        config = _hash_config(hash_config)
        if from_files is not None and config is None and (from_files / "hash_config.json").exists():
            config = _hash_config(from_files / "hash_config.json")
        with _progress() as progress:
            do_export(
                run.folder / "export",
                from_files=from_files,
                credentials=credentials,
                project=project,
                hash_config=config,
                mapping=mapping_obj,
                progress=progress,
            )
            _step(progress, "backup", lambda: _backup(conninfo, run, backup and not dry_run))
            _upgrade_schema(conninfo, schema)
            migrated = do_pipeline(
                conninfo,
                run.folder / "export",
                run.folder / "transformed",
                mapping_obj,
                region=region,
                run=run,
                dry_run=dry_run,
                sample=sample,
                progress=progress,
            )
        _print_load(migrated.load)
        if migrated.report is None:
            console.print("dry run: the database was not changed; validation skipped")
            return
        _print_report(migrated.report, run.folder)
        console.print(f"batch {migrated.load.batch_id} · run folder {run.folder}")
        if not migrated.report.passed:
            raise typer.Exit(1)


def _check_schema(conninfo: str, dry_run: bool) -> tuple[str | None, str]:
    """The target's Alembic revision and the code's head; a dry run cannot go on without the schema."""
    from reachimpact.schema import revisions

    current, head = revisions(conninfo)
    if current != head and dry_run:
        state = f"is at revision {current}" if current else "has no ReachImpact schema"
        raise RuntimeError(
            f"the target database {state} (head is {head}): a real run upgrades it before loading; "
            "a dry run cannot compare against tables that are not there yet"
        )
    return current, head


def _upgrade_schema(conninfo: str, schema: tuple[str | None, str]) -> None:
    """Alembic owns the schema: an empty target (or an older one) is brought to head before the load."""
    from reachimpact.schema import upgrade

    current, head = schema
    if current == head:
        return
    log.info("upgrading the target database's schema from %s to %s", current or "nothing", head)
    console.print(f"[dim]schema {current or 'none'} → {head} (alembic upgrade head)[/dim]")
    upgrade(conninfo)


def _backup(conninfo: str, run: Run, enabled: bool) -> None:
    from migration_tools.backup import pg_dump

    if not enabled:
        log.warning("no backup taken before the load (--no-backup or --dry-run)")
        return
    path = pg_dump(conninfo, run.folder / "backup.dump")
    log.info("backup written to %s (%s bytes); restore with pg_restore", path, path.stat().st_size)
    console.print(f"[dim]backup {path}[/dim]")


def main() -> None:
    app()
