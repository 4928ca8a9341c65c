"""From a real pytest session to PromQL: the session writes OSWorld results and LangMem logs into
the watched folders and pushes its own JUnit report through deploy/pytest; a real Prometheus
scrapes results_exporter; the numbers come back out of Prometheus's query API."""
import re
import subprocess
import textwrap

import pytest

from conftest import SOURCE_DIR, wait_for
from test_deploy import Prometheus

EXPORTER_CONFIG = """
push:
  spool_dir: ./spool
sources:
  - name: osworld
    path: ./benchmark_results/*.json
    plugin: auto
  - name: langmem
    path: ./logs/infrastructure_memory_langmem_*.log*
    plugin: auto
"""

# The project under test: its tests write the results, like a benchmark harness would.
PROJECT_TESTS = '''
import json, logging, logging.handlers, os, time
from pathlib import Path
import pytest

ROOT = Path(os.environ["E2E_ROOT"])

class JsonFormatter(logging.Formatter):
    def format(self, r):
        return json.dumps({"timestamp": "2025-10-28T23:41:01.377040+00:00", "level": r.levelname,
                           "logger": r.name, "message": r.getMessage(), "module": r.module,
                           "function": r.funcName, "line": r.lineno})

def test_osworld_run_writes_results():
    tasks = [{"task_id": f"t{i}", "category": "terminal", "success": i != 2,
              "steps_taken": 3, "execution_time": 1.5} for i in range(5)]
    doc = {"timestamp": int(time.time()), "detailed_results": tasks}
    tmp = ROOT / "benchmark_results" / ".tmp"
    tmp.write_text(json.dumps(doc, indent=2))
    os.replace(tmp, ROOT / "benchmark_results" / "osworld_results_1.json")

def test_langmem_ttl_logs():
    handler = logging.handlers.RotatingFileHandler(
        ROOT / "logs" / "infrastructure_memory_langmem_ttl.log", maxBytes=10 << 20, backupCount=5)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("infrastructure.memory.langmem_ttl")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.info("TTL cleanup complete: deleted 12 entries from 4 namespaces in 0.37s")
    log.info("TTL cleanup complete: deleted 30 entries from 4 namespaces in 0.20s")
    log.error("TTL cleanup failed: connection reset by peer")
    handler.close()

def test_passes():
    assert 1 + 1 == 2

def test_fails():
    assert 1 + 1 == 3

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

@pytest.mark.xfail(reason="known bug")
def test_known_bug():
    assert False
'''


@pytest.fixture
def stack(make_server, workdir):
    for d in ("benchmark_results", "logs", "project"):
        (workdir / d).mkdir()
    exporter = make_server(EXPORTER_CONFIG).start()
    prom_dir = workdir / "prometheus"
    prom_dir.mkdir()
    prom = Prometheus(prom_dir, {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{"job_name": "results_exporter",
                            "static_configs": [{"targets": [f"127.0.0.1:{exporter.port}"]}]}],
    }).start()
    yield exporter, prom
    prom.stop()


def test_pytest_session_to_promql(stack, workdir):
    exporter, prom = stack
    (workdir / "project" / "test_bench.py").write_text(textwrap.dedent(PROJECT_TESTS))
    env = {"PATH": "/usr/bin:/bin", "E2E_ROOT": str(workdir),
           "PYTHONPATH": str(SOURCE_DIR / "deploy" / "pytest")}
    r = subprocess.run(
        ["/usr/bin/python3", "-m", "pytest", "-p", "no:cacheprovider", "-p", "results_exporter_push",
         f"--results-exporter-url=http://127.0.0.1:{exporter.port}", "--results-exporter-id=e2e-run",
         "-rA", "test_bench.py"],
        cwd=workdir / "project", env=env, capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out  # test_fails fails, as planned
    assert "results_exporter: pushed report as 'e2e-run' (201)" in out, out
    summary = re.search(r"=+ (.*) in [\d.]+s", out).group(1)
    printed = {w: int(n) for n, w in re.findall(r"(\d+) (\w+)", summary)}
    assert printed == {"failed": 1, "passed": 3, "skipped": 1, "xfailed": 1}, summary

    def q(expr):
        return prom.value(expr)

    # Prometheus has scraped what the session produced.
    wait_for(lambda: q('sum(testreport_tests_total{framework="pytest"})') == 6, timeout=30,
             what="the pushed report in Prometheus")
    for outcome, n in printed.items():
        assert q(f'sum(testreport_tests_total{{framework="pytest",outcome="{outcome}"}})') == n, outcome
    assert q('sum(testreport_runs_total{result="failed"})') == 1
    wait_for(lambda: q('osworld_tasks_total{category="terminal"}') == 5, timeout=30, what="osworld")
    assert q('osworld_tasks_failed{category="terminal",failure_reason="failed"}') == 1
    assert q('osworld_benchmark_success_rate{category="terminal"}') == 80
    wait_for(lambda: q("langmem_ttl_deleted_total") == 42, timeout=30, what="langmem")
    assert q("langmem_ttl_cleanups_total") == 2
    assert q('langmem_errors_total{operation="ttl_cleanup"}') == 1
    assert q('results_exporter_documents_total{source="push",plugin="junit_xml"}') == 1
    assert q('up{job="results_exporter"}') == 1
