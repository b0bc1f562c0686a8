"""Log lines: JSON in prod with the request id, readable in dev."""

from __future__ import annotations

import io
import json
import logging

from reachimpact.logging_setup import DEV_FORMAT, JsonFormatter, configure_logging, request_id_var
from reachimpact.settings import Settings


def emit(formatter: logging.Formatter, *, exc: bool = False) -> str:
    configure_logging(Settings(_env_file=None, app_env="test"))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("tests.logging")
    logger.addHandler(handler)
    token = request_id_var.set("req-42-abcdef")
    try:
        if exc:
            try:
                raise ValueError("boom")
            except ValueError:
                logger.exception("import failed", extra={"job_id": "j1"})
        else:
            logger.warning("calls paused for %s", "campaign 7")
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)
    return stream.getvalue()


def test_prod_lines_are_json_with_request_id_and_extras() -> None:
    entry = json.loads(emit(JsonFormatter(), exc=True))
    assert entry["level"] == "ERROR"
    assert entry["msg"] == "import failed"
    assert entry["request_id"] == "req-42-abcdef"
    assert entry["job_id"] == "j1"
    assert "ValueError: boom" in entry["exc"]


def test_dev_lines_are_readable_with_request_id() -> None:
    line = emit(logging.Formatter(DEV_FORMAT))
    assert "WARNING" in line and "[req-42-abcdef]" in line and "calls paused for campaign 7" in line
