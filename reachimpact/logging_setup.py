"""Structured logging: JSON lines in prod, readable lines in dev, a request id on every record.

The request id lives in a context variable: set by the API middleware for each request, and by a job
from the id of the request that queued it, so one id follows the work across processes.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

from reachimpact.settings import Settings, get_settings

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else was passed through `extra=` and is worth keeping.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "request_id"}


def _record_with_request_id(*args: object, **kwargs: object) -> logging.LogRecord:
    record = _base_record_factory(*args, **kwargs)
    record.request_id = request_id_var.get() or "-"
    return record


_base_record_factory = logging.getLogRecordFactory()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


DEV_FORMAT = "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"


def configure_logging(settings: Settings | None = None) -> None:
    """Install our handler on the root logger (idempotent)."""
    settings = settings or get_settings()
    # Stamped when the record is made (in the request's context), so every handler sees the id.
    logging.setLogRecordFactory(_record_with_request_id)
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_reachimpact", False):
            return
    handler = logging.StreamHandler(sys.stderr)
    handler._reachimpact = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if settings.app_env == "prod" else logging.Formatter(DEV_FORMAT))
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
