"""Log set-up: JSON lines that parse, and the request id of the request on every line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from idp_bridge.config.logging_model import LoggingConfig
from idp_bridge.observability import request_context
from idp_bridge.observability.log_setup import configure_logging
from idp_bridge.observability.request_context import RequestContext


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_parse_and_carry_the_request_id(restore_root: None) -> None:
    out = io.StringIO()
    configure_logging(LoggingConfig(format="json", level="info"), stream=out)
    token = request_context.enter(RequestContext("req-123", "192.0.2.1", "ua"))
    try:
        logging.getLogger("idp_bridge.test").info('a "quoted"\nmessage')
        logging.getLogger("idp_bridge.access").info("GET /x 200", extra={"fields": {"status": 200}})
    finally:
        request_context.leave(token)
    logging.getLogger("idp_bridge.test").warning("outside")
    logging.getLogger("idp_bridge.test").debug("below the level")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["request_id"], r["message"], r["level"]) for r in lines] == [
        ("req-123", 'a "quoted"\nmessage', "info"), ("req-123", "GET /x 200", "info"), ("-", "outside", "warning"),
    ]
    assert lines[1]["status"] == 200


def test_text_lines_carry_the_request_id(restore_root: None) -> None:
    out = io.StringIO()
    configure_logging(LoggingConfig(format="text"), stream=out)
    token = request_context.enter(RequestContext("req-9", None, None))
    try:
        logging.getLogger("uvicorn.error").info("from uvicorn")
    finally:
        request_context.leave(token)
    assert "INFO uvicorn.error [req-9]: from uvicorn" in out.getvalue()
