# ReachImpact: `make run` serves the app, `make test` runs the whole suite. Both set everything up
# from a fresh clone: .venv from requirements*.txt, bun from the npm registry (Reflex builds its
# frontend with it), then the database schema. With no DATABASE_URL each process starts the embedded
# PostgreSQL under .data/ by itself (reachimpact/db.py), so nothing here deals with the database server.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Rewritten after each successful install, so editing a requirements file triggers a reinstall.
STAMP := $(VENV)/.requirements-installed

BUN_VERSION := 1.4.4
TOOLS := $(CURDIR)/.tools
BUN := $(TOOLS)/node_modules/bun/bin/bun.exe

FRONTEND_PORT ?= 3000
BACKEND_PORT ?= 8000
# The settings read it: the dev frontend's origin may call the backend (CORS, reachimpact/settings.py).
export FRONTEND_PORT
PYTEST_ARGS ?=

# Left alone, Reflex downloads bun with a script from the internet, checks PyPI for a newer Reflex and
# sends telemetry; point it at our bun and keep its caches inside the project instead.
export REFLEX_BUN_PATH := $(BUN)
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_DIR := $(TOOLS)/reflex
export BUN_INSTALL_CACHE_DIR := $(TOOLS)/bun-cache
# An explicit registry makes Reflex skip its probe of npm mirrors.
NPM_REGISTRY := $(shell npm config get registry 2>/dev/null)
ifneq ($(NPM_REGISTRY),)
export NPM_CONFIG_REGISTRY := $(NPM_REGISTRY)
endif
# The job worker imports reachimpact.jobs by name, so the project root must be importable.
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: help setup run serve test worker migrate seed seed-reset lint format bench chromium firebase-emulator clean

help:
	@echo "make run         set up, migrate, seed a demo account if the database is empty, then serve"
	@echo "                 the app on http://localhost:$(FRONTEND_PORT) (API on :$(BACKEND_PORT)) with the job worker"
	@echo "make serve       the same with the production build: pages, API and webhooks all on :$(FRONTEND_PORT)"
	@echo "make test        set up (chromium and the Firebase Auth emulator included), then ruff and the whole pytest suite"
	@echo "make worker      the job worker alone"
	@echo "make migrate     alembic upgrade head"
	@echo "make seed        seed the demo organization if the database has none (seed-reset: recreate it)"
	@echo "make lint        ruff check (format: ruff format + ruff check --fix)"
	@echo "make bench       run every bench/*.py"
	@echo "make firebase-emulator  install the Firebase Auth emulator for the migration tools' tests"
	@echo "make clean       remove Reflex's build output (.web, .states); keeps the database in .data/"

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "ReachImpact needs Python 3.11 or newer; run with PYTHON=/path/to/python3.11" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages into $(VENV) (about a minute the first time)..."
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(BUN):
	@command -v npm >/dev/null \
		|| { echo "npm not found: install Node.js 20+ with npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error bun@$(BUN_VERSION)
	@$(BUN) --version >/dev/null \
		|| { echo "bun did not install as $(BUN) (was its postinstall script blocked?)" >&2; exit 1; }

setup: $(STAMP) $(BUN)

FIREBASE_TOOLS_VERSION := 15.34.2
FIREBASE_CLI := $(TOOLS)/firebase/node_modules/.bin/firebase

# The Firebase Auth emulator (firebase-tools, about 300 MB, 2-4 minutes the first time) for the migration
# tools' live-export tests; `make test` installs it. The Firestore emulator comes with the Google Cloud
# SDK where it is installed. A failed download does not fail the suite: those tests then skip, saying so.
firebase-emulator: $(FIREBASE_CLI)

$(FIREBASE_CLI):
	@echo "Installing the Firebase Auth emulator into $(TOOLS)/firebase (a few minutes the first time)..."
	npm install --prefix $(TOOLS)/firebase --no-audit --no-fund --loglevel=error firebase-tools@$(FIREBASE_TOOLS_VERSION) \
		|| echo "firebase-tools could not be installed: the live-export tests will skip" >&2

# Debian's chromium for the Playwright tests (never `playwright install`: it downloads its own browser).
chromium:
	@if [ -x /usr/bin/chromium ]; then \
		:; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; \
	else \
		echo "warning: /usr/bin/chromium is missing and this is not root: install Debian's chromium" \
			"package (apt-get install chromium), or the browser tests will fail." >&2; \
	fi

migrate: setup
	$(BIN)/alembic upgrade head

seed: migrate
	$(BIN)/python -m reachimpact.seed --if-empty

seed-reset: migrate
	$(BIN)/python -m reachimpact.seed --reset

worker: migrate
	$(BIN)/procrastinate --app=reachimpact.jobs.app worker

# The worker runs in the background for as long as the app does, started again whenever it exits (after
# a database outage longer than it waits, say); the trap stops it when reflex exits
# (Ctrl-C included; a background job of a non-interactive shell ignores SIGINT, so it must be told).
# `run` and `serve` start it the same way, each followed by its reflex command.
define WITH_WORKER
( trap 'kill $$child 2>/dev/null; wait $$child 2>/dev/null; exit 0' TERM; \
  while true; do \
    $(BIN)/procrastinate --app=reachimpact.jobs.app worker & child=$$!; \
    wait $$child && status=0 || status=$$?; \
    echo "make $@: the job worker exited with status $$status (its last lines above say why);" \
      "starting it again in 2 s" >&2; \
    sleep 2; \
  done ) & worker=$$!; \
trap 'kill $$worker 2>/dev/null || true; wait $$worker 2>/dev/null || true' EXIT; \
trap 'exit 130' INT TERM;
endef

# The call simulator posts its callbacks straight to the backend (the dev frontend on :3000 does not
# pass /webhooks through).
run: export SIMULATOR_DELIVERY_URL ?= http://127.0.0.1:$(BACKEND_PORT)
run: seed
	@echo "make run: this is the development server (hot reload, 2-3x slower pages);" \
		"\`make serve\` serves the production build on http://localhost:$(FRONTEND_PORT)"
	@$(WITH_WORKER) \
	$(BIN)/reflex run --frontend-port $(FRONTEND_PORT) --backend-port $(BACKEND_PORT)

# The production build as the Dockerfile serves it, on this machine: one port (FRONTEND_PORT) serves the
# pages, the websocket, the API and the webhooks, so the simulator's callbacks go there too. Each start
# rebuilds the static bundle (a few seconds); the state stays in memory unless REDIS_URL is set.
serve: export SIMULATOR_DELIVERY_URL ?= http://127.0.0.1:$(FRONTEND_PORT)
serve: seed
	@$(WITH_WORKER) \
	$(BIN)/reflex run --env prod --single-port --frontend-port $(FRONTEND_PORT)

test: setup chromium firebase-emulator
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	@shopt -s nullglob; files=(bench/[!_]*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "No benchmarks in bench/ yet."; exit 0; fi; \
	for file in "$${files[@]}"; do echo "== $$file"; $(BIN)/python "$$file"; done

clean:
	rm -rf .web .states
