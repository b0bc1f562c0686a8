"""The jobs package imports without a cycle: each module alone, in a fresh interpreter.

`reachimpact.jobs` (and the modules the services use: queue, tracked, ticks) load no task module; each
task module imports alone and registers its own tasks; and the App's `import_paths`, which the worker
performs at start, bring in every task the worker must run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from reachimpact.db import PROJECT_ROOT

TASK_MODULES = {
    "reachimpact.jobs.imports": {"contacts.import_csv"},
    "reachimpact.jobs.dialer": {"dialer.tick", "dialer.watchdog", "dialer.silent_calls", "dialer.cleanup"},
    "reachimpact.jobs.simulator": {"telephony.simulate_call", "telephony.machine_answered"},
}
ALL_TASKS = set().union(*TASK_MODULES.values())

# Imports `module` alone, then reports which task modules it loaded and which tasks the App then has,
# before and after performing its import paths (what the worker does when it starts).
PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
from reachimpact.jobs import app
loaded = sorted(name for name in sys.modules if name in {task_modules})
before = sorted(app.tasks)
app.perform_import_paths()
print(json.dumps({{"loaded": loaded, "tasks": before, "tasks_after_import_paths": sorted(app.tasks)}}))
"""


def probe(module: str) -> dict[str, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "APP_ENV": "test"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(task_modules=repr(set(TASK_MODULES))), module],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"importing {module} alone, then the App's import paths, failed:\n{done.stderr[-3000:]}"
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "module",
    [
        "reachimpact.jobs",
        "reachimpact.jobs.queue",
        "reachimpact.jobs.tracked",
        "reachimpact.jobs.ticks",
        # The services that queue dialer ticks and simulator events inside their transactions.
        "reachimpact.services.dialer",
        "reachimpact.services.campaigns",
        "reachimpact.services.call_events",
        "reachimpact.services.telephony.simulator",
    ],
)
def test_module_loads_no_task_module_and_the_worker_still_finds_every_task(module: str) -> None:
    seen = probe(module)
    assert seen["loaded"] == []
    assert not ALL_TASKS & set(seen["tasks"])
    assert ALL_TASKS.issubset(seen["tasks_after_import_paths"])


@pytest.mark.parametrize("module", sorted(TASK_MODULES))
def test_task_module_imports_alone_and_registers_its_tasks(module: str) -> None:
    seen = probe(module)
    assert seen["loaded"] == [module]  # and no other family's tasks
    assert TASK_MODULES[module] <= set(seen["tasks"])
    assert ALL_TASKS.issubset(seen["tasks_after_import_paths"])


def test_the_worker_app_is_the_package_attribute_not_a_module() -> None:
    # `procrastinate --app=reachimpact.jobs.app` reads the attribute `app` of the package.
    import procrastinate

    import reachimpact.jobs

    assert isinstance(reachimpact.jobs.app, procrastinate.App)
    assert not (PROJECT_ROOT / "reachimpact" / "jobs" / "app.py").exists()
