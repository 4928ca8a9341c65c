"""Test reports that real tools write, generated here, through `results_exporter parse`.

A real pytest session (Debian's python3-pytest) writes --junitxml; the build's fixture GoogleTest
binary (tests/plugins/testreport/report_fixture_gtest.cpp) writes --gtest_output=xml and json. The
metrics must match the counts the tools print themselves. Then a folder of mixed reports goes
through `parse --plugin auto` and every file must land on its plugin.
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BINARY, PLUGIN_DIR, SCHEMAS, parse_exposition

PYTHON = "/usr/bin/python3"  # Debian's, which has pytest; the first python3 on PATH may not
FIXTURE_GTEST = Path(BINARY).resolve().parent / "tests" / "rex_report_fixture_gtest"

# A session with every outcome pytest knows. test_fail_then_teardown_error fails, then its
# teardown raises: pytest prints it as "1 failed" and "1 error"; the catalogue counts it once, as
# an error (as pytest-json-report does, and as pytest's own tests="..." attribute does).
PYTEST_SESSION = '''
import pytest

@pytest.fixture
def broken_setup():
    raise RuntimeError("setup fails on purpose")

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown fails on purpose")

def test_pass():
    assert True

def test_pass_too():
    assert 1 + 1 == 2

def test_fail():
    assert 1 == 2

def test_setup_error(broken_setup):
    pass

def test_fail_then_teardown_error(broken_teardown):
    assert False

@pytest.mark.skip(reason="skipped on purpose")
def test_skip():
    pass

def test_skip_inside():
    pytest.skip("skipped at run time")

@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False

@pytest.mark.xfail(reason="fixed already")
def test_xpass():
    assert True

@pytest.mark.xfail(strict=True, reason="strict")
def test_xpass_strict():
    assert True
'''
FAILED_THEN_TEARDOWN_ERROR = 1


def parse(*paths):
    r = subprocess.run([BINARY, f"--plugin-dir={PLUGIN_DIR}", "parse", "--plugin", "auto",
                        *map(str, paths)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r, parse_exposition(r.stdout)


def by_outcome(metrics, framework, family="testreport_tests_total"):
    """{outcome: value} summed over suites, for one framework."""
    out = {}
    for (name, labels), v in metrics.items():
        d = dict(labels)
        if name == family and d.get("framework") == framework:
            out[d["outcome"]] = out.get(d["outcome"], 0) + v
    return out


def run_pytest_session(folder):
    (folder / "session").mkdir()
    (folder / "session" / "test_fixture_session.py").write_text(PYTEST_SESSION)
    report = folder / "pytest-junit.xml"
    r = subprocess.run([PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--junitxml={report}",
                        "--rootdir", str(folder / "session"), str(folder / "session")],
                       capture_output=True, text=True, timeout=120, cwd=folder / "session")
    assert r.returncode == 1, r.stdout + r.stderr  # some tests fail on purpose
    # "3 failed, 2 passed, 2 skipped, 1 xfailed, 1 xpassed, 2 errors in 0.05s"
    last = [line for line in r.stdout.splitlines() if " in " in line and "passed" in line][-1]
    printed = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last.split(" in ")[0])}
    printed["error"] = printed.pop("errors", printed.pop("error", 0))
    return report, printed


def run_fixture_gtest(folder, kind):
    if not FIXTURE_GTEST.exists():
        pytest.fail(f"{FIXTURE_GTEST} is missing: build the rex_report_fixture_gtest target")
    report = folder / f"gtest.{kind}"
    r = subprocess.run([str(FIXTURE_GTEST), f"--gtest_output={kind}:{report}"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr  # some tests fail on purpose
    printed = {}
    for word, key in (("PASSED", "passed"), ("SKIPPED", "skipped"), ("FAILED", "failed")):
        m = re.search(rf"^\[ *{word} *\] (\d+) tests?[.,]", r.stdout, re.M)
        printed[key] = int(m.group(1)) if m else 0
    m = re.search(r"YOU HAVE (\d+) DISABLED TESTS?", r.stdout)
    printed["disabled"] = int(m.group(1)) if m else 0
    return report, printed


def test_a_real_pytest_session_writing_junit_xml(workdir):
    report, printed = run_pytest_session(workdir)
    assert printed == {"failed": 3, "passed": 2, "skipped": 2, "xfailed": 1, "xpassed": 1,
                       "error": 2}, printed
    r, m = parse(report)
    assert "parsed by junit_xml" in r.stderr and "skipped" not in r.stderr, r.stderr
    got = by_outcome(m, "pytest")
    assert got == {
        # --junitxml writes a non-strict xpass as a plain pass: it cannot say "xpassed".
        "passed": printed["passed"] + printed["xpassed"],
        "failed": printed["failed"] - FAILED_THEN_TEARDOWN_ERROR,
        "error": printed["error"],
        "skipped": printed["skipped"],
        "xfailed": printed["xfailed"],
    }, got
    assert by_outcome(m, "pytest", "testreport_run_tests") == got
    assert m[("testreport_runs_total", (("framework", "pytest"), ("result", "failed"), ("suite", "pytest")))] == 1
    assert m[("testreport_runs_total", (("framework", "pytest"), ("result", "passed"), ("suite", "pytest")))] == 0
    assert ("testreport_run_duration_seconds", (("framework", "pytest"), ("suite", "pytest"))) in m
    assert ("testreport_run_timestamp_seconds", (("framework", "pytest"), ("suite", "pytest"))) in m


@pytest.mark.parametrize("kind", ["xml", "json"])
def test_a_real_googletest_binary(workdir, kind):
    report, printed = run_fixture_gtest(workdir, kind)
    assert printed == {"passed": 4, "skipped": 1, "failed": 2, "disabled": 1}, printed
    r, m = parse(report)
    plugin = "junit_xml" if kind == "xml" else "gtest_json"
    assert f"parsed by {plugin}" in r.stderr and "skipped" not in r.stderr, r.stderr
    got = by_outcome(m, "googletest")
    # A disabled test is a skipped one in the catalogue; GoogleTest prints it on its own line.
    assert got == {"passed": printed["passed"], "failed": printed["failed"],
                   "skipped": printed["skipped"] + printed["disabled"]}, got
    # Per suite, as the test names say.
    def suite(name, outcome):
        return m[("testreport_tests_total",
                  (("framework", "googletest"), ("outcome", outcome), ("suite", name)))]
    assert suite("FixtureMath", "failed") == 1  # two failed assertions, one test
    assert suite("FixtureMath", "skipped") == 1  # DISABLED_NotReady
    assert suite("FixtureStrings", "skipped") == 1
    assert suite("FixtureSlow", "passed") == 1
    slow = m[("testreport_test_duration_seconds_sum",
              (("framework", "googletest"), ("outcome", "passed"), ("suite", "FixtureSlow")))]
    assert 0.025 <= slow < 10  # it sleeps 30 ms; GoogleTest rounds to milliseconds
    runs = {dict(k[1])["suite"]: v for k, v in m.items()
            if k[0] == "testreport_runs_total" and dict(k[1])["result"] == "failed"}
    assert runs == {"FixtureMath": 1, "FixtureStrings": 1, "FixtureSlow": 0}


def test_parse_auto_routes_a_folder_of_mixed_reports(workdir):
    reports = workdir / "reports"
    reports.mkdir()
    junit, _ = run_pytest_session(workdir)
    shutil.copy(junit, reports / "pytest-junit.xml")
    for kind in ("xml", "json"):
        path, _ = run_fixture_gtest(workdir, kind)
        shutil.copy(path, reports / f"gtest-report.{kind}")
    shutil.copy(SCHEMAS / "pytest_json" / "sample.json", reports / "report.json")
    shutil.copy(SCHEMAS / "pytest_json" / "pre_1_0.json", reports / "old-report.json")
    shutil.copy(SCHEMAS / "junit_xml" / "TEST-com.example.CalculatorTest.xml", reports)
    shutil.copy(SCHEMAS / "junit_xml" / "jest-junit.xml", reports / "junit.xml")
    shutil.copy(SCHEMAS / "gtest_json" / "sample.json", reports / "gtest-sample.json")
    shutil.copy(SCHEMAS / "osworld_detailed" / "sample.json", reports / "osworld_results_1.json")
    expected = {
        "pytest-junit.xml": "junit_xml",
        "gtest-report.xml": "junit_xml",
        "gtest-report.json": "gtest_json",
        "report.json": "pytest_json",
        "old-report.json": "pytest_json",
        "TEST-com.example.CalculatorTest.xml": "junit_xml",
        "junit.xml": "junit_xml",
        "gtest-sample.json": "gtest_json",
        "osworld_results_1.json": "osworld_detailed",
    }
    r, m = parse(reports)
    routed = dict(re.findall(r"^.*/([^/:]+): parsed by (\w+)", r.stderr, re.M))
    assert routed == expected, r.stderr

    # Counters add up over the reports: each framework's total is the sum of its files'.
    frameworks = {dict(k[1])["framework"] for k in m if k[0] == "testreport_tests_total"}
    assert frameworks == {"pytest", "googletest", "surefire", "jest"}
    total = sum(v for k, v in m.items() if k[0] == "testreport_tests_total")
    separately = 0
    for name in expected:
        if expected[name] != "osworld_detailed":
            _, one = parse(reports / name)
            separately += sum(v for k, v in one.items() if k[0] == "testreport_tests_total")
    assert total == separately
    # The other plugins' metrics are untouched by the test reports.
    assert m[("osworld_tasks_total", (("category", "terminal"),))] == 2


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_catalogue(workdir):
    reports = workdir / "reports"
    reports.mkdir()
    for name in ("sample.json", "summary_only.json"):
        shutil.copy(SCHEMAS / "pytest_json" / name, reports / f"pytest-{name}")
    for path in (SCHEMAS / "junit_xml").glob("*.xml"):
        shutil.copy(path, reports)
    shutil.copy(SCHEMAS / "gtest_json" / "sample.json", reports / "gtest.json")
    r, _ = parse(reports)
    check = subprocess.run(["promtool", "check", "metrics"], input=r.stdout.encode(),
                           capture_output=True, timeout=30)
    problems = [line for line in (check.stdout + check.stderr).decode().splitlines() if line.strip()]
    assert check.returncode == 0 and not problems, problems
