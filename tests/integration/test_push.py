"""Push ingestion: POST /api/v1/push/{plugin}?id=…, durable in the spool, idempotent, retractable."""
import json
import signal

from conftest import SCHEMAS, wait_for

DETAILED = (SCHEMAS / "osworld_detailed" / "sample.json").read_bytes()
TASKS = (SCHEMAS / "osworld_tasks" / "sample.json").read_bytes()

PUSH_CONFIG = """
push:
  spool_dir: ./spool
  max_body_bytes: 64KiB
sources: []
"""


def total(m, category):
    return m.get(("osworld_tasks_total", (("category", category),)))


def push(s, body, plugin="auto", doc_id="run-1", headers=None, method="POST"):
    target = f"/api/v1/push/{plugin}" + (f"?id={doc_id}" if doc_id is not None else "")
    status, _, reply = s.request(method, target, body=body, headers=headers or {})
    return status, (json.loads(reply) if reply.startswith(b"{") else reply)


def test_push_is_served_and_a_repeat_replaces(make_server):
    s = make_server(PUSH_CONFIG).start()
    status, reply = push(s, DETAILED)
    assert status == 201, reply
    assert reply["plugin"] == "osworld_detailed" and reply["id"] == "run-1"
    m = s.metrics()
    assert total(m, "file_operations") == 2
    assert m[("results_exporter_documents_total", (("plugin", "osworld_detailed"), ("source", "push")))] == 1
    # The same id again: replaces, never double counts.
    status, reply = push(s, DETAILED)
    assert status == 200 and "replaced" in reply["message"]
    assert total(s.metrics(), "file_operations") == 2
    # Another id adds up; the id can come in a header too.
    status, _ = push(s, DETAILED, doc_id=None, headers={"X-Document-Id": "run-2"})
    assert status == 201
    assert total(s.metrics(), "file_operations") == 4
    # The same id with another shape: the earlier document is replaced, not kept beside it.
    status, reply = push(s, TASKS, plugin="osworld_tasks", doc_id="run-2")
    assert status == 200, reply
    m = s.metrics()
    assert total(m, "file_operations") == 2 and total(m, "application_usage") == 2
    ids = {d["id"]: d["plugin"] for d in s.status()["push"]["documents"]}
    assert ids == {"run-1": "osworld_detailed", "run-2": "osworld_tasks"}


def test_a_push_survives_kill_9(make_server, workdir):
    s = make_server(PUSH_CONFIG).start()
    assert push(s, DETAILED)[0] == 201
    s.proc.send_signal(signal.SIGKILL)  # no chance to flush anything after the 2xx
    s.proc.wait(timeout=10)
    s2 = make_server(PUSH_CONFIG).start()
    assert total(s2.metrics(), "file_operations") == 2
    assert [d["id"] for d in s2.status()["push"]["documents"]] == ["run-1"]


def test_retraction(make_server):
    s = make_server(PUSH_CONFIG).start()
    assert push(s, DETAILED)[0] == 201
    status, reply = push(s, b"", doc_id="run-1", method="DELETE")
    assert status == 200, reply
    assert total(s.metrics(), "file_operations") is None
    assert push(s, b"", doc_id="run-1", method="DELETE")[0] == 404
    # Gone after a restart as well.
    s.stop()
    s2 = make_server(PUSH_CONFIG).start()
    assert total(s2.metrics(), "file_operations") is None


def test_bad_pushes_get_a_4xx_with_the_reason_and_change_nothing(make_server, workdir):
    s = make_server(PUSH_CONFIG).start()
    status, reply = push(s, b"this is no result document")
    assert status == 422 and "no plugin recognises" in reply["error"]
    status, reply = push(s, b'{"detailed_results": [', plugin="osworld_detailed")
    assert status == 422 and "parse error" in reply["error"]
    status, reply = push(s, DETAILED, plugin="nope")
    assert status == 404 and "'nope' is not loaded" in reply["error"]
    status, reply = push(s, DETAILED, doc_id="../../etc/passwd")
    assert status == 400
    status, reply = push(s, DETAILED, doc_id=None)
    assert status == 400 and "document id is required" in reply["error"]
    status, _ = push(s, b"x" * (100 * 1024))  # over max_body_bytes: 64KiB
    assert status == 413
    assert s.request("GET", "/api/v1/push/auto?id=x")[0] == 405
    assert total(s.metrics(), "file_operations") is None
    assert not list((workdir / "spool").rglob("*"))  or all(p.is_dir() for p in (workdir / "spool").rglob("*"))
    m = s.metrics()
    assert m[("results_exporter_push_requests_total", (("result", "rejected"),))] >= 5


def test_push_is_off_without_a_push_section(make_server):
    s = make_server("sources: []\n").start()
    status, _ = push(s, DETAILED)
    assert status == 404


def test_bearer_token_guards_push_and_reload(make_server, workdir):
    (workdir / "token").write_text("s3cret\n")
    s = make_server(PUSH_CONFIG + "auth_token_file: ./token\n").start()
    assert push(s, DETAILED)[0] == 401
    assert push(s, DETAILED, headers={"Authorization": "Bearer wrong"})[0] == 401
    assert push(s, DETAILED, headers={"Authorization": "Bearer s3cret"})[0] == 201
    assert s.request("POST", "/-/reload")[0] == 401
    assert s.request("POST", "/-/reload", headers={"Authorization": "Bearer s3cret"})[0] == 200
    # Reading stays open: Prometheus scrapes without a token.
    assert s.get("/metrics")[0] == 200


def test_spooled_documents_are_replayed_with_their_plugin(make_server, workdir):
    s = make_server(PUSH_CONFIG).start()
    assert push(s, TASKS, plugin="osworld_tasks", doc_id="a")[0] == 201
    assert (workdir / "spool" / "osworld_tasks" / "a").read_bytes() == TASKS
    s.stop()
    s2 = make_server(PUSH_CONFIG).start()
    assert total(s2.metrics(), "application_usage") == 2
