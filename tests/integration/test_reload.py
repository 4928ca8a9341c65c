"""Hot reload: the config by all three triggers, a bad config, diff-apply; plugin hot swap."""
import json
import os
import shutil
import signal
import time
from pathlib import Path

from conftest import BINARY, PLUGIN_DIR, wait_for, write_atomically

TEST_PLUGINS = Path(BINARY).resolve().parent / "test_plugins"


def detailed_doc(n, category="c"):
    return json.dumps({"timestamp": 1761690105, "detailed_results": [
        {"task_id": f"t{i}", "category": category, "success": True} for i in range(n)]})


def cfg(*sources):
    text = "sources:\n"
    for name, glob in sources:
        text += f"  - name: {name}\n    path: {glob}\n    plugin: auto\n"
    return text


def total(m, category):
    return m.get(("osworld_tasks_total", (("category", category),)))


def reload_ok(m):
    return m.get(("results_exporter_config_last_reload_successful", ()))


def write_config(server, text):
    write_atomically(server.config_path, text)


def setup_dirs(workdir):
    for d in ("a", "b"):
        (workdir / d).mkdir()
    write_atomically(workdir / "a" / "1.json", detailed_doc(2, "a"))
    write_atomically(workdir / "b" / "1.json", detailed_doc(3, "b"))


def test_post_reload_applies_a_new_config_as_a_diff(make_server, workdir):
    setup_dirs(workdir)
    s = make_server(cfg(("a", "./a/*.json"))).start()
    assert total(s.metrics(), "a") == 2 and total(s.metrics(), "b") is None
    before = s.status()["sources"][0]["files"][0]["last_parse"]
    (workdir / "c.yml").write_text(cfg(("a", "./a/*.json"), ("b", "./b/*.json")))
    shutil.copy(workdir / "c.yml", s.config_path)  # in place, like an editor without rename
    status, _, body = s.request("POST", "/-/reload")
    assert status == 200, body
    m = s.metrics()
    assert total(m, "a") == 2 and total(m, "b") == 3
    # The unchanged source was not parsed again.
    assert s.status()["sources"][0]["files"][0]["last_parse"] == before
    # Removing a source takes its series away.
    write_config(s, cfg(("b", "./b/*.json")))
    assert s.request("POST", "/-/reload")[0] == 200
    m = s.metrics()
    assert total(m, "a") is None and total(m, "b") == 3
    assert ("results_exporter_documents_total", (("plugin", "osworld_detailed"), ("source", "a"))) not in m


def test_a_bad_config_leaves_the_old_one_in_force_and_says_why(make_server, workdir):
    setup_dirs(workdir)
    s = make_server(cfg(("a", "./a/*.json"))).start()
    assert reload_ok(s.metrics()) == 1
    s.config_path.write_text("sources:\n  - name: a\n    pth: ./b/*.json\n")
    status, _, body = s.request("POST", "/-/reload")
    assert status == 500
    assert b"sources[0].pth: unknown key" in body
    m = s.metrics()
    assert reload_ok(m) == 0
    assert total(m, "a") == 2  # still serving the old config
    assert "unknown key" in s.status()["config"]["last_reload_error"]
    assert "config reload failed" in s.log_text()
    write_config(s, cfg(("a", "./a/*.json")))
    wait_for(lambda: reload_ok(s.metrics()) == 1, what="good config after a bad one")


def test_sighup_reloads(make_server, workdir):
    setup_dirs(workdir)
    s = make_server(cfg(("a", "./a/*.json"))).start()
    s.config_path.write_text(cfg(("b", "./b/*.json")))  # no rename, no close event race: SIGHUP
    s.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: total(s.metrics(), "b") == 3, what="SIGHUP reload")
    assert total(s.metrics(), "a") is None


def test_a_change_to_the_config_file_reloads(make_server, workdir):
    setup_dirs(workdir)
    s = make_server(cfg(("a", "./a/*.json"))).start()
    t0 = s.metrics()[("results_exporter_config_last_reload_success_timestamp_seconds", ())]
    write_config(s, cfg(("a", "./a/*.json"), ("b", "./b/*.json")))  # saved through a rename
    wait_for(lambda: total(s.metrics(), "b") == 3, what="file-change reload")
    assert s.metrics()[("results_exporter_config_last_reload_success_timestamp_seconds", ())] > t0


def test_a_changed_source_is_rebuilt(make_server, workdir):
    setup_dirs(workdir)
    s = make_server(cfg(("a", "./a/*.json"))).start()
    s.config_path.write_text(cfg(("a", "./b/*.json")))
    assert s.request("POST", "/-/reload")[0] == 200
    m = s.metrics()
    assert total(m, "a") is None and total(m, "b") == 3


