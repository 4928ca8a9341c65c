"""Faults: what the server does when the world under it misbehaves.

Each test injects one fault into a running server and checks three things: the server says what
went wrong (log and/or /api/v1/status, and a self-metric where one exists), it keeps answering,
and it keeps serving the last good state.
"""
import json
import os
import shutil
import signal
import stat
import threading
import time
from pathlib import Path

import pytest

import conftest
from conftest import PLUGIN_DIR, data_metrics, wait_for, write_atomically

TOTAL = "osworld_tasks_total"


def detailed_doc(n_ok, n_fail=0, category="c", timestamp=1761690105, pad=0):
    entries = [{"task_id": f"t{i}", "category": category, "success": i < n_ok,
                "steps_taken": 3, "execution_time": 1.5, "note": "x" * pad}
               for i in range(n_ok + n_fail)]
    return json.dumps({"timestamp": timestamp, "detailed_results": entries}, indent=1)


def total(m, category="c"):
    return m.get((TOTAL, (("category", category),)))


def parse_errors(m, source="osworld"):
    return sum(v for (name, labels), v in m.items()
               if name == "results_exporter_parse_errors_total" and ("source", source) in labels)


def documents(m, source="osworld"):
    return sum(v for (name, labels), v in m.items()
               if name == "results_exporter_documents_total" and ("source", source) in labels)


def file_errors(server, source="osworld"):
    src = next(s for s in server.status()["sources"] if s["name"] == source)
    return {Path(f["path"]).name: f.get("error") for f in src["files"]}, src


def healthy(server):
    return server.get("/-/healthy")[0] == 200 and server.get("/metrics")[0] == 200


def cfg(glob="./benchmark_results/*.json", name="osworld"):
    return f"sources:\n  - name: {name}\n    path: {glob}\n    plugin: auto\n"


# --- privileges -----------------------------------------------------------------------------------

def _without_dac_override(tmp):
    """A wrapper that runs the server without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH, so that even
    as root (CI) a chmod 000 file or folder really cannot be read. None when that is not possible."""
    setpriv = shutil.which("setpriv")
    if not setpriv:
        return None
    wrapper = Path(tmp) / "rex-no-dac.sh"
    wrapper.write_text("#!/bin/sh\nexec %s --inh-caps=-all --bounding-set=-dac_override,-dac_read_search"
                       " %s \"$@\"\n" % (setpriv, Path(conftest.BINARY).resolve()))
    wrapper.chmod(0o755)
    return str(wrapper)


@pytest.fixture
def unprivileged(monkeypatch, workdir):
    """Makes make_server start a server for which permission bits are enforced."""
    if os.geteuid() != 0:
        return
    wrapper = _without_dac_override(workdir)
    if not wrapper:
        pytest.skip("running as root and setpriv (util-linux) is missing: chmod 000 denies nothing")
    monkeypatch.setattr(conftest, "BINARY", wrapper)


# --- kill -9 ----------------------------------------------------------------------------------------

def test_kill_9_during_ingest_then_restart_gives_the_same_numbers(make_server, workdir):
    d = workdir / "benchmark_results"
    d.mkdir()
    n_files = 300
    for i in range(n_files):
        (d / f"r{i:04}.json").write_text(detailed_doc(i % 5 + 1, i % 3, category=f"c{i % 7}"))
    s = make_server(cfg())
    s.start(wait_ready=False)
    time.sleep(0.05)  # the initial scan is under way
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait(timeout=5)
    s.stop()

    # More files arrive while it is down, and another kill during the ingest of a burst.
    s.start()
    stop = threading.Event()

    def burst():
        for i in range(n_files, n_files + 200):
            if stop.is_set():
                return
            write_atomically(d / f"r{i:04}.json", detailed_doc(i % 5 + 1, i % 3, category=f"c{i % 7}"))
    t = threading.Thread(target=burst)
    t.start()
    time.sleep(0.1)
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait(timeout=5)
    t.join()
    s.stop()

    n = len(list(d.glob("*.json")))
    s.start()
    wait_for(lambda: documents(s.metrics()) == n, timeout=30, what="all documents after restart")
    after_restart = data_metrics(s.metrics())
    # The reference: a clean server that never crashed, on the same files.
    ref = make_server(cfg())
    ref.config_path = workdir / "ref.yml"
    ref.config_path.write_text(cfg())
    ref.log_path = workdir / "ref.log"
    ref.start()
    wait_for(lambda: documents(ref.metrics()) == n, timeout=30, what="reference server")
    assert after_restart == data_metrics(ref.metrics())
    expected = {}
    for i in range(n):
        expected[f"c{i % 7}"] = expected.get(f"c{i % 7}", 0) + (i % 5 + 1) + (i % 3)
    for cat, v in expected.items():
        assert total(after_restart, cat) == v


# --- a file truncated while it is read ------------------------------------------------------------

