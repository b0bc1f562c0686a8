# syntax=docker/dockerfile:1
# Production image: one Reflex process serving the pages, the websocket and the API on port 8000.
# Fly.io runs the same image as the job worker and for the release command (see fly.toml).

# ---- builder: Python packages, bun, and a production build of the frontend -------------------------
FROM python:3.11-slim AS builder

# npm only fetches bun from the npm registry (a real binary); Reflex then builds with bun alone.
RUN apt-get update \
    && apt-get install -y --no-install-recommends npm \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONPATH=/app \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    REFLEX_BUN_PATH=/app/.tools/node_modules/bun/bin/bun.exe \
    REFLEX_DIR=/app/.tools/reflex \
    BUN_INSTALL_CACHE_DIR=/app/.tools/bun-cache \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false

RUN python -m venv /app/.venv
COPY requirements.txt ./
RUN pip install -r requirements.txt

# bunx is a hard link to the same 100 MB binary, which a copy between stages would duplicate.
RUN npm install --prefix /app/.tools --no-audit --no-fund bun@1.4.4 \
    && /app/.tools/node_modules/bun/bin/bun.exe --version \
    && rm /app/.tools/node_modules/bun/bin/bunx.exe /app/.tools/node_modules/.bin/bunx

COPY rxconfig.py alembic.ini ./
COPY reflex.lock/ reflex.lock/
COPY alembic/ alembic/
COPY assets/ assets/
COPY migration_tools/ migration_tools/
COPY reachimpact/ reachimpact/

# Installs the frontend packages (pinned by reflex.lock/) into .web/node_modules and proves the
# production build works. APP_ENV stays unset here: prod settings refuse to load without secrets.
RUN reflex export --frontend-only --no-zip --env prod \
    && rm -rf /app/.tools/bun-cache /app/.states

# ---- runtime -----------------------------------------------------------------------------------------
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 --user-group reachimpact

WORKDIR /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    APP_ENV=prod \
    REFLEX_BUN_PATH=/app/.tools/node_modules/bun/bin/bun.exe \
    REFLEX_DIR=/app/.tools/reflex \
    BUN_INSTALL_CACHE_DIR=/app/.tools/bun-cache \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false

# The app directory belongs to the app user: `reflex run --env prod` recompiles the pages into .web/ and
# rebuilds the static bundle at start (with bun and the node_modules from the builder, no network).
COPY --from=builder --chown=reachimpact:reachimpact /app /app

USER reachimpact
EXPOSE 8000

CMD ["reflex", "run", "--env", "prod", "--single-port", "--frontend-port", "8000", "--backend-host", "0.0.0.0"]
