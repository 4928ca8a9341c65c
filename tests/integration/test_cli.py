"""The command line: --version, check-config, parse, clean shutdown, and promtool on real output."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BINARY, PLUGIN_DIR, SCHEMAS, SOURCE_DIR, parse_exposition, wait_for

TEST_PLUGIN_DIR = Path(BINARY).resolve().parent / "test_plugins"

# The catalogue's own counters without a _total suffix: the dashboards query these names, so
# promtool's naming lint may warn about them and nothing else.
CATALOGUE_COUNTERS_WITHOUT_TOTAL = {"osworld_tasks_failed", "langmem_dedup_exact_duplicates",
                                    "langmem_dedup_semantic_duplicates"}


def run(*args, cwd=None):
    return subprocess.run([BINARY, f"--plugin-dir={PLUGIN_DIR}", *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd)


def test_version_and_help():
    r = subprocess.run([BINARY, "--version"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and r.stdout.startswith("results_exporter 0.1.0")
    r = subprocess.run([BINARY, "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0
    for word in ("--config.file", "--web.listen-address", "--plugin-dir", "check-config", "parse"):
        assert word in r.stdout


def test_check_config(workdir):
    assert run("check-config", str(SOURCE_DIR / "config" / "results_exporter.yml")).returncode == 0
    bad = workdir / "bad.yml"
    bad.write_text("listen_address: 127.0.0.1:8002\nsources:\n  - name: x\n    path: ./a\n    plugn: auto\n")
    r = run("check-config", str(bad))
    assert r.returncode != 0
    assert f"{bad}:5:5: sources[0].plugn: unknown key" in r.stderr
    r = run("check-config", str(workdir / "missing.yml"))
    assert r.returncode != 0 and "cannot be read" in r.stderr


def test_parse_routes_each_file_to_its_plugin(workdir):
    shutil.copy(SCHEMAS / "osworld_detailed" / "sample.json", workdir / "a.json")
    shutil.copy(SCHEMAS / "osworld_tasks" / "sample.json", workdir / "b.json")
    r = run("parse", "--plugin", "auto", str(workdir))
    assert r.returncode == 0, r.stderr
    assert "a.json: parsed by osworld_detailed" in r.stderr
    assert "b.json: parsed by osworld_tasks" in r.stderr
    m = parse_exposition(r.stdout)
    assert m[("osworld_tasks_total", (("category", "file_operations"),))] == 2
    assert m[("osworld_tasks_total", (("category", "application_usage"),))] == 2
    assert not any(name.startswith("results_exporter_") for name, _ in m)


def test_parse_reports_failures_and_exits_non_zero(workdir):
    (workdir / "bad.json").write_text("{not json")
    r = run("parse", "--plugin", "osworld_detailed", str(workdir / "bad.json"))
    assert r.returncode == 1
    assert "bad.json: parse error" in r.stderr
    r = run("parse", "--plugin", "no_such_plugin", str(workdir / "bad.json"))
    assert r.returncode == 1 and "'no_such_plugin' is not loaded" in r.stderr


def test_a_bad_config_stops_the_server_with_the_reason(workdir):
    cfg = workdir / "c.yml"
    cfg.write_text("sources: 5\n")
    r = run(f"--config.file={cfg}")
    assert r.returncode == 1
    assert "sources: must be a list" in r.stderr


def test_an_address_in_use_is_a_clear_error(make_server, workdir):
    s = make_server().start()
    r = run(f"--web.listen-address=127.0.0.1:{s.port}", cwd=workdir)
    assert r.returncode == 1
    assert "cannot start" in r.stderr


def test_broken_plugins_are_refused_and_the_rest_serve(make_server, workdir):
    plugins = workdir / "plugins"
    plugins.mkdir()
    for so in Path(PLUGIN_DIR).glob("*.so"):
        shutil.copy(so, plugins)
    shutil.copy(TEST_PLUGIN_DIR / "bad_abi_major" / "test_plugin_bad_abi_major.so", plugins)
    (plugins / "empty.so").write_bytes(b"")
    (workdir / "benchmark_results").mkdir()
    shutil.copy(SCHEMAS / "osworld_tasks" / "sample.json", workdir / "benchmark_results" / "t.json")
    s = make_server(plugin_dir=str(plugins)).start()
    m = s.metrics()
    assert m[("osworld_tasks_total", (("category", "application_usage"),))] == 2
    refused = {dict(labels)["file"] for name, labels in m if name == "results_exporter_plugin_load_failures"}
    assert refused == {str(plugins / "empty.so"), str(plugins / "test_plugin_bad_abi_major.so")}
    failures = {f["file"]: f["error"] for f in s.status()["plugin_failures"]}
    assert "does not match the server's ABI" in failures[str(plugins / "test_plugin_bad_abi_major.so")]
    log = s.log_text()
    assert "test_plugin_bad_abi_major.so" in log and "plugin refused" in log


def test_sigterm_stops_cleanly(make_server):
    s = make_server().start()
    assert s.stop() == 0
    assert "stopped" in s.log_text()


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_exposition(make_server, workdir):
    (workdir / "benchmark_results").mkdir()
    shutil.copy(SCHEMAS / "osworld_detailed" / "sample.json", workdir / "benchmark_results" / "d.json")
    shutil.copy(SCHEMAS / "osworld_tasks" / "sample.json", workdir / "benchmark_results" / "t.json")
    (workdir / "benchmark_results" / "bad.json").write_text("{")
    s = make_server().start()
    wait_for(lambda: ("osworld_mock_vs_real", (("backend_type", "mock"),)) in s.metrics())
    body = s.get("/metrics")[2]
    r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
    problems = [line for line in (r.stdout + r.stderr).decode().splitlines() if line.strip()]
    unexpected = [p for p in problems if p.split(" ")[0] not in CATALOGUE_COUNTERS_WITHOUT_TOTAL]
    assert not unexpected, problems
    # It did read the input: the warnings it does give are about the catalogue's names.
    assert any(p.startswith("osworld_tasks_failed") for p in problems), problems
