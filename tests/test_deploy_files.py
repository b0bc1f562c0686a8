"""The deploy and setup files name only commands, files and routes that exist.

No Docker engine runs here, so fly.toml, the Dockerfile and the Makefile are read as text and every
command they name is checked against the project: its executable is installed, its flags parse with
the real CLI, its module imports, the files it copies are there.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

import click
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from reachimpact.db import PROJECT_ROOT
from reachimpact.settings import Settings

VENV_BIN = Path(sys.executable).parent
WORKER_COMMAND = "procrastinate --app=reachimpact.jobs.app worker"


@dataclass
class Stage:
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)


def dockerfile_stages(text: str) -> list[Stage]:
    """The Dockerfile's build stages, each a list of (INSTRUCTION, arguments) with continuations joined."""
    stages: list[Stage] = []
    logical = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # Docker drops comment lines, even inside a continued instruction.
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        keyword, _, arguments = logical.partition(" ")
        logical = ""
        keyword = keyword.upper()
        if keyword == "FROM":
            stages.append(Stage(base=arguments.split()[0]))
        else:
            stages[-1].instructions.append((keyword, arguments.strip()))
    return stages


def exec_form(arguments: str) -> list[str]:
    """CMD/ENTRYPOINT arguments as a list: the JSON form, or the shell form split like a shell would."""
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


def copied_sources(arguments: str) -> list[str]:
    """The build-context paths a COPY reads; none for a copy from another stage."""
    words = exec_form(arguments)
    flags = [word for word in words if word.startswith("--")]
    if any(flag.startswith("--from") for flag in flags):
        return []
    paths = [word for word in words if not word.startswith("--")]
    return paths[:-1]


def assert_reflex_run_accepts(argv: list[str], port: int) -> None:
    """`argv` is a `reflex run` prod command that Reflex's own CLI parser accepts, serving on `port`."""
    from reflex.reflex import cli

    assert argv[:2] == ["reflex", "run"], argv
    assert (VENV_BIN / "reflex").exists()
    try:
        params = cli.commands["run"].make_context("reflex run", argv[2:]).params
    except click.UsageError as exc:
        pytest.fail(f"`{shlex.join(argv)}` is refused by reflex: {exc}")
    # The rules `reflex run` itself enforces for --single-port.
    assert params["single_port"] and params["env"] == "prod"
    assert not params["frontend_only"] and not params["backend_only"]
    assert params["frontend_port"] == port
    assert params["backend_host"] == "0.0.0.0", "inside a container the app must listen on every interface"


