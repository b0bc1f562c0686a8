"""Benchmark: click → DOM updated in the production build, ReachImpact against a bare Reflex app.

    .venv/bin/python bench/ui.py [--tries 20] [--contacts N] [--redis] [--keep]

In one run: a throw-away database on 127.0.0.1:5432 (tests/databases.py) with the demo organization
(plus N synthetic contacts with --contacts, loaded with one COPY); then, one after the other, a bare
Reflex app (a button whose handler sets a loading flag, yields, then sets 50 rows of three strings) and
ReachImpact (from a temporary copy of the sources, never the project's own .web) are built and served as the
Dockerfile does (`reflex run --env prod --single-port`; the memory state manager, or Redis with
--redis), and Debian's chromium, driven by Playwright, times each interaction inside the page:
performance.now() at the click, a MutationObserver resolving when the interaction's target has
changed, and the main thread's long tasks (PerformanceObserver 'longtask') from the click until
LONG_TASK_TAIL_MS after it. Prints median, p95 and max per interaction with their ratios to the bare
app's median in the same run, then issue 20's goals (median ≤ 1.5×, p95 ≤ 2×) as met or not met.
Servers, the database and the temporary directories are removed at the end, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.databases import admin_url, create_database, drop_database, migrate  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic"]
TOOLS = ROOT / ".tools"
BUN = TOOLS / "node_modules" / "bun" / "bin" / "bun.exe"
DEMO_EMAIL = "demo@reachimpact.io"
DEMO_PASSWORD = "reachimpact-demo"
DEMO_ORG_NAME = "Demo Campaign HQ"
# What ReachImpact needs to build and serve (what the Dockerfile copies, less the migration tools).
PROJECT_FILES = ("rxconfig.py", "alembic.ini", "requirements.txt", "requirements-dev.txt")
PROJECT_DIRS = ("reachimpact", "assets", "alembic", "reflex.lock")
GOAL_MEDIAN = 1.5  # issue 20: each median ≤ 1.5× the bare click's median
GOAL_P95 = 2.0  # … and each p95 ≤ 2× it
SERVER_START_TIMEOUT = 600  # s: the first production build installs the frontend packages
STEP_TIMEOUT_MS = 15_000  # one click's answer
WARM_UP_TRIES = 2  # untimed tries before each interaction's timed ones
LONG_TASK_TAIL_MS = 250  # long tasks starting this soon after the DOM changed still count for the click
SEARCH_DEBOUNCE_MS = 300  # ContactsState.search.debounce(300) in reachimpact/pages/contacts.py


class BenchError(RuntimeError):
    """A step failed: the message says which and why."""


# --- the bare app -------------------------------------------------------------------------------------

BARE_RXCONFIG = """\
import reflex as rx

