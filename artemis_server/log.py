"""One logging setup for the server: human text on a terminal, JSON lines otherwise (or as configured)."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any


class _JsonFormatter(logging.Formatter):
    _skip = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
        "message",
        "asctime",
        "color_message",  # uvicorn's ANSI-coloured copy of msg
    }

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k, v in record.__dict__.items():
            if k not in self._skip:
                doc[k] = v if isinstance(v, str | int | float | bool | None) else repr(v)
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


# Loggers that write one line per HTTP request: the node's own access log, and httpx/httpcore, which log every
# request this node sends (replicated heartbeats, peer health checks). Off below debug: a 3-node cluster's log
# would otherwise be mostly these lines.
REQUEST_LOGGERS = ("uvicorn.access", "httpx", "httpcore")


def verbose(level: str) -> bool:
    """Whether ``level`` asks for per-request logs (debug and trace)."""
    return level.lower() in ("debug", "trace")


def setup_logging(level: str = "info", fmt: str = "pretty") -> None:
    lvl = {"trace": "DEBUG", "warn": "WARNING"}.get(level.lower(), level.upper())
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-5s %(name)s: %(message)s"))
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(lvl)
    for name in REQUEST_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose(level) else logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
