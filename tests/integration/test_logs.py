"""Log tailing through the real server: appends, partial lines, rotation, copytruncate, restart.

The `test_lines` plugin (tests/plugins/test_line_plugin.cpp) counts lines `n=<int>`, so the totals
can be checked exactly against what the test wrote.
"""
import logging
import logging.handlers
import os
import shutil
import time
from pathlib import Path

import pytest

from conftest import BINARY, wait_for

TEST_LINES_SO = Path(BINARY).resolve().parent / "test_plugins" / "lines" / "test_lines.so"

LINES = ("test_lines_total", ())
VALUES = ("test_line_values_total", ())
SKIPPED = ("results_exporter_records_skipped_total", (("plugin", "test_lines"), ("source", "logs")))


def config(glob="x.log*"):
    return f"""
sources:
  - name: logs
    path: ./logs/{glob}
    plugin: test_lines
"""


@pytest.fixture
def plugins(workdir):
    d = workdir / "plugins"
    d.mkdir()
    shutil.copy(TEST_LINES_SO, d)
    return str(d)


@pytest.fixture
def logs(workdir):
    d = workdir / "logs"
    d.mkdir()
    return d


def totals(server):
    m = server.metrics()
    return m.get(LINES), m.get(VALUES)


def wait_totals(server, lines, values, timeout=10):
    wait_for(lambda: totals(server) == (lines, values), timeout=timeout,
             what=f"totals {lines} lines, {values} values (now {totals(server)})")


def rotating_logger(path, max_bytes, backups):
    logger = logging.getLogger(f"rex-test-{path}")
    logger.handlers.clear()
    logger.propagate = False
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, handler


def test_appended_lines_are_counted_and_a_partial_line_waits(make_server, plugins, logs):
    s = make_server(config(), plugin_dir=plugins).start()
    with open(logs / "x.log", "a") as f:
        f.write("n=1\n")
        f.flush()
        wait_totals(s, 1, 1)
        f.write("n=2\r\nnoise that is not a record\nn=")  # CRLF, an ignored line, a partial line
        f.flush()
        wait_totals(s, 2, 3)
        time.sleep(0.2)
        assert totals(s) == (2, 3)  # "n=" is held until its line is complete
        f.write("40\n")
        f.flush()
        wait_totals(s, 3, 43)
        f.write("n=oops\n")  # looks like a record, is not: skipped and counted
        f.flush()
        wait_for(lambda: s.metrics().get(SKIPPED) == 1, what="malformed line counted")
    assert totals(s) == (3, 43)
    files = s.status()["sources"][0]["files"]
    assert files[0]["plugin"] == "test_lines" and files[0]["lines"] == 5


def test_an_overlong_line_is_skipped_and_the_stream_resyncs(make_server, plugins, logs):
    s = make_server(config(), plugin_dir=plugins).start()
    with open(logs / "x.log", "a") as f:
        f.write("n=1\n")
        f.write("n=" + "9" * (3 << 20) + "\n")  # 3 MiB: over the 1 MiB line limit
        f.write("n=2\n")
    wait_totals(s, 2, 3)
    assert s.metrics().get(SKIPPED) == 1


def write_with_rotations(logger, handler, first, count, rotations_wanted, logs):
    """Logs n=first..first+count-1 and returns how many rotations happened."""
    for i in range(first, first + count):
        logger.info("n=%d", i)
        if i % 25 == 0:
            time.sleep(0.01)  # let the server see the file grow between rotations
    return len(list(logs.glob("x.log.*")))


def test_rotating_file_handler_with_a_restart_in_the_middle(make_server, plugins, logs):
    s = make_server(config("x.log*"), plugin_dir=plugins).start()
    logger, handler = rotating_logger(logs / "x.log", max_bytes=100, backups=50)
    try:
        write_with_rotations(logger, handler, 1, 150, 3, logs)
        wait_totals(s, 150, sum(range(1, 151)))
        assert len(list(logs.glob("x.log.*"))) >= 3
        s.stop()
        write_with_rotations(logger, handler, 151, 100, 0, logs)  # written while it is down
        s2 = make_server(config("x.log*"), plugin_dir=plugins).start()
        write_with_rotations(logger, handler, 251, 150, 0, logs)
        wait_totals(s2, 400, sum(range(1, 401)))
        assert len(list(logs.glob("x.log.*"))) >= 8
    finally:
        handler.close()
    time.sleep(0.2)
    assert totals(s2) == (400, sum(range(1, 401)))


