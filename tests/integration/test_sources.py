"""Files dropped into a watched folder, through the real server, read back over HTTP."""
import json
import os
import shutil
import time

from conftest import SCHEMAS, data_metrics, wait_for, write_atomically

DETAILED = (SCHEMAS / "osworld_detailed" / "sample.json").read_text()
TASKS = (SCHEMAS / "osworld_tasks" / "sample.json").read_text()

TOTAL = "osworld_tasks_total"


def total(m, category):
    return m.get((TOTAL, (("category", category),)))


def self_metric(m, name, source="osworld", plugin=None):
    labels = (("plugin", plugin), ("source", source)) if plugin else (("source", source),)
    return m.get((name, labels))


def detailed_doc(n_ok, n_fail, category="c", timestamp=1761690105):
    entries = [{"task_id": f"t{i}", "category": category, "success": i < n_ok,
                "steps_taken": 3, "execution_time": 1.5} for i in range(n_ok + n_fail)]
    return json.dumps({"timestamp": timestamp, "detailed_results": entries}, indent=2)


def test_a_file_dropped_in_is_served(server, workdir):
    assert total(server.metrics(), "file_operations") is None  # absent, not 0, before any input
    write_atomically(workdir / "benchmark_results" / "osworld_results_1.json", DETAILED)
    m = wait_for(lambda: (lambda m: m if total(m, "file_operations") else None)(server.metrics()))
    assert total(m, "file_operations") == 2
    assert total(m, "terminal") == 2
    assert m[("osworld_tasks_failed", (("category", "terminal"), ("failure_reason", "error")))] == 1
    assert self_metric(m, "results_exporter_documents_total", plugin="osworld_detailed") == 1
    assert self_metric(m, "results_exporter_parse_errors_total", plugin="osworld_detailed") is None
    assert self_metric(m, "results_exporter_source_last_success_timestamp_seconds") > 1.7e9