def test_a_file_truncated_while_read_is_never_half_applied(server, workdir):
    path = workdir / "benchmark_results" / "big.json"
    n = 20000
    full = detailed_doc(n, pad=200).encode()  # ~5 MB: long enough to be caught mid-read
    write_atomically(path, full.decode())
    wait_for(lambda: total(server.metrics()) == n, timeout=20, what="the big document")

    seen = set()
    stop = threading.Event()

    def scrape():
        while not stop.is_set():
            seen.add(total(server.metrics()))
    scraper = threading.Thread(target=scrape)
    scraper.start()
    try:
        for i in range(15):
            with open(path, "r+b") as f:  # in place: the same inode, caught while being read
                f.write(full)
                f.flush()
                time.sleep(0.02 * (i % 4))
                f.truncate(len(full) * (i % 5) // 5)
            time.sleep(0.05)
    finally:
        stop.set()
        scraper.join()
    assert server.proc.poll() is None, "the server died"
    assert seen <= {None, n}, f"a half-applied document was served: {seen}"
    # The file now ends truncated (a fifth of it, or empty): nothing of it is served once it settles.
    with open(path, "r+b") as f:
        f.truncate(len(full) // 2)
    wait_for(lambda: total(server.metrics()) is None, timeout=10, what="the truncated document dropped")
    wait_for(lambda: parse_errors(server.metrics()) >= 1, timeout=10, what="a parse error counted")
    errors, _ = file_errors(server)
    assert errors.get("big.json"), "no error in /api/v1/status for the truncated file"
    # And a good version is taken again.
    write_atomically(path, detailed_doc(3))
    wait_for(lambda: total(server.metrics()) == 3, what="a good version after the truncation")


# --- permission denied ----------------------------------------------------------------------------

def test_an_unreadable_result_file_is_an_error_and_the_rest_serves(unprivileged, make_server, workdir):
    d = workdir / "benchmark_results"
    d.mkdir()
    write_atomically(d / "good.json", detailed_doc(2))
    s = make_server(cfg()).start()
    assert total(s.metrics()) == 2
    bad = d / "secret.json"
    bad.write_text(detailed_doc(5))
    os.utime(bad, (time.time() - 10, time.time() - 10))  # not "still being written"
    bad.chmod(0)
    os.rename(bad, d / "locked.json")  # an event, as a real producer would make
    wait_for(lambda: parse_errors(s.metrics()) >= 1, timeout=10, what="parse_errors for an unreadable file")
    errors, src = file_errors(s)
    assert "Permission denied" in (errors.get("locked.json") or ""), errors
    assert "Permission denied" in (src.get("last_error") or ""), src
    assert "Permission denied" in s.log_text()
    assert total(s.metrics()) == 2 and healthy(s)
    # Readable again: picked up at the next event.
    (d / "locked.json").chmod(0o644)
    os.utime(d / "locked.json")
    wait_for(lambda: total(s.metrics()) == 7, timeout=10, what="the file once readable")


# --- a folder deleted and recreated ---------------------------------------------------------------

def test_a_watched_folder_deleted_and_recreated(server, workdir):
    d = workdir / "benchmark_results"
    write_atomically(d / "a.json", detailed_doc(2))
    wait_for(lambda: total(server.metrics()) == 2, timeout=15, what="first document")
    shutil.rmtree(d)
    wait_for(lambda: total(server.metrics()) is None, timeout=10, what="the folder's documents dropped")
    assert healthy(server)
    d.mkdir()
    write_atomically(d / "b.json", detailed_doc(4))
    wait_for(lambda: total(server.metrics()) == 4, timeout=10, what="a document in the recreated folder")
    # Twice, quickly, with the file written at once: no stale watch on the old inode.
    shutil.rmtree(d)
    d.mkdir()
    write_atomically(d / "c.json", detailed_doc(1))
    wait_for(lambda: total(server.metrics()) == 1, timeout=10, what="after a quick delete/recreate")
    assert documents(server.metrics()) == 1


# --- symlink loops ----------------------------------------------------------------------------------

def test_symlink_loops_in_the_watched_folder(make_server, workdir):
    root = workdir / "results"
    (root / "r1").mkdir(parents=True)
    write_atomically(root / "r1" / "a.json", detailed_doc(2))
    os.symlink("self.json", root / "r1" / "self.json")            # ELOOP on open/stat
    os.symlink("pong.json", root / "r1" / "ping.json")            # a two-link loop
    os.symlink("ping.json", root / "r1" / "pong.json")
    os.symlink("r1", root / "alias")                              # the same files by another path
    os.symlink("loopdir", root / "loopdir")                       # a folder that loops onto itself
    os.symlink(".", root / "r1" / "dot")                          # a folder inside itself
    s = make_server(cfg("./results/*/*.json")).start()
    m = s.metrics()
    assert total(m) == 2, "a.json seen through r1/ and alias/ is one document (same device:inode)"
    assert documents(m) == 1
    write_atomically(root / "r1" / "b.json", detailed_doc(3))
    wait_for(lambda: total(s.metrics()) == 5, timeout=10, what="a new file beside the loops")
    assert s.request("POST", "/-/reload")[0] == 200  # a full re-scan walks the loops again
    assert total(s.metrics()) == 5 and healthy(s)


# --- the plugin folder -------------------------------------------------------------------------------

def _own_plugins(workdir):
    p = workdir / "plugins"
    p.mkdir()
    for so in Path(PLUGIN_DIR).glob("osworld_*.so"):
        shutil.copy(so, p)
    return p


def _plugin_dir_failure(s, plugins):
    return [f for f in s.status().get("plugin_failures", []) if f["file"] == str(plugins)]


def test_the_plugin_folder_removed_keeps_the_loaded_plugins(make_server, workdir):
    plugins = _own_plugins(workdir)
    (workdir / "benchmark_results").mkdir()
    write_atomically(workdir / "benchmark_results" / "a.json", detailed_doc(2))
    s = make_server(cfg(), plugin_dir=str(plugins)).start()
    assert total(s.metrics()) == 2
    shutil.rmtree(plugins)
    s.proc.send_signal(signal.SIGHUP)  # a reload re-scans the plugin folder too
    wait_for(lambda: _plugin_dir_failure(s, plugins), timeout=10, what="the plugin folder error in status")
    assert "cannot read plugin directory" in _plugin_dir_failure(s, plugins)[0]["error"]
    assert "keeping the loaded plugins" in s.log_text()
    m = s.metrics()
    assert total(m) == 2 and healthy(s)
    assert m[("results_exporter_plugin_info", (("abi", "1.0"), ("plugin", "osworld_detailed"),
                                              ("version", _version(m, "osworld_detailed"))))] == 1
    # New documents are still parsed by the loaded plugins.
    write_atomically(workdir / "benchmark_results" / "b.json", detailed_doc(3))
    wait_for(lambda: total(s.metrics()) == 5, timeout=10, what="a new document without a plugin folder")
    # The folder comes back: the failure clears.
    _own_plugins(workdir)
    s.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: not _plugin_dir_failure(s, plugins), timeout=10, what="the failure cleared")
    assert total(s.metrics()) == 5


def _version(m, plugin):
    for (name, labels), _ in m.items():
        d = dict(labels)
        if name == "results_exporter_plugin_info" and d.get("plugin") == plugin:
            return d["version"]
    return None


def test_the_plugin_folder_made_unreadable_keeps_the_loaded_plugins(unprivileged, make_server, workdir):
    plugins = _own_plugins(workdir)
    (workdir / "benchmark_results").mkdir()
    write_atomically(workdir / "benchmark_results" / "a.json", detailed_doc(2))
    s = make_server(cfg(), plugin_dir=str(plugins)).start()
    assert total(s.metrics()) == 2
    plugins.chmod(0)
    try:
        s.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: _plugin_dir_failure(s, plugins), timeout=10, what="the plugin folder error")
        assert "Permission denied" in _plugin_dir_failure(s, plugins)[0]["error"]
        assert total(s.metrics()) == 2 and healthy(s)
    finally:
        plugins.chmod(0o755)


