"""The transform's Auth users phase (users, organizations, memberships) in a forked child process, while
the parent transforms the collections: the two phases share nothing, and the load can start on the
organizations while the contacts are still being read.

The child writes its tables' rows files, and its rejects and warnings beside the parent's; it sends each
finished table and its progress as it goes, and its counts at the end, which `AuthUsersChild.join`
merges so that the folder is the one running the phases in turn gives. Forked, not spawned: a fresh
interpreter would spend half a second importing what this one has.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import shutil
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migration_tools.row_files import REJECTS, WARNINGS
from migration_tools.transform_errors import TransformError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import ForkContext

    from migration_tools.transform import Transformer


def _aside(path: Path) -> Path:
    """Where the Auth users' child writes its part of a shared file (rejects, warnings)."""
    return path.with_name(path.name + ".auth")


def _run_in_child(transformer: Transformer, send: Connection) -> None:
    """The child's side: `transformer` is the parent's, as it was when forked."""
    try:
        transformer.tables, transformer.finished_tables = {}, {}
        with ExitStack() as stack:
            transformer.stack = stack  # the parent's stack and handles are left untouched
            out = transformer.out
            transformer.rejects_file = stack.enter_context(_aside(out / REJECTS).open("w", encoding="utf-8"))
            transformer.warnings_file = stack.enter_context(
                _aside(out / WARNINGS).open("w", encoding="utf-8")
            )
            transformer.on_table = lambda name, entry: send.send(("table", (name, entry)))
            transformer.on_progress = lambda n: send.send(("progress", n))
            transformer.auth_users()
            transformer.tables_done()
        send.send(("done", (dict(transformer.reports), transformer.auth_summary)))
    except BaseException as exc:  # the parent raises it, if it is still there to hear it
        with contextlib.suppress(OSError):
            send.send(("failed", exc if isinstance(exc, TransformError) else RuntimeError(repr(exc))))


class AuthUsersChild:
    """The Auth users phase of `parent` running in a forked child; `join` merges what it made."""

    def __init__(self, parent: Transformer, context: ForkContext) -> None:
        self.parent = parent
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=self._child, args=(send,), daemon=True)
        self.process.start()
        send.close()
        self.tables: dict[str, dict] = {}
        self.outcome: tuple[str, Any] | None = None
        self.relay = threading.Thread(target=self._relay, name="transform-auth-users", daemon=True)
        self.relay.start()

    @classmethod
    def start(cls, parent: Transformer) -> AuthUsersChild | None:
        """The child started, or None where processes cannot be forked (the caller runs the phase)."""
        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        sys.stdout.flush()  # the child flushes these as it exits: nothing of ours may be in them twice
        sys.stderr.flush()
        return cls(parent, multiprocessing.get_context("fork"))

    def _child(self, send: Connection) -> None:
        # With the parent's end of the pipe closed here, the child's sends fail as soon as the parent is
        # gone (killed mid-run), and the child stops instead of writing on into a folder a re-run may use.
        self.receive.close()
        _run_in_child(self.parent, send)

    def _relay(self) -> None:
        try:
            while True:
                kind, value = self.receive.recv()
                if kind == "table":
                    name, entry = value
                    self.tables[name] = entry
                    if self.parent.on_table:
                        self.parent.on_table(name, entry)
                elif kind == "progress":
                    if self.parent.on_progress:
                        self.parent.on_progress(value)
                else:
                    self.outcome = (kind, value)
                    return
        except EOFError:
            self.outcome = ("failed", TransformError("the Auth users' transform stopped unexpectedly"))
        except BaseException as exc:  # on_table refused the table (the load failed): stop the child
            self.outcome = ("failed", exc)
            self.process.kill()

    def join(self) -> None:
        """Wait for the child; merge its tables (first, as when run in turn), counts and rejects."""
        self.relay.join()
        assert self.outcome is not None
        kind, value = self.outcome
        if kind == "failed":
            raise value
        reports, auth_summary = value
        parent = self.parent
        parent.reports.update(reports)
        parent.auth_summary.update(auth_summary)
        parent.finished_tables = {**self.tables, **parent.finished_tables}
        # The Auth users' rejects and warnings come first in each file, as when the phases run in turn.
        for name, handle in ((REJECTS, parent.rejects_file), (WARNINGS, parent.warnings_file)):
            assert handle is not None
            handle.flush()
            ours = parent.out / f"{name}.collections"
            shutil.copyfile(parent.out / name, ours)
            handle.seek(0)
            handle.truncate()
            for part in (_aside(parent.out / name), ours):
                with part.open(encoding="utf-8") as lines:
                    handle.writelines(lines)
                part.unlink()

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.relay.join()
        self.receive.close()
