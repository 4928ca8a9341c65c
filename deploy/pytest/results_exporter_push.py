"""pytest plugin: push this session's JUnit XML report to results_exporter when the session ends.

For CI runners and containers that cannot share a folder with the server. Enable it with
`-p results_exporter_push` (this file on PYTHONPATH, or copied into the project as a plugin) and
give the server's address:

    pytest --junitxml=report.xml -p results_exporter_push \
        --results-exporter-url=http://exporter:8002 --results-exporter-id=$CI_JOB_ID

or set RESULTS_EXPORTER_URL / RESULTS_EXPORTER_ID / RESULTS_EXPORTER_TOKEN in the environment.
The document id names the run: pushing the same id again replaces that run's report (a retried
job does not count twice). Without --junitxml the plugin writes its own report to a temporary file.
A failed push is reported as a warning; it never changes the session's exit status.

Standard library only: it runs in whatever interpreter runs the tests.
"""
import os
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("results_exporter", "push the report to results_exporter")
    group.addoption("--results-exporter-url", default=os.environ.get("RESULTS_EXPORTER_URL"),
                    help="results_exporter base URL, e.g. http://127.0.0.1:8002")
    group.addoption("--results-exporter-id", default=os.environ.get("RESULTS_EXPORTER_ID"),
                    help="document id of this run (default: CI job id, else host-time)")
    group.addoption("--results-exporter-timeout", type=float, default=10.0,
                    help="seconds to wait for the server")


def _default_id():
    for var in ("CI_JOB_ID", "GITHUB_RUN_ID", "BUILD_TAG", "BUILD_ID"):
        if os.environ.get(var):
            return f"{var.lower()}-{os.environ[var]}"
    return f"{socket.gethostname()}-{int(time.time())}"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    url = config.getoption("--results-exporter-url")
    if not url or getattr(config.option, "xmlpath", None):
        return
    # No --junitxml: have the junitxml plugin write one for us (it reads config.option.xmlpath).
    fd, path = tempfile.mkstemp(prefix="pytest-report-", suffix=".xml")
    os.close(fd)
    config.option.xmlpath = path
    config._results_exporter_tmp_report = path


def pytest_unconfigure(config):
    # After pytest_sessionfinish: the junitxml plugin has written the report by now.
    url = config.getoption("--results-exporter-url")
    path = getattr(config.option, "xmlpath", None)
    if not url or not path:
        return
    doc_id = config.getoption("--results-exporter-id") or _default_id()
    target = (url.rstrip("/") + "/api/v1/push/junit_xml?id=" + urllib.parse.quote(doc_id, safe=""))
    headers = {"Content-Type": "application/xml"}
    token = os.environ.get("RESULTS_EXPORTER_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    try:
        with open(path, "rb") as f:
            body = f.read()
        req = urllib.request.Request(target, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=config.getoption("--results-exporter-timeout")) as r:
            message = f"results_exporter: pushed report as {doc_id!r} ({r.status})"
    except urllib.error.HTTPError as e:
        message = f"results_exporter: push refused ({e.code}): {e.read().decode(errors='replace')}"
    except OSError as e:
        message = f"results_exporter: push failed: {e}"
    finally:
        tmp = getattr(config, "_results_exporter_tmp_report", None)
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
    if reporter:
        reporter.write_line(message)