# --- the config file replaced by garbage ---------------------------------------------------------

@pytest.mark.parametrize("garbage", [
    # yaml-cpp's message quotes the raw byte 0xff: /api/v1/status must still be valid JSON.
    pytest.param(b"\x00\xff\xfe garbage \x01\x02", id="binary"),
    pytest.param(b"sources: [ {name: x, path: ", id="unterminated"),
    pytest.param(b"{{{{{{{{{{{{{{{{{{{{{{{{{{{{", id="braces"),
    pytest.param(b"- just\n- a\n- list\n", id="list"),
    pytest.param(b"", id="empty"),
])
def test_a_config_replaced_by_garbage_keeps_the_old_one(server, workdir, garbage):
    write_atomically(workdir / "benchmark_results" / "a.json", detailed_doc(2))
    wait_for(lambda: total(server.metrics()) == 2, timeout=15, what="first document")
    reload_ok = ("results_exporter_config_last_reload_successful", ())
    assert server.metrics()[reload_ok] == 1
    tmp = server.config_path.with_name(".garbage")
    tmp.write_bytes(garbage)
    os.replace(tmp, server.config_path)  # a file-change reload, no request
    wait_for(lambda: server.metrics()[reload_ok] == 0, timeout=10, what="reload_successful 0")
    assert server.status()["config"]["last_reload_error"]
    assert "config reload failed" in server.log_text()
    assert total(server.metrics()) == 2 and healthy(server)
    # The old config's sources are still watched.
    write_atomically(workdir / "benchmark_results" / "b.json", detailed_doc(3))
    wait_for(lambda: total(server.metrics()) == 5, what="old config still in force")
