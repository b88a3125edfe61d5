"""The server's log: uvicorn's lines and Candor's own, as text or as JSON lines (setting ``log_format``).

A JSON line is one object: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, and the structured
``fields`` a caller passed (``extra={"fields": {...}}``), such as a refused publication's ``reason`` and
``developer``. Callers put only what may be public in a log: never a token, a document's text or anything from a
sealed original (tests/services/test_canary.py searches the log for them).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

#: The record attribute that carries a line's structured fields.
FIELDS = "fields"


class JsonLinesFormatter(logging.Formatter):
    """One JSON object a line, so that a log collector needs no pattern to parse it."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            line.update({key: value for key, value in fields.items() if key not in line})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


#: Paths of the confidential channel: no access log line ever names a client that asked for one of them.
PRIVATE_PATHS = ("/report", "/api/v1/reports")


class PrivatePathFilter(logging.Filter):
    """Drops uvicorn's access lines for the confidential channel, which would pair an address with a report."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        path = args[2] if isinstance(args, tuple) and len(args) > 2 else ""
        return not (isinstance(path, str) and path.startswith(PRIVATE_PATHS))


def logging_config(log_format: Literal["text", "json"]) -> dict[str, Any]:
    """uvicorn's ``log_config``: its own loggers as it sets them up, plus Candor's at INFO, in ``log_format``."""
    if log_format == "json":
        formatters: dict[str, Any] = {
            "default": {"()": f"{__name__}.JsonLinesFormatter"},
            "access": {"()": f"{__name__}.JsonLinesFormatter"},
            "candor": {"()": f"{__name__}.JsonLinesFormatter"},
        }
    else:
        formatters = {
            "default": {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(message)s"},
            # Candor's lines name their logger (candor.publications, candor.services.audit...), uvicorn's do not.
            "candor": {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(name)s: %(message)s"},
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
            },
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatters,
        "filters": {"private_paths": {"()": f"{__name__}.PrivatePathFilter"}},
        "handlers": {
            "default": {"formatter": "default", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
            "access": {
                "formatter": "access",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "filters": ["private_paths"],
            },
            "candor": {"formatter": "candor", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "candor": {"handlers": ["candor"], "level": "INFO", "propagate": False},
        },
    }
