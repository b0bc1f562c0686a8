"""rollback: remove every row one batch loaded, and only those, in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import psycopg
from psycopg.types.json import Jsonb
from sqlmodel import SQLModel

from migration_tools.staging import q

# Tables whose rows belong to an organization: rows added there since the load (by the app) would go
# with the batch's organizations, so rollback refuses unless forced.
_OWNED = (
    "contacts",
    "campaigns",
    "calls",
    "conversations",
    "messages",
    "opt_outs",
    "phone_numbers",
    "invites",
)


class RollbackError(Exception):
    pass


@dataclass
class RollbackResult:
    batch_id: uuid.UUID
    deleted: dict[str, int] = field(default_factory=dict)
    added_since: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False


def rollback(
    conninfo: str, batch_id: uuid.UUID, *, dry_run: bool = False, force: bool = False
) -> RollbackResult:
    result = RollbackResult(batch_id, dry_run=dry_run)
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT status FROM migration_batches WHERE id = %s FOR UPDATE", (batch_id,)
        ).fetchone()
        if row is None:
            raise RollbackError(f"no batch {batch_id}")
        if row[0] == "rolled_back":
            raise RollbackError(f"batch {batch_id} was already rolled back")
        batch_orgs = (
            "SELECT row_id FROM migration_id_map WHERE batch_id = %(b)s AND table_name = 'organizations'"
        )
        for name in _OWNED:
            count = conn.execute(
                f"""SELECT count(*) FROM {q(name)} t WHERE t.organization_id IN ({batch_orgs})
                    AND NOT EXISTS (SELECT 1 FROM migration_id_map mm
                                    WHERE mm.row_id = t.id AND mm.batch_id = %(b)s)""",
                {"b": batch_id},
            ).fetchone()[0]
            if count:
                result.added_since[name] = count
        if result.added_since and not force:
            found = ", ".join(f"{n} {t}" for t, n in result.added_since.items())
            raise RollbackError(
                f"the batch's organizations hold rows added since the load ({found}); rolling back would "
                "delete them too. Export them first (export-back) or pass --force."
            )
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT table_name FROM migration_id_map WHERE batch_id = %s", (batch_id,)
            )
        }
        # Children before parents, so no delete waits on a cascade from a parent deleted earlier.
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in tables:
                continue
            cursor = conn.execute(
                f"""DELETE FROM {q(table.name)} WHERE id IN (
                        SELECT row_id FROM migration_id_map WHERE batch_id = %s AND table_name = %s)""",
                (batch_id, table.name),
            )
            result.deleted[table.name] = cursor.rowcount
        conn.execute("DELETE FROM migration_id_map WHERE batch_id = %s", (batch_id,))
        conn.execute(
            "UPDATE migration_batches SET status = 'rolled_back', finished_at = now(), "
            "details = details || %s WHERE id = %s",
            (Jsonb({"rollback": {"deleted": result.deleted, "forced": bool(result.added_since)}}), batch_id),
        )
        if dry_run:
            conn.rollback()
        else:
            conn.commit()
    return result
