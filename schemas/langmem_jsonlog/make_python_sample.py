#!/usr/bin/env python3
"""Writes python_logging.sample.log with Python's own logging, the way the LangMem memory manager
logs: a RotatingFileHandler and a JSON formatter that keeps timestamp, level, logger, message,
module, function, line and exception, and drops `extra` fields. This one writes with
ensure_ascii=False, so the arrow of the deduplication message is raw UTF-8 (U+2192), not \\u2192.

    cd schemas/langmem_jsonlog && python3 make_python_sample.py python_logging.sample.log
"""
import datetime
import json
import logging
import logging.handlers
import os
import sys


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "timestamp": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "module": record.module,
            "function": record.funcName,
            "line": record.lineno,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def main(path):
    if os.path.exists(path):
        os.remove(path)  # with maxBytes set, the handler always appends
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=10 * 1024 * 1024,
                                                   backupCount=5, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    ttl = logging.getLogger("infrastructure.memory.langmem_ttl")
    dedup = logging.getLogger("infrastructure.memory.langmem_dedup")
    for log in (ttl, dedup):
        log.setLevel(logging.DEBUG)
        log.addHandler(handler)

    ttl.info("LangMemTTL initialized with default_ttl=%dh", 168)
    ttl.info("TTL cleanup complete: deleted %d entries from %d namespaces in %.2fs", 7, 3, 1.25)
    dedup.info("Deduplication complete: %d \u2192 %d (exact=%d, semantic=%d) in %.3fs", 50, 40, 6, 4, 0.2)
    dedup.debug("Near-duplicate (below threshold): similarity=%.3f", 0.812)
    try:
        raise RuntimeError("redis timeout")
    except RuntimeError:
        ttl.exception("Cleanup loop error: %s", "redis timeout")
    dedup.info("Deduplication complete: %d \u2192 %d (exact=%d, semantic=%d) in %.3fs", 0, 0, 0, 0, 0.001)
    handler.close()


if __name__ == "__main__":
    main(sys.argv[1])