def test_rotated_files_outside_the_glob_are_read_to_their_end(make_server, plugins, logs):
    """The lines written just before a rotation are read through the open descriptor, even when
    the rotated file no longer matches the glob, and even when it is deleted soon after."""
    s = make_server(config("x.log"), plugin_dir=plugins).start()
    logger, handler = rotating_logger(logs / "x.log", max_bytes=0, backups=1)
    n = 0
    try:
        for rotation in range(4):
            for _ in range(20):
                n += 1
                logger.info("n=%d", n)
            wait_totals(s, n, n * (n + 1) // 2)  # the server follows this x.log now
            for _ in range(20):
                n += 1
                logger.info("n=%d", n)
            handler.doRollover()  # x.log -> x.log.1 (out of the glob); the old x.log.1 is deleted
        for _ in range(10):
            n += 1
            logger.info("n=%d", n)
    finally:
        handler.close()
    wait_totals(s, n, n * (n + 1) // 2)


def test_a_deleted_backup_keeps_its_contribution(make_server, plugins, logs):
    s = make_server(config(), plugin_dir=plugins).start()
    (logs / "x.log.1").write_text("n=5\nn=6\n")
    (logs / "x.log").write_text("n=1\n")
    wait_totals(s, 3, 12)
    (logs / "x.log.1").unlink()  # a backup falling off the end of the rotation
    time.sleep(0.2)
    assert totals(s) == (3, 12)


def test_copytruncate_neither_loses_nor_double_counts(make_server, plugins, logs):
    s = make_server(config(), plugin_dir=plugins).start()
    path = logs / "x.log"
    n = 0
    with open(path, "a") as f:
        for rotation in range(3):
            for _ in range(40):
                n += 1
                f.write(f"n={n}\n")
                f.flush()
            wait_totals(s, n, n * (n + 1) // 2)
            # logrotate's copytruncate: copy, then truncate the file the writer keeps open.
            shutil.copyfile(path, logs / f"x.log.{rotation + 1}")
            with open(path, "r+") as t:
                t.truncate(0)
            f.seek(0)
        for _ in range(10):
            n += 1
            f.write(f"n={n}\n")
        f.flush()
    wait_totals(s, n, n * (n + 1) // 2)
    time.sleep(0.3)
    assert totals(s) == (n, n * (n + 1) // 2)
    # And after a restart: every visible file read once, the same totals.
    s.stop()
    s2 = make_server(config(), plugin_dir=plugins).start()
    wait_totals(s2, n, n * (n + 1) // 2)


def test_a_log_that_appears_later_and_grows_in_bursts(make_server, plugins, logs):
    s = make_server(config(), plugin_dir=plugins).start()
    expected = 0
    with open(logs / "x.log", "a") as f:
        for burst in range(5):
            for i in range(200):
                f.write(f"n={i}\n")
            f.flush()
            expected += sum(range(200))
            wait_totals(s, 200 * (burst + 1), expected)


# The same guarantees with the real LangMem plugin and real JSON lines, as the memory manager's
# RotatingFileHandler writes them.
LANGMEM_CONFIG = """
sources:
  - name: langmem
    path: ./logs/infrastructure_memory_langmem_ttl.log*
    plugin: auto
"""
CLEANUPS = ("langmem_ttl_cleanups_total", ())
DELETED = ("langmem_ttl_deleted_total", ())


class JsonLines(logging.Formatter):
    def format(self, record):
        import json
        return json.dumps({"timestamp": "2025-10-28T23:41:01.377040+00:00",
                           "level": record.levelname, "logger": record.name,
                           "message": record.getMessage(), "module": record.module,
                           "function": record.funcName, "line": record.lineno})


def langmem_totals(server):
    m = server.metrics()
    return m.get(CLEANUPS), m.get(DELETED)


def wait_langmem(server, cleanups, deleted, timeout=10):
    wait_for(lambda: langmem_totals(server) == (cleanups, deleted), timeout=timeout,
             what=f"{cleanups} cleanups, {deleted} deleted (now {langmem_totals(server)})")


def test_langmem_json_lines_through_rotations_and_a_restart(make_server, logs):
    path = logs / "infrastructure_memory_langmem_ttl.log"
    logger = logging.getLogger("infrastructure.memory.langmem_ttl.rotation-test")
    logger.handlers.clear()
    logger.propagate = False
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2000, backupCount=50)
    handler.setFormatter(JsonLines())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def write(first, count):
        for i in range(first, first + count):
            logger.info("TTL cleanup complete: deleted %d entries from 2 namespaces in 0.01s", i)
            logger.info("Background TTL cleanup started (interval=3600s)")  # no figures

    s = make_server(LANGMEM_CONFIG).start()
    try:
        write(1, 60)
        wait_langmem(s, 60, sum(range(1, 61)))
        s.stop()
        write(61, 40)  # while it is down
        s2 = make_server(LANGMEM_CONFIG).start()
        write(101, 60)
        wait_langmem(s2, 160, sum(range(1, 161)))
    finally:
        handler.close()
    assert len(list(logs.glob("infrastructure_memory_langmem_ttl.log.*"))) >= 3


def test_langmem_json_lines_through_copytruncate(make_server, logs):
    path = logs / "infrastructure_memory_langmem_ttl.log"
    s = make_server(LANGMEM_CONFIG).start()
    line = ('{"timestamp": "2025-10-28T23:41:01.377040+00:00", "level": "INFO", '
            '"logger": "infrastructure.memory.langmem_ttl", "message": '
            '"TTL cleanup complete: deleted %d entries from 4 namespaces in 0.37s"}\n')
    n = deleted = 0
    with open(path, "a") as f:
        for rotation in range(3):
            for _ in range(25):
                n += 1
                deleted += n
                f.write(line % n)
            f.flush()
            wait_langmem(s, n, deleted)
            shutil.copyfile(path, logs / f"infrastructure_memory_langmem_ttl.log.{rotation + 1}")
            with open(path, "r+") as t:
                t.truncate(0)
            f.seek(0)
        n += 1
        deleted += n
        f.write(line % n)
    wait_langmem(s, n, deleted)
    s.stop()
    s2 = make_server(LANGMEM_CONFIG).start()
    wait_langmem(s2, n, deleted)