config = rx.Config(
    app_name="bareapp",
    backend_host="127.0.0.1",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
"""

BARE_APP = '''\
"""The floor: a button whose handler sets a loading flag, yields, then sets 50 rows of three strings."""

import reflex as rx


class BareState(rx.State):
    loading: bool = False
    clicks: int = 0
    rows: list[list[str]] = []

    @rx.event
    def load_rows(self):
        self.loading = True
        yield
        self.clicks += 1
        self.rows = [[f"row {i} of click {self.clicks}", f"b{i}", f"c{i}"] for i in range(50)]
        self.loading = False


def _row(row: rx.Var[list[str]]) -> rx.Component:
    return rx.table.row(rx.table.cell(row[0]), rx.table.cell(row[1]), rx.table.cell(row[2]))


def index() -> rx.Component:
    return rx.container(
        rx.heading("Bare", as_="h1"),
        rx.button("Load rows", on_click=BareState.load_rows, loading=BareState.loading),
        rx.text(rx.cond(BareState.loading, "Loading…", "Ready")),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(name) for name in "ABC"])),
            rx.table.body(rx.foreach(BareState.rows, _row)),
        ),
    )


app = rx.App()
app.add_page(index)
'''


def write_bare_app(directory: Path) -> None:
    (directory / "bareapp").mkdir(parents=True)
    (directory / "rxconfig.py").write_text(BARE_RXCONFIG)
    (directory / "bareapp" / "__init__.py").write_text("")
    (directory / "bareapp" / "bareapp.py").write_text(BARE_APP)
    (directory / "assets").mkdir()
    # The same frontend packages as ReachImpact's, so both bundles are built from the same versions.
    shutil.copytree(ROOT / "reflex.lock", directory / "reflex.lock")


def copy_project(directory: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, directory / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, directory / name, ignore=ignore)


# --- database -----------------------------------------------------------------------------------------


def seed_demo(project: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reachimpact.seed"], cwd=project, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BenchError(f"seeding the demo organization failed:\n{result.stdout}\n{result.stderr}")


def add_contacts(conninfo: str, count: int) -> float:
    """`count` synthetic contacts in the demo organization, with one COPY; the seconds it took."""
    started = time.perf_counter()
    first = ("Ann", "Bob", "Cara", "Dan", "Eve", "Femi", "Gus", "Hana", "Ivan", "Jia", "Kofi", "Lena")
    last = ("Lee", "Smith", "Garcia", "Nguyen", "Okafor", "Kowalski", "Brown", "Haddad", "Rossi", "Tanaka")
    tags = ("{}", "{donor}", "{volunteer,donor}")
    # Older than the demo's contacts, so the demo's stay on the first pages.
    oldest = datetime.now(UTC) - timedelta(days=400)
    with psycopg.connect(conninfo) as conn:
        (org,) = conn.execute("SELECT id FROM organizations WHERE name = %s", [DEMO_ORG_NAME]).fetchone()
        columns = "id, organization_id, first_name, last_name, phone, email, tags, custom_fields, time_zone, "
        columns += "created_at, updated_at"
        with conn.cursor().copy(f"COPY contacts ({columns}) FROM STDIN") as copy:
            for n in range(count):
                f, la = first[n % len(first)], last[(n * 7) % len(last)]
                when = oldest + timedelta(seconds=n)
                # Exchange 555 is never the demo's (reachimpact/demo/builder.py): no clash with its numbers.
                phone = f"+1{200 + n // 10_000}555{n % 10_000:04}"
                copy.write_row(
                    (
                        uuid.uuid4(),
                        org,
                        f,
                        la,
                        phone,
                        f"{f}.{la}{n}@example.org".lower(),
                        tags[n % 3],
                        f'{{"Precinct": "P{n % 97}"}}',
                        "America/New_York",
                        when,
                        when,
                    )
                )
        conn.commit()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE contacts")
    return time.perf_counter() - started


# --- Redis --------------------------------------------------------------------------------------------

REDIS_CLAIM = "reachimpact-bench-ui:claim"


@contextlib.contextmanager
def redis_database() -> Iterator[str]:
    """redis://127.0.0.1:6379/<n> for an empty database claimed for this run; flushed afterwards."""
    import redis

    for number in range(1, 16):
        client = redis.Redis(host="127.0.0.1", port=6379, db=number)
        try:
            if client.dbsize() == 0 and client.set(REDIS_CLAIM, str(os.getpid()), nx=True):
                break
        except redis.exceptions.ConnectionError as exc:
            raise BenchError(f"--redis: no Redis server answers on 127.0.0.1:6379 ({exc})") from exc
        client.close()
    else:
        raise BenchError("--redis: every Redis database 1-15 on 127.0.0.1:6379 holds keys; none is free")
    try:
        yield f"redis://127.0.0.1:6379/{number}"
    finally:
        client.flushdb()
        client.close()


# --- serving ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reflex_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment the Makefile exports for Reflex, plus `extra`; no REDIS_URL unless given."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "APP_ENV")}
    env.update(
        REFLEX_BUN_PATH=str(BUN),
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_DIR=str(TOOLS / "reflex"),
        BUN_INSTALL_CACHE_DIR=str(TOOLS / "bun-cache"),
        PYTHONUNBUFFERED="1",
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    )
    if "NPM_CONFIG_REGISTRY" not in env and (npm := shutil.which("npm")):
        registry = subprocess.run([npm, "config", "get", "registry"], capture_output=True, text=True).stdout
        if registry.strip():
            env["NPM_CONFIG_REGISTRY"] = registry.strip()
    env.update(extra)
    return env


@dataclass
class Server:
    name: str
    directory: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.directory / "reflex-run.log"

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def start(self) -> None:
        command = [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port"]
        command += ["--frontend-port", str(self.port)]
        print(f"[{self.name}] building and serving the production build on {self.url} (log: {self.log})")
        started = time.monotonic()
        with self.log.open("w") as log:
            # Its own session: Ctrl-C here does not reach it half-way, stop() ends the whole group.
            self.process = subprocess.Popen(
                command,
                cwd=self.directory,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = started + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"[{self.name}] `reflex run` exited with status {self.process.returncode} before "
                    f"serving; the end of its log:\n{self.log_tail()}"
                )
            if self._answers("/ping") and self._answers("/"):
                print(f"[{self.name}] ready in {time.monotonic() - started:.0f} s")
                return
            time.sleep(0.5)
        raise BenchError(
            f"[{self.name}] not serving {self.url} after {SERVER_START_TIMEOUT} s; the end of its log:\n"
            f"{self.log_tail()}"
        )

    def _answers(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Granian's workers are in the same process group; make sure none outlives the run.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        print(f"[{self.name}] stopped")


@contextlib.contextmanager
def serving(server: Server) -> Iterator[Server]:
    try:
        server.start()
        yield server
    finally:
        server.stop()


# --- measuring inside the page ------------------------------------------------------------------------

# Installed in every document before its scripts: the long-task log and the websocket send times.
INIT_SCRIPT = """
(() => {
  const bench = (window.__bench = { longTasks: [], sends: [] });
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) bench.longTasks.push([entry.startTime, entry.duration]);
    }).observe({ entryTypes: ["longtask"] });
  } catch (error) {}
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (...args) {
    bench.sends.push(performance.now());
    return send.apply(this, args);
  };
})();
"""

# prepare(arg) → s runs before the clock starts; act(s) is the click; done(s) is checked after each DOM
# mutation. Resolves with the click's start, the moment done(s) held, and the first websocket send.
MEASURE = """
async ({ prepare, act, done, arg, timeout }) => {
  const prepareFn = new Function("arg", prepare);
  const actFn = new Function("s", act);
  const doneFn = new Function("s", done);
  const s = prepareFn(arg);
  if (s && s.error) return { ok: false, error: s.error };
  return await new Promise((resolve) => {
    let t0 = 0;
    let finished = false;
    const finish = (ok, error) => {
      if (finished) return;
      finished = true;
      const t1 = performance.now();
      observer.disconnect();
      clearTimeout(timer);
      const sent = window.__bench.sends.find((t) => t >= t0);
      resolve({ ok, error, t0, t1, ms: t1 - t0, sent: sent === undefined ? null : sent - t0 });
    };
    const observer = new MutationObserver(() => {
      try {
        if (doneFn(s)) finish(true);
      } catch (error) {
        finish(false, String(error));
      }
    });
    const watch = { subtree: true, childList: true, characterData: true, attributes: true };
    observer.observe(document.body, watch);
    const timer = setTimeout(() => finish(false, "timed out"), timeout);
    t0 = performance.now();
    actFn(s);
  });
}
"""

LONG_TASKS = """
([from, to]) => window.__bench.longTasks.filter(([start]) => start >= from && start <= to)
"""

# Helpers shared by the interactions' snippets.
JS_HELPERS = """
const text = (el) => (el ? el.textContent : "");
const tbodyText = () => text(document.querySelector("tbody"));
const loaded = () => !document.querySelector(".loading-state");
const button = (label) =>
  [...document.querySelectorAll("button")].find((b) => b.textContent.trim() === label);
"""


@dataclass
class Step:
    """One timed interaction: snippets run inside the page (see MEASURE)."""

    prepare: str
    act: str
    done: str
    arg: Any = None


@dataclass
class Result:
    label: str
    samples: list[float] = field(default_factory=list)
    sent: list[float] = field(default_factory=list)
    long_tasks: list[list[float]] = field(default_factory=list)  # per try: each long task's duration
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def measure(page: Any, step: Step) -> tuple[float, float | None, list[float]]:
    """(ms from the click to the DOM change, ms to the first websocket send, the long tasks' ms)."""
    result = page.evaluate(
        MEASURE,
        {
            "prepare": JS_HELPERS + step.prepare,
            "act": JS_HELPERS + step.act,
            "done": JS_HELPERS + step.done,
            "arg": step.arg,
            "timeout": STEP_TIMEOUT_MS,
        },
    )
    if not result["ok"]:
        raise BenchError(f"{result.get('error')} (page {page.url})")
    page.wait_for_timeout(LONG_TASK_TAIL_MS + 50)
    tasks = page.evaluate(LONG_TASKS, [result["t0"], result["t1"] + LONG_TASK_TAIL_MS])
    return result["ms"], result["sent"], [duration for _start, duration in tasks]


def run_interaction(
    label: str,
    tries: int,
    make_step: Callable[[int], Step],
    reset: Callable[[int], None],
    *,
    page: Any,
    note: str = "",
) -> Result:
    """`tries` timed tries (after WARM_UP_TRIES untimed ones): make_step(i), measure, then reset(i)."""
    result = Result(label, note=note)
    for i in range(WARM_UP_TRIES + tries):
        try:
            ms, sent, tasks = measure(page, make_step(i))
        except BenchError as exc:
            raise BenchError(f"{label}, try {i + 1}: {exc}") from exc
        if i >= WARM_UP_TRIES:
            result.samples.append(ms)
            if sent is not None:
                result.sent.append(sent)
            result.long_tasks.append(tasks)
        reset(i)
    print(f"  {label}: median {result.median:.0f} ms over {tries} tries")
    return result


# --- the interactions ---------------------------------------------------------------------------------


def bare_click(page: Any, base_url: str, tries: int) -> Result:
    page.goto(base_url + "/")
    wait_connected(page)
    page.get_by_role("button", name="Load rows").wait_for()
    page.wait_for_load_state("networkidle")
    step = Step(
        prepare='return { before: tbodyText(), button: button("Load rows") };',
        act="s.button.click();",
        done="return tbodyText() !== s.before && tbodyText() !== '';",
    )
    return run_interaction(
        "bare Reflex app: click → 50 rows", tries, lambda i: step, lambda i: None, page=page
    )


def back_to(page: Any, path: str, ready: str) -> None:
    """Back in the browser's history to the list at `path`, once it shows `ready` (a selector)."""
    page.go_back()
    page.wait_for_url(lambda url: urlsplit(url).path.rstrip("/") == path)
    page.locator(ready).first.wait_for()
    page.wait_for_load_state("networkidle")


def wait_connected(page: Any) -> None:
    """Until the page has sent its first websocket frame: hydrated, its event handlers attached."""
    try:
        page.wait_for_function("window.__bench.sends.length > 0", timeout=STEP_TIMEOUT_MS)
    except PlaywrightError as exc:
        raise BenchError(f"{page.url} opened no websocket to the app within {STEP_TIMEOUT_MS} ms") from exc


def sign_in(page: Any, base_url: str) -> None:
    page.goto(base_url + "/login")
    wait_connected(page)
    page.get_by_label("Email", exact=True).fill(DEMO_EMAIL)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    try:
        page.wait_for_url(lambda url: "/login" not in url, timeout=STEP_TIMEOUT_MS)
    except PlaywrightError as exc:
        raise BenchError(f"signing in as {DEMO_EMAIL} did not leave the sign-in page ({page.url})") from exc


def open_contacts(page: Any, base_url: str) -> None:
    page.goto(base_url + "/contacts")
    page.locator("tbody tr").first.wait_for()
    page.get_by_text("Page 1", exact=True).wait_for()
    page.wait_for_load_state("networkidle")


def contacts_next_page(page: Any, base_url: str, tries: int) -> Result:
    open_contacts(page, base_url)
    if page.get_by_role("button", name="Next").is_disabled():
        raise BenchError("contacts next page: the demo organization has a single page of contacts")
    step = Step(
        prepare='return { before: tbodyText(), button: button("Next") };',
        act="s.button.click();",
        done="return tbodyText() !== s.before && tbodyText() !== '';",
    )

    def back(_i: int) -> None:
        page.get_by_role("button", name="Previous").click()
        page.get_by_text("Page 1", exact=True).wait_for()
        page.wait_for_timeout(100)

    return run_interaction("contacts: next page", tries, lambda i: step, back, page=page)


def contacts_search(page: Any, base_url: str, tries: int) -> list[Result]:
    open_contacts(page, base_url)
    # Two different last names of the first page: each search shows other rows than the one before.
    names = page.locator("tbody tr td:nth-child(2) a").all_inner_texts()
    surnames = list(dict.fromkeys(name.split()[-1] for name in names if name.strip() and " " in name))
    if len(surnames) < 2:
        raise BenchError(f"contacts search: need two different last names on the first page, got {names[:5]}")
    queries = surnames[:2]
    step = Step(
        prepare="""
            const input = document.querySelector('input[aria-label="Search contacts"]');
            if (!input) return { error: "no search box" };
            return { before: tbodyText(), input, query: arg };
        """,
        act="""
            const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
            setter.call(s.input, s.query);
            s.input.dispatchEvent(new Event("input", { bubbles: true }));
        """,
        done="""
            const now = tbodyText();
            return now !== s.before && now !== "" && now.toLowerCase().includes(s.query.toLowerCase());
        """,
    )

    def make(i: int) -> Step:
        return Step(step.prepare, step.act, step.done, queries[i % 2])

    typed = run_interaction(
        "contacts: search (typing → rows)",
        tries,
        make,
        lambda i: page.wait_for_timeout(100),
        page=page,
        note=f"includes the search box's {SEARCH_DEBOUNCE_MS} ms debounce",
    )
    # The same tries from the moment the debounced event left the browser.
    sent = Result(
        "contacts: search (event sent → rows)",
        samples=[ms - s for ms, s in zip(typed.samples, typed.sent, strict=True)],
        long_tasks=typed.long_tasks,
        note="the row above less the debounce: from the first websocket send after typing",
    )
    # Leave the search empty for the next interaction.
    page.get_by_label("Search contacts").fill("")
    page.wait_for_timeout(SEARCH_DEBOUNCE_MS + 500)
    return [typed, sent]


def open_contact(page: Any, base_url: str, tries: int) -> Result:
    open_contacts(page, base_url)
    rows = page.locator("tbody tr")
    count = rows.count()
    step_prepare = """
        const row = document.querySelectorAll("tbody tr")[arg];
        if (!row) return { error: "no row " + arg };
        const link = row.querySelector("td:nth-child(2) a");
        return { link, name: text(link).trim(), phone: text(row.querySelector("td:nth-child(3)")).trim() };
    """
    done = """
        const fields = document.querySelector(".contact-fields");
        if (!loaded() || !fields || !document.querySelector(".timeline")) return false;
        return text(fields.querySelector("h2")).trim() === s.name && text(fields).includes(s.phone);
    """

    def back(_i: int) -> None:
        back_to(page, "/contacts", "tbody tr")

    return run_interaction(
        "open a contact (its page shows)",
        tries,
        lambda i: Step(step_prepare, "s.link.click();", done, i % count),
        back,
        page=page,
    )


def open_campaign(page: Any, base_url: str, tries: int) -> Result:
    page.goto(base_url + "/campaigns")
    links = page.locator("tbody tr td:first-child a[href^='/campaigns/']")
    links.first.wait_for()
    page.wait_for_load_state("networkidle")
    count = links.count()
    if count < 2:
        raise BenchError("open a campaign: the demo organization needs two campaigns or more")
    prepare = """
        const link = document.querySelectorAll("tbody tr td:first-child a[href^='/campaigns/']")[arg];
        if (!link) return { error: "no campaign link " + arg };
        return { link, name: text(link).trim() };
    """
    done = """
        if (!loaded() || !document.querySelector(".campaign-progress")) return false;
        return [...document.querySelectorAll("h2")].some((h) => h.textContent.trim() === s.name);
    """

    def back(_i: int) -> None:
        back_to(page, "/campaigns", "tbody tr td:first-child a[href^='/campaigns/']")

    return run_interaction(
        "open a campaign page",
        tries,
        lambda i: Step(prepare, "s.link.click();", done, i % count),
        back,
        page=page,
    )


def open_call(page: Any, base_url: str, tries: int) -> Result:
    page.goto(base_url + "/calls")
    rows = page.locator(".recent-calls .call-row")
    rows.first.wait_for()
    page.wait_for_load_state("networkidle")
    # The call page's heading: the contact, or the number when the call has none.
    headings = [
        (contact if contact.strip() != "Unknown" else number).strip()
        for contact, number in zip(
            rows.locator("td:nth-child(2)").all_inner_texts(),
            rows.locator("td:nth-child(3)").all_inner_texts(),
            strict=True,
        )
    ]
    # Consecutive tries open calls with different headings, so the page left behind never passes.
    order: list[int] = []
    for index, heading in enumerate(headings):
        if not order or headings[order[-1]] != heading:
            order.append(index)
    if len(order) < 2:
        raise BenchError("open a call: the demo organization's calls need two different contacts")
    if headings[order[0]] == headings[order[-1]]:
        order.pop()
    prepare = """
        const row = document.querySelectorAll(".recent-calls .call-row")[arg.index];
        if (!row) return { error: "no call row " + arg.index };
        return { link: row.querySelector("td:first-child a"), heading: arg.heading };
    """
    done = """
        const facts = document.querySelector(".call-facts");
        return loaded() && !!facts && text(facts.querySelector("h2")).trim() === s.heading;
    """

    def make(i: int) -> Step:
        index = order[i % len(order)]
        return Step(prepare, "s.link.click();", done, {"index": index, "heading": headings[index]})

    def back(_i: int) -> None:
        back_to(page, "/calls", ".recent-calls .call-row")

    return run_interaction("open a call", tries, make, back, page=page)


# --- the run ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def browser_page(playwright: Any, browser: Any, errors: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"uncaught exception: {exc}"))
    page.on(
        "console", lambda msg: errors.append(f"console error: {msg.text}") if msg.type == "error" else None
    )
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    try:
        yield page
    finally:
        context.close()


def print_table(results: list[Result], bare: Result, title: str) -> None:
    floor = bare.median
    header = (
        f"{'interaction':<40} {'median':>7} {'p95':>7} {'max':>7} {'med/bare':>9} {'p95/bare':>9} "
        f"{'long tasks/try':>15} {'long ms/try':>12} {'to ws send':>11}"
    )
    print()
    print(title)
    print(header)
    print("-" * len(header))
    for r in results:
        tasks = statistics.mean(len(t) for t in r.long_tasks) if r.long_tasks else 0.0
        task_ms = statistics.mean(sum(t) for t in r.long_tasks) if r.long_tasks else 0.0
        sent = f"{statistics.median(r.sent):.0f}" if r.sent else "-"
        print(
            f"{r.label:<40} {r.median:>7.0f} {r.p95:>7.0f} {max(r.samples):>7.0f} "
            f"{r.median / floor:>8.2f}× {r.p95 / floor:>8.2f}× {tasks:>15.2f} {task_ms:>12.0f} {sent:>11}"
        )
    print("(ms, click → DOM updated inside the page; long tasks: main-thread tasks > 50 ms from the click")
    print(f" until {LONG_TASK_TAIL_MS} ms after the DOM changed; to ws send: median ms from the click to the")
    print(" first websocket frame sent)")
    for r in results:
        if r.note:
            print(f" {r.label}: {r.note}")
    print()
    print(f"Goals (issue 20): each median ≤ {GOAL_MEDIAN}× the bare click's median, p95 ≤ {GOAL_P95}×")
    for r in results:
        if r is bare:
            continue
        median_ok = r.median <= GOAL_MEDIAN * floor
        p95_ok = r.p95 <= GOAL_P95 * floor
        print(
            f"  {r.label:<40} median {r.median / floor:5.2f}× {'met' if median_ok else 'NOT MET':<8} "
            f"p95 {r.p95 / floor:5.2f}× {'met' if p95_ok else 'NOT MET'}"
        )


def run(args: argparse.Namespace) -> int:
    if not Path(CHROMIUM).is_file():
        raise BenchError(f"{CHROMIUM} is missing: install Debian's chromium (`make chromium` does, as root)")
    if not BUN.is_file():
        raise BenchError(f"bun is missing at {BUN}: run `make setup`")
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    name = f"bench_ui_{uuid.uuid4().hex[:8]}"
    work = Path(tempfile.mkdtemp(prefix="reachimpact-bench-ui-"))
    errors: list[str] = []
    results: list[Result] = []
    with contextlib.ExitStack() as stack:
        if not args.keep:
            stack.callback(shutil.rmtree, work, ignore_errors=True)
        else:
            stack.callback(print, f"Kept the build directories under {work}")
        print(f"Creating the throw-away database {name} on {admin_url()}")
        url = create_database(name)

        def drop() -> None:
            drop_database(name)
            print(f"Dropped the database {name}")

        stack.callback(drop)
        migrate(url)

        project = work / "reachimpact"
        project.mkdir()
        copy_project(project)
        bare_dir = work / "bare"
        bare_dir.mkdir()
        write_bare_app(bare_dir)

        redis_url = stack.enter_context(redis_database()) if args.redis else None
        app_env = {"DATABASE_URL": url, "APP_ENV": "dev", "PYTHONPATH": str(project)}
        seed_demo(project, reflex_env(app_env))
        print("Seeded the demo organization")
        if args.contacts:
            print(f"Adding {args.contacts:,} contacts to the demo organization with one COPY...")
            seconds = add_contacts(url.replace("postgresql+psycopg://", "postgresql://"), args.contacts)
            print(f"  added in {seconds:.1f} s")

        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(browser.close)

        bare_server = Server("bare app", bare_dir, reflex_env({}))
        with serving(bare_server), browser_page(playwright, browser, errors) as page:
            bare = bare_click(page, bare_server.url, args.tries)
        results.append(bare)

        server = Server("ReachImpact", project, reflex_env({}))
        server.env.update(app_env)
        server.env.update(
            FRONTEND_PORT=str(server.port),
            PUBLIC_BASE_URL=server.url,
            SIMULATOR_DELIVERY_URL=server.url,
        )
        if redis_url:
            server.env["REDIS_URL"] = redis_url
        with serving(server), browser_page(playwright, browser, errors) as page:
            sign_in(page, server.url)
            print("[ReachImpact] signed in as the demo user")
            results.append(contacts_next_page(page, server.url, args.tries))
            results.extend(contacts_search(page, server.url, args.tries))
            results.append(open_contact(page, server.url, args.tries))
            results.append(open_campaign(page, server.url, args.tries))
            results.append(open_call(page, server.url, args.tries))

        contacts = f"demo organization{f' + {args.contacts:,} contacts' if args.contacts else ''}"
        manager = f"Redis state manager ({redis_url})" if redis_url else "memory state manager"
        print_table(
            results,
            bare,
            f"Production build, {manager}, {contacts}; {args.tries} tries each "
            f"(run took {time.monotonic() - started:.0f} s):",
        )
        if errors:
            print(f"\nThe browser reported {len(errors)} error(s) during the run; the first ones:")
            for line in errors[:10]:
                print("  " + textwrap.shorten(line, 200))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/ui.py",
        description="Click → DOM-updated times of ReachImpact's pages against a bare Reflex app (issue 20).",
    )
    parser.add_argument("--tries", type=int, default=20, help="timed tries per interaction (default 20)")
    parser.add_argument(
        "--contacts",
        type=int,
        default=0,
        help="add N synthetic contacts to the demo organization (about 200) before serving, e.g. 1000000",
    )
    parser.add_argument(
        "--redis",
        action="store_true",
        help="serve ReachImpact with REDIS_URL=redis://127.0.0.1:6379/<a free database> as its state manager",
    )
    parser.add_argument("--keep", action="store_true", help="keep the build directories (logs included)")
    return parser


def main() -> int:
    args = _parser().parse_args()
    if args.tries < 1 or args.contacts < 0:
        raise SystemExit("--tries must be at least 1 and --contacts at least 0")

    # `kill` (SIGTERM) cleans up like Ctrl-C: servers stopped, database dropped.
    def interrupted(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    try:
        return run(args)
    except BenchError as exc:
        print(f"\nbench/ui.py failed: {exc}", file=sys.stderr)
        return 1
    except PlaywrightError as exc:
        print(f"\nbench/ui.py failed: a browser step gave up: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench/ui.py interrupted; servers stopped and the database dropped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