def test_a_file_copied_in_place_is_parsed_once_complete(server, workdir):
    # cp-style: the file is created, written in pieces, then closed.
    path = workdir / "benchmark_results" / "run.json"
    text = detailed_doc(3, 1)
    with open(path, "w") as f:
        f.write(text[: len(text) // 2])
        f.flush()
        time.sleep(0.3)
        # Half a document is on disk: nothing of it may show, and it is not an error yet.
        m = server.metrics()
        assert total(m, "c") is None
        assert self_metric(m, "results_exporter_parse_errors_total", plugin="osworld_detailed") is None
        f.write(text[len(text) // 2:])
    wait_for(lambda: total(server.metrics(), "c") == 4, what="complete file parsed")
    m = server.metrics()
    assert self_metric(m, "results_exporter_parse_errors_total", plugin="osworld_detailed") is None


def test_rewrite_replaces_and_delete_removes(server, workdir):
    path = workdir / "benchmark_results" / "a.json"
    write_atomically(path, detailed_doc(2, 0))
    wait_for(lambda: total(server.metrics(), "c") == 2, what="first version")
    write_atomically(path, detailed_doc(5, 1))  # replaced through rename: a new inode
    wait_for(lambda: total(server.metrics(), "c") == 6, what="second version replaces the first")
    path.write_text(detailed_doc(1, 0))  # rewritten in place: same inode
    wait_for(lambda: total(server.metrics(), "c") == 1, what="in-place rewrite replaces")
    path.unlink()
    wait_for(lambda: total(server.metrics(), "c") is None, what="deleted document's series gone")
    m = server.metrics()
    assert self_metric(m, "results_exporter_documents_total", plugin="osworld_detailed") is None


def test_two_documents_sum_and_a_rename_does_not_double_count(server, workdir):
    d = workdir / "benchmark_results"
    write_atomically(d / "a.json", detailed_doc(2, 1))
    write_atomically(d / "b.json", detailed_doc(1, 0))
    wait_for(lambda: total(server.metrics(), "c") == 4, what="both documents")
    os.rename(d / "a.json", d / "renamed.json")
    time.sleep(0.3)
    m = server.metrics()
    assert total(m, "c") == 4
    assert self_metric(m, "results_exporter_documents_total", plugin="osworld_detailed") == 2
    files = {f["path"] for f in server.status()["sources"][0]["files"]}
    assert files == {"./benchmark_results/renamed.json", "./benchmark_results/b.json"}
    # Moved out of the watched folder: gone.
    os.rename(d / "renamed.json", workdir / "elsewhere.json")
    wait_for(lambda: total(server.metrics(), "c") == 1, what="moved-out document removed")


def test_a_broken_file_is_counted_and_explained_and_the_rest_keeps_working(server, workdir):
    d = workdir / "benchmark_results"
    write_atomically(d / "good.json", detailed_doc(1, 0))
    write_atomically(d / "broken.json", '{"detailed_results": [{"category": "c", "succ')
    write_atomically(d / "drifted.json", '{"results": []}')
    m = wait_for(lambda: (lambda m: m if total(m, "c") == 1 and self_metric(
        m, "results_exporter_parse_errors_total", plugin="none") == 1 else None)(server.metrics()),
        what="one good document, one parse error, one unrecognised")
    assert self_metric(m, "results_exporter_parse_errors_total", plugin="osworld_detailed") == 1
    files = {f["path"]: f for f in server.status()["sources"][0]["files"]}
    assert files["./benchmark_results/broken.json"]["status"] == "error"
    assert "parse error" in files["./benchmark_results/broken.json"]["error"]
    assert files["./benchmark_results/drifted.json"]["plugin"] == "none"
    assert "no plugin recognises" in files["./benchmark_results/drifted.json"]["error"]
    assert files["./benchmark_results/good.json"]["status"] == "ok"
    assert files["./benchmark_results/good.json"]["plugin"] == "osworld_detailed"
    assert "broken.json" in server.log_text()
    # Fixing the broken file makes it contribute.
    write_atomically(d / "broken.json", detailed_doc(2, 0))
    wait_for(lambda: total(server.metrics(), "c") == 3, what="fixed file contributes")


def test_skipped_entries_are_counted(server, workdir):
    doc = {"detailed_results": [{"category": "c", "success": True},
                                {"category": "c"},
                                {"category": "c", "success": "yes"}]}
    write_atomically(workdir / "benchmark_results" / "x.json", json.dumps(doc))
    m = wait_for(lambda: (lambda m: m if total(m, "c") else None)(server.metrics()))
    assert total(m, "c") == 1
    assert self_metric(m, "results_exporter_records_skipped_total", plugin="osworld_detailed") == 2


def test_restart_gives_the_same_numbers(make_server, workdir):
    d = workdir / "benchmark_results"
    d.mkdir()
    write_atomically(d / "osworld_results_1.json", DETAILED)
    write_atomically(d / "osworld_results_2.json", TASKS)
    write_atomically(d / "osworld_results_3.json", detailed_doc(4, 2, "terminal", 1761700000))
    s = make_server().start()
    first = data_metrics(s.metrics())
    assert total(first, "terminal") == 8
    assert s.stop() == 0
    # Touch nothing; start again: the same series with the same values.
    s2 = make_server().start()
    assert data_metrics(s2.metrics()) == first


def test_gauges_come_from_the_newest_document(server, workdir):
    d = workdir / "benchmark_results"
    write_atomically(d / "old.json", detailed_doc(1, 1, "c", timestamp=1000))  # 50%
    write_atomically(d / "new.json", detailed_doc(3, 1, "c", timestamp=2000))  # 75%
    rate = ("osworld_benchmark_success_rate", (("category", "c"),))
    wait_for(lambda: server.metrics().get(rate) == 75, what="newest document's rate")
    (d / "new.json").unlink()
    wait_for(lambda: server.metrics().get(rate) == 50, what="falls back to the remaining document")


def test_a_folder_created_after_start_is_watched(make_server, workdir):
    s = make_server().start()
    (workdir / "benchmark_results").mkdir()
    write_atomically(workdir / "benchmark_results" / "late.json", detailed_doc(2, 0))
    wait_for(lambda: total(s.metrics(), "c") == 2, timeout=10, what="file in a late folder")
    # The folder removed and made again: still watched.
    shutil.rmtree(workdir / "benchmark_results")
    wait_for(lambda: total(s.metrics(), "c") is None, timeout=10, what="removed folder's files gone")
    (workdir / "benchmark_results").mkdir()
    write_atomically(workdir / "benchmark_results" / "again.json", detailed_doc(3, 0))
    wait_for(lambda: total(s.metrics(), "c") == 3, timeout=10, what="file in the recreated folder")


def test_constant_labels_and_on_delete_keep(make_server, workdir):
    (workdir / "runs").mkdir()
    s = make_server("""
sources:
  - name: nightly
    path: ./runs/*.json
    plugin: osworld_detailed
    labels: {suite: nightly}
    on_delete: keep
""").start()
    write_atomically(workdir / "runs" / "r.json", detailed_doc(2, 0))
    key = (TOTAL, (("category", "c"), ("suite", "nightly")))
    wait_for(lambda: s.metrics().get(key) == 2, what="labelled series")
    (workdir / "runs" / "r.json").unlink()
    time.sleep(0.3)
    assert s.metrics().get(key) == 2  # kept: the user prunes files but keeps counts
    statuses = [f["status"] for f in s.status()["sources"][0]["files"]]
    assert statuses == ["deleted_kept"]


def test_freshness_file_to_metrics(server, workdir):
    """Not a timing assertion: a sanity bound far above the goal, so a lost event fails loudly."""
    d = workdir / "benchmark_results"
    latencies = []
    for i in range(20):
        start = time.monotonic()
        write_atomically(d / f"f{i}.json", detailed_doc(1, 0, f"fresh{i}"))
        wait_for(lambda: total(server.metrics(), f"fresh{i}") == 1, timeout=5, what=f"file {i}")
        latencies.append(time.monotonic() - start)
    assert len(latencies) == 20


def test_a_hard_link_into_the_folder_is_picked_up(server, workdir):
    src = workdir / "elsewhere.json"
    src.write_text(detailed_doc(2, 0))
    os.link(src, workdir / "benchmark_results" / "linked.json")  # one IN_CREATE, no write events
    wait_for(lambda: total(server.metrics(), "c") == 2, what="hard-linked file parsed")
