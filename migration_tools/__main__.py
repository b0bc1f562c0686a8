"""`python -m migration_tools`: the admin CLI for the Firebase → PostgreSQL move.

The pipeline is export (firebase-admin) → transform → load (COPY) → validate → rollback, each step a
subcommand registered in `build_parser`; batches and the Firebase-id map live in the
migration_batches and migration_id_map tables.
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m migration_tools",
        description=(
            "Move a Firebase project (Auth users with their password hashes, Firestore collections) into "
            "ReachImpact's PostgreSQL database, in re-runnable batches that can be validated and rolled back."
        ),
    )
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    if parser.parse_args(argv).command is None:
        parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
