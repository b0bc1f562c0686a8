"""The browser tests' app: started once per test session with reflex.testing.AppHarness.

The harness runs the backend in this process (so it uses the test database that tests/conftest.py set
up) and the frontend dev server as a child process; Playwright drives Debian's /usr/bin/chromium
against it. Each test gets a fresh browser context, so a fresh Reflex state.

These fixtures replace pytest-playwright's `browser` and `page` (see `browser` for why).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    expect,
    sync_playwright,
)
from sqlmodel import Session

from reachimpact import routes
from reachimpact.db import PROJECT_ROOT, get_engine
from tests.browser.accounts import create_account, sign_in

CHROMIUM = Path("/usr/bin/chromium")
BUN = PROJECT_ROOT / ".tools" / "node_modules" / "bun" / "bin" / "bun.exe"
ABORTED_BY_BROWSER = "net::ERR_ABORTED"
_timings: dict[str, float] = {}
# The dev server compiles a page on its first visit: allow for a slow machine.
expect.set_options(timeout=15_000)


def _use_project_toolchain() -> None:
    """What the Makefile exports, for a plain `pytest`: our bun, our caches, no calls home."""
    defaults = {
        "REFLEX_BUN_PATH": str(BUN),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_DIR": str(PROJECT_ROOT / ".tools" / "reflex"),
        "BUN_INSTALL_CACHE_DIR": str(PROJECT_ROOT / ".tools" / "bun-cache"),
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    # An explicit registry makes Reflex skip its probe of npm mirrors.
    if "NPM_CONFIG_REGISTRY" not in os.environ and (npm := shutil.which("npm")):
        registry = subprocess.run([npm, "config", "get", "registry"], capture_output=True, text=True).stdout
        if registry.strip():
            os.environ["NPM_CONFIG_REGISTRY"] = registry.strip()


# At import, before the app under test (and reflex with it) is loaded and reads them.
_use_project_toolchain()


@pytest.fixture(scope="package")
def reflex_app() -> Iterator[Any]:
    """The whole app (pages, API, job-queue pool) served on free ports while the browser tests run.

    Started once per test session: every browser test lives in this package. It stops when the
    package is done, not at the end of the session, because the app's lifespan holds the job queue's
    pool (a module global of reachimpact.jobs) open on the harness's event loop, where later tests
    that open the queue themselves would find it.
    """
    bun = Path(os.environ["REFLEX_BUN_PATH"])
    if not bun.is_file():
        pytest.fail(f"bun is missing at {bun}: run `make setup` (it installs bun from the npm registry)")
    from reflex.testing import AppHarness

    started = time.monotonic()
    harness = AppHarness.create(root=PROJECT_ROOT, app_name="reachimpact")
    harness.start()
    _timings["app harness start"] = time.monotonic() - started
    try:
        yield harness
    finally:
        stopping = time.monotonic()
        harness.stop()
        _timings["app harness stop"] = time.monotonic() - stopping


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's chromium, never a downloaded one; no sandbox as root, no GPU, no QUIC on these machines.

    Package-scoped on purpose (not pytest-playwright's session-wide fixtures): the sync API keeps an
    event loop running in this thread while Playwright is alive, which would break every later test
    that calls asyncio.run().
    """
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make chromium` does, as root)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-quic"]
        )
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def base_url(reflex_app: Any, browser: Browser, _cleaner: psycopg.Connection) -> str:
    """The app's address, once the dev server has settled (see `_warm_up`)."""
    url = reflex_app.frontend_url.rstrip("/")
    started = time.monotonic()
    try:
        _warm_up(browser, url)
    finally:
        # The warm-up's account must not show up in the first test.
        _cleaner.execute("TRUNCATE organizations, users, rate_limit_windows CASCADE")
    _timings["dev server warm-up"] = time.monotonic() - started
    return url


def _warm_up(browser: Browser, base_url: str, passes: int = 3) -> None:
    """Visit every page, signed in, until a whole round aborts no request.

    On its first visits the dev server (vite) pre-bundles the dependencies it discovers and may then
    reload the page. That is the dev server settling, not the app: it happens here, so that no test
    sees a reload it did not ask for (the sidebar test checks that navigation stays in one document).
    """
    with Session(get_engine()) as session:
        account = create_account(session, "Warm Up")
    context = browser.new_context(base_url=base_url)
    try:
        page = context.new_page()
        page.goto(routes.REGISTER, wait_until="networkidle")
        sign_in(page, account.email)
        page.close()
        for _ in range(passes):
            if not _visit_every_page(context):
                return
    finally:
        context.close()


def _visit_every_page(context: BrowserContext) -> list[Request]:
    """The requests that failed while loading each page in turn."""
    failed: list[Request] = []
    page = context.new_page()
    page.on("requestfailed", lambda request: failed.append(request))
    for item in routes.NAVIGATION:
        page.goto(item.route, wait_until="networkidle")
        page.get_by_role("heading", level=1, name=item.label).wait_for()
    page.close()
    return failed


@pytest.fixture
def page(base_url: str, browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (so a fresh Reflex state); `page.goto("/contacts")` works."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(autouse=True)
def browser_errors(page: Page) -> Iterator[list[str]]:
    """Every console error, uncaught exception, failed request and HTTP error of the test's page.

    Used by every browser test: it fails at teardown when any occurred, so no page can log an error
    unnoticed.
    """
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def on_request_failed(request: Request) -> None:
        # ERR_ABORTED is the browser cancelling a request itself, e.g. a module still loading when the
        # test navigates on: not a failure of the app. Refused, reset or timed-out requests are.
        if request.failure != ABORTED_BY_BROWSER:
            errors.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            errors.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught exception: {exc}"))
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    yield errors
    # Closed before the check, so nothing the page does while closing lands after it.
    page.close()
    if errors:
        pytest.fail("The browser reported errors:\n" + "\n".join(errors), pytrace=False)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _timings:
        terminalreporter.write_sep("-", "browser test timings")
        for name, seconds in _timings.items():
            terminalreporter.write_line(f"{name}: {seconds:.1f} s")
