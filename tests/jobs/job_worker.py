"""The job queue's worker, as deployed (`procrastinate ... worker`), for tests that need it running."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reachimpact.db import PROJECT_ROOT


@contextmanager
def job_worker(log: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """The worker on this run's database (DATABASE_URL is in the environment), with `env` added."""
    command = [str(Path(sys.executable).with_name("procrastinate")), "--app=reachimpact.jobs.app", "worker"]
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env}
    with log.open("wb") as out:
        worker = subprocess.Popen(
            command, env=environment, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield worker
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
