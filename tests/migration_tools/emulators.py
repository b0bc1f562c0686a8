"""The Firebase Auth emulator (firebase-tools from npm, in .tools/firebase: `make firebase-emulator`)
and the Firestore emulator (preinstalled with the Google Cloud SDK on some machines), started for a test
session on free loopback ports. Tests that need one skip, saying why, when it is not installed."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reachimpact.db import PROJECT_ROOT

FIREBASE_CLI = PROJECT_ROOT / ".tools" / "firebase" / "node_modules" / ".bin" / "firebase"
FIRESTORE_EMULATOR = Path(
    os.environ.get(
        "FIRESTORE_EMULATOR_BIN",
        "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator",
    )
)


def missing_auth_emulator() -> str | None:
    if not FIREBASE_CLI.exists():
        return f"the Firebase Auth emulator is not installed ({FIREBASE_CLI}): run `make firebase-emulator`"
    if shutil.which("java") is None and shutil.which("node") is None:
        return "node is not installed"
    return None


def missing_firestore_emulator() -> str | None:
    if not FIRESTORE_EMULATOR.exists():
        return f"the Firestore emulator is not installed ({FIRESTORE_EMULATOR})"
    if shutil.which("java") is None:
        return "the Firestore emulator needs java, which is not installed"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"emulator exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"emulator did not open port {port}: {log.read_text()[-2000:]}")


@contextmanager
def _process(argv: list[str], port: int, log: Path, cwd: Path) -> Iterator[None]:
    with log.open("w") as out:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "FIREBASE_CLI_DISABLE_UPDATE_CHECK": "true"},
        )
    try:
        _wait_for(port, process, log)
        yield
    finally:
        # Each emulator runs children (java, node workers): end its whole process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def auth_emulator(folder: Path) -> Iterator[str]:
    """host:port of a running Auth emulator."""
    port, hub, logging_port = free_port(), free_port(), free_port()
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "emulators": {
            "auth": {"host": "127.0.0.1", "port": port},
            "hub": {"host": "127.0.0.1", "port": hub},
            "logging": {"host": "127.0.0.1", "port": logging_port},
            "ui": {"enabled": False},
            "singleProjectMode": False,
        }
    }
    (folder / "firebase.json").write_text(json.dumps(config))
    argv = [
        str(FIREBASE_CLI),
        "emulators:start",
        "--only",
        "auth",
        "--project",
        "demo-reachimpact",
        "--config",
        str(folder / "firebase.json"),
    ]
    with _process(argv, port, folder / "auth-emulator.log", folder):
        yield f"127.0.0.1:{port}"


@contextmanager
def firestore_emulator(folder: Path) -> Iterator[str]:
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    argv = [str(FIRESTORE_EMULATOR), "start", "--host=127.0.0.1", f"--port={port}"]
    with _process(argv, port, folder / "firestore-emulator.log", folder):
        yield f"127.0.0.1:{port}"
