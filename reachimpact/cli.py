"""`python -m reachimpact.cli`: administrative commands that run in-process, without the job queue.

python -m reachimpact.cli import-contacts contacts.csv --org "Demo Campaign HQ" [--on-duplicate update]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

from sqlmodel import select

from reachimpact.db import session_scope
from reachimpact.errors import DomainError
from reachimpact.models import Organization
from reachimpact.services.contact_import import DuplicatePolicy, import_contacts
from reachimpact.services.organizations import phone_region


def _organization(ref: str) -> Organization:
    with session_scope() as session:
        try:
            found = session.get(Organization, uuid.UUID(ref))
        except ValueError:
            found = session.exec(select(Organization).where(Organization.name == ref)).first()
    if found is None:
        raise SystemExit(f"No organization with id or name {ref!r}.")
    return found


def _progress(fraction: float, message: str) -> None:
    bar = "#" * int(fraction * 30)
    print(f"\r[{bar:<30}] {fraction:4.0%} {message}", end="", file=sys.stderr, flush=True)


def import_contacts_command(args: argparse.Namespace) -> int:
    organization = _organization(args.org)
    with session_scope() as session:
        region = phone_region(session, organization.id)
    errors_path = Path(args.errors or f"{args.file}.errors.csv")
    started = time.perf_counter()
    with errors_path.open("w", encoding="utf-8", newline="") as errors_out:
        result = import_contacts(
            Path(args.file),
            organization_id=organization.id,
            region=region,
            on_duplicate=DuplicatePolicy(args.on_duplicate),
            errors_out=errors_out,
            progress=_progress,
        )
    seconds = time.perf_counter() - started
    print(file=sys.stderr)
    print(
        f"{organization.name}: {result.imported} imported, {result.updated} updated, "
        f"{result.skipped} skipped, {result.rejected} rejected ({result.rows} rows in {seconds:.1f}s)"
    )
    if result.rejected:
        print(f"Rejected rows, with line numbers and reasons: {errors_path}")
    else:
        errors_path.unlink()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reachimpact.cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    importer = commands.add_parser("import-contacts", help="import contacts from a CSV file")
    importer.add_argument("file", help="CSV file with a header row and a phone column")
    importer.add_argument("--org", required=True, help="organization id or exact name")
    importer.add_argument("--on-duplicate", choices=[p.value for p in DuplicatePolicy], default="skip")
    importer.add_argument("--errors", help="where to write rejected rows (default: FILE.errors.csv)")
    importer.set_defaults(run=import_contacts_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (DomainError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