def test_get_reload_is_405(server):
    status, headers, _ = server.request("GET", "/-/reload")
    assert status == 405 and "POST" in headers["Allow"]


def plugin_dir_with_v1(workdir):
    d = workdir / "plugins"
    d.mkdir()
    for so in Path(PLUGIN_DIR).glob("osworld_*.so"):
        shutil.copy(so, d)
    return d


def install_plugin(src, dest):
    """How a careful deploy replaces a plugin: copy beside it, rename over it."""
    tmp = dest.with_name("." + dest.name + ".tmp")
    shutil.copy(src, tmp)
    os.replace(tmp, dest)


def test_a_plugin_replaced_on_disk_is_swapped_and_its_documents_re_derived(make_server, workdir):
    plugins = plugin_dir_with_v1(workdir)
    (workdir / "t").mkdir()
    (workdir / "t" / "x.test").write_text("TEST 5\n")
    s = make_server(cfg(("t", "./t/*.test")), plugin_dir=str(plugins)).start()
    no_plugin = ("results_exporter_parse_errors_total", (("plugin", "none"), ("source", "t")))
    wait_for(lambda: s.metrics().get(no_plugin) == 1, what="no plugin for it yet: an error")
    assert ("test_value", ()) not in s.metrics()
    install_plugin(TEST_PLUGINS / "good" / "test_plugin_good.so", plugins / "test_plugin.so")
    wait_for(lambda: s.metrics().get(("test_value", ())) == 5, what="a new plugin claims the file")
    # Version 2 of the plugin emits double values.
    install_plugin(TEST_PLUGINS / "v2" / "test_plugin_v2.so", plugins / "test_plugin.so")
    wait_for(lambda: s.metrics().get(("test_value", ())) == 10, what="v2 re-derived the document")
    m = s.metrics()
    assert m[("results_exporter_plugin_reloads_total", (("plugin", "test_plugin"), ("result", "success")))] == 2
    assert m[("results_exporter_plugin_info", (("abi", "1.0"), ("plugin", "test_plugin"), ("version", "2.0.0")))] == 1


def test_a_broken_new_version_leaves_the_old_one_serving(make_server, workdir):
    plugins = plugin_dir_with_v1(workdir)
    install_plugin(TEST_PLUGINS / "good" / "test_plugin_good.so", plugins / "test_plugin.so")
    (workdir / "t").mkdir()
    (workdir / "t" / "x.test").write_text("TEST 5\n")
    s = make_server(cfg(("t", "./t/*.test")), plugin_dir=str(plugins)).start()
    assert s.metrics()[("test_value", ())] == 5
    failures = ("results_exporter_plugin_reloads_total", (("plugin", "test_plugin"), ("result", "failure")))
    # A wrong ABI: refused at load.
    install_plugin(TEST_PLUGINS / "bad_abi_major" / "test_plugin_bad_abi_major.so", plugins / "test_plugin.so")
    wait_for(lambda: s.metrics().get(failures) == 1, what="wrong-ABI version refused")
    assert s.metrics()[("test_value", ())] == 5
    # Loads, but fails on the documents the old version parsed: refused too.
    install_plugin(TEST_PLUGINS / "bad_family" / "test_plugin_bad_family.so", plugins / "test_plugin.so")
    wait_for(lambda: s.metrics().get(failures) == 2, what="failing version refused")
    assert s.metrics()[("test_value", ())] == 5
    errors = {f["file"]: f["error"] for f in s.status()["plugin_failures"]}
    assert "fails on" in errors[str(plugins / "test_plugin.so")]
    # And the old version still parses new files.
    (workdir / "t" / "y.test").write_text("TEST 7\n")
    wait_for(lambda: s.metrics().get(("test_documents_total", ())) == 2, what="old version serving")


def test_a_removed_plugin_takes_its_documents_away(make_server, workdir):
    plugins = plugin_dir_with_v1(workdir)
    install_plugin(TEST_PLUGINS / "good" / "test_plugin_good.so", plugins / "test_plugin.so")
    (workdir / "t").mkdir()
    (workdir / "t" / "x.test").write_text("TEST 5\n")
    s = make_server(cfg(("t", "./t/*.test")), plugin_dir=str(plugins)).start()
    assert s.metrics()[("test_value", ())] == 5
    (plugins / "test_plugin.so").unlink()
    wait_for(lambda: ("test_value", ()) not in s.metrics(), what="documents of a removed plugin")