def assert_worker_command_runs(argv: list[str]) -> None:
    assert shlex.join(argv) == WORKER_COMMAND
    executable = VENV_BIN / argv[0]
    assert executable.exists()
    # `--help` after the command makes procrastinate load the app and parse the subcommand, then stop.
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [str(executable), *argv[1:], "--help"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "usage: procrastinate worker" in result.stdout


@pytest.fixture(scope="module")
def fly() -> dict:
    return tomllib.loads((PROJECT_ROOT / "fly.toml").read_text())


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return dockerfile_stages((PROJECT_ROOT / "Dockerfile").read_text())


def test_release_command_migrates_with_alembic(fly: dict) -> None:
    argv = shlex.split(fly["deploy"]["release_command"])
    assert argv == ["alembic", "upgrade", "head"]
    assert (VENV_BIN / "alembic").exists()
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    scripts = ScriptDirectory.from_config(config)
    revisions = list(scripts.walk_revisions())
    assert revisions, "alembic/versions holds no revision"
    assert len(scripts.get_heads()) == 1, "`upgrade head` needs exactly one head"


def test_fly_app_process_is_the_image_command_and_reflex_accepts_it(fly: dict, stages: list[Stage]) -> None:
    port = fly["http_service"]["internal_port"]
    app_argv = shlex.split(fly["processes"]["app"])
    assert_reflex_run_accepts(app_argv, port)
    (cmd,) = [exec_form(args) for keyword, args in stages[-1].instructions if keyword == "CMD"]
    assert cmd == app_argv, "the image's CMD and fly's app process should be the same command"
    exposed = [args for keyword, args in stages[-1].instructions if keyword == "EXPOSE"]
    assert exposed == [str(port)]
    assert fly["http_service"]["processes"] == ["app"]


def test_fly_worker_process_loads_the_job_queue(fly: dict) -> None:
    assert_worker_command_runs(shlex.split(fly["processes"]["worker"]))
    import procrastinate

    from reachimpact.jobs import app

    assert isinstance(app, procrastinate.App)


def test_health_check_path_is_an_api_route(fly: dict) -> None:
    from reachimpact.api.app import create_api

    (check,) = fly["http_service"]["checks"]
    assert check["path"] == "/api/health"
    assert check.get("method", "GET").upper() == "GET"
    # The OpenAPI document lists every route of the API, however its routers are nested.
    paths = create_api().openapi()["paths"]
    assert "get" in paths.get(check["path"], {})


def test_fly_sets_production_env_and_keeps_secrets_out(fly: dict) -> None:
    env = fly["env"]
    assert env["APP_ENV"] == "prod"
    assert env["PUBLIC_BASE_URL"].startswith("https://")
    for secret in ("DATABASE_URL", "SECRET_KEY", "REDIS_URL", "TWILIO_AUTH_TOKEN", "OPENAI_API_KEY"):
        assert secret not in env, f"{secret} belongs in `fly secrets`, not fly.toml"


def test_every_file_the_dockerfile_copies_exists(stages: list[Stage]) -> None:
    sources = [
        source
        for stage in stages
        for keyword, args in stage.instructions
        if keyword in {"COPY", "ADD"}
        for source in copied_sources(args)
    ]
    assert "requirements.txt" in sources
    missing = [source for source in sources if not (PROJECT_ROOT / source).exists()]
    assert not missing, f"the Dockerfile copies paths that are not in the project: {missing}"


def test_image_is_multi_stage_and_runs_as_a_user(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    assert all(stage.base.startswith("python:3.11") for stage in stages)
    users = [args for keyword, args in stages[-1].instructions if keyword == "USER"]
    assert users, "the runtime stage sets no USER, so it runs as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    builder_runs = " ".join(args for keyword, args in stages[0].instructions if keyword == "RUN")
    assert "reflex export --frontend-only --no-zip --env prod" in builder_runs


def test_dockerfile_and_makefile_install_the_same_bun(stages: list[Stage]) -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    (make_version,) = re.findall(r"^BUN_VERSION := (\S+)$", makefile, re.MULTILINE)
    runs = " ".join(args for keyword, args in stages[0].instructions if keyword == "RUN")
    assert re.findall(r"\bbun@(\S+)", runs) == [make_version]


def test_makefile_has_the_documented_targets() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", makefile, re.MULTILINE))
    assert {"run", "test", "worker", "migrate", "seed", "lint", "bench"} <= targets


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_run_starts_what_exists() -> None:
    dry_run = subprocess.run(
        ["make", "--dry-run", "--always-make", "run"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert dry_run.returncode == 0, dry_run.stderr
    for command in (
        "alembic upgrade head",
        "python -m reachimpact.seed --if-empty",
        WORKER_COMMAND,
        "reflex run --frontend-port 3000 --backend-port 8000",
    ):
        assert command in dry_run.stdout, f"`make run` no longer runs `{command}`"
    assert find_spec("reachimpact.seed") is not None, "`make seed` runs reachimpact.seed, which is missing"


def test_ci_entry_point_runs_make_test() -> None:
    script = PROJECT_ROOT / ".ci" / "run"
    assert os.access(script, os.X_OK)
    assert script.read_text().rstrip().endswith("exec make test")
    workflow = (PROJECT_ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert "run: make test" in workflow
    assert "TEST_DATABASE_URL" in workflow


def test_requirements_are_pinned_to_what_the_tests_run_on() -> None:
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (PROJECT_ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if not line or line.startswith("-r "):
                continue
            requirement, _, version = line.partition("==")
            assert version, f"{name}: `{line}` is not pinned with =="
            distribution = requirement.split("[")[0]
            assert metadata.version(distribution) == version, f"{name}: the venv has another {distribution}"


def test_readme_gives_the_two_commands_and_every_setting() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "make run" in readme
    assert "make test" in readme
    undocumented = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in readme]
    assert not undocumented, f"settings missing from the README's configuration table: {undocumented}"
