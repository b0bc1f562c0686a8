"""A run of the CLI: its id, its folder and its log file (every step of every command is logged there)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reachimpact.db import PROJECT_ROOT

DEFAULT_WORK_DIR = PROJECT_ROOT / ".data" / "migrations"
LOG_FORMAT = "%(asctime)s %(levelname)s [%(name)s] run=%(run_id)s %(message)s"


@dataclass(frozen=True)
class Run:
    id: str
    folder: Path

    @property
    def log_path(self) -> Path:
        return self.folder / "run.log"


class _RunIdFilter(logging.Filter):
    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = self.run_id
        return True


def start_run(command: str, work_dir: Path | None = None) -> Run:
    """A new run folder under `work_dir` with its log file attached to the migration_tools logger."""
    # Microseconds keep run ids in start order even for runs begun within the same second.
    run_id = f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{secrets.token_hex(3)}"
    folder = (work_dir or DEFAULT_WORK_DIR) / run_id
    folder.mkdir(parents=True, exist_ok=True)
    run = Run(run_id, folder)
    logger = logging.getLogger("migration_tools")
    logger.setLevel(logging.INFO)
    for handler in list(logger.handlers):
        if getattr(handler, "_migration_run", False):
            logger.removeHandler(handler)
            handler.close()
    handler = logging.FileHandler(run.log_path, encoding="utf-8")
    handler._migration_run = True  # type: ignore[attr-defined]
    handler.addFilter(_RunIdFilter(run_id))
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logger.addHandler(handler)
    logger.info("%s started in %s", command, folder)
    return run
