"""Scrapes never fail or tear while configs reload and plugins swap (run under TSan in CI).

One thread scrapes in a loop; others reload the config and swap a plugin back and forth, for a
bounded time. Every answer must be 200 and every exposition must parse and be consistent.
"""
import http.client
import json
import os
import shutil
import threading
import time
from pathlib import Path

from conftest import BINARY, PLUGIN_DIR, parse_exposition, wait_for, write_atomically

TEST_PLUGINS = Path(BINARY).resolve().parent / "test_plugins"
DURATION = float(os.environ.get("REX_CONCURRENCY_SECONDS", "6"))


def config(with_b):
    text = """
scan_interval: 200ms
sources:
  - name: a
    path: ./a/*.json
    plugin: auto
  - name: t
    path: ./t/*.test
    plugin: auto
"""
    if with_b:
        text += "  - name: b\n    path: ./b/*.json\n    plugin: auto\n"
    return text


def install(src, dest):
    tmp = dest.with_name("." + dest.name + ".tmp")
    shutil.copy(src, tmp)
    os.replace(tmp, dest)


def test_scrapes_during_reloads_and_plugin_swaps(make_server, workdir):
    plugins = workdir / "plugins"
    plugins.mkdir()
    for so in Path(PLUGIN_DIR).glob("osworld_*.so"):
        shutil.copy(so, plugins)
    install(TEST_PLUGINS / "good" / "test_plugin_good.so", plugins / "test_plugin.so")
    for d, n in (("a", 4), ("b", 3)):
        (workdir / d).mkdir()
        (workdir / d / "r.json").write_text(json.dumps({"detailed_results": [
            {"category": d, "success": i % 2 == 0} for i in range(n)]}))
    (workdir / "t").mkdir()
    (workdir / "t" / "x.test").write_text("TEST 5\n")
    s = make_server(config(False), plugin_dir=str(plugins)).start()
    wait_for(lambda: s.metrics().get(("test_value", ())) == 5)

    stop = threading.Event()
    failures, scrapes, reloads, swaps = [], [0], [0], [0]

    def scraper():
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        while not stop.is_set():
            try:
                conn.request("GET", "/metrics")
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200:
                    failures.append(f"status {resp.status}")
                    continue
                m = parse_exposition(body.decode())
                # Whole documents only: the a-source document is there with all its series.
                a_total = m.get(("osworld_tasks_total", (("category", "a"),)))
                a_failed = m.get(("osworld_tasks_failed", (("category", "a"), ("failure_reason", "failed"))))
                if (a_total, a_failed) != (4, 2):
                    failures.append(f"source a torn: {a_total} {a_failed}")
                if m.get(("test_value", ())) not in (5, 10):
                    failures.append(f"test_value {m.get(('test_value', ()))}")
                b_total = m.get(("osworld_tasks_total", (("category", "b"),)))
                if b_total not in (None, 3):
                    failures.append(f"source b torn: {b_total}")
                scrapes[0] += 1
            except Exception as e:  # noqa: BLE001 - any failure is a finding
                failures.append(repr(e))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        conn.close()

    def reloader():
        with_b = False
        while not stop.is_set():
            with_b = not with_b
            write_atomically(s.config_path, config(with_b))
            status, _, body = s.request("POST", "/-/reload")
            if status != 200:
                failures.append(f"reload {status} {body!r}")
            reloads[0] += 1
            time.sleep(0.02)

    def swapper():
        v = 0
        while not stop.is_set():
            v = 1 - v
            src = TEST_PLUGINS / ("v2/test_plugin_v2.so" if v else "good/test_plugin_good.so")
            install(src, plugins / "test_plugin.so")
            swaps[0] += 1
            time.sleep(0.1)

    threads = [threading.Thread(target=f) for f in (scraper, scraper, reloader, swapper)]
    for t in threads:
        t.start()
    time.sleep(DURATION)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert not failures, failures[:10]
    assert scrapes[0] > 50 and reloads[0] > 10 and swaps[0] > 5, (scrapes, reloads, swaps)
    m = s.metrics()
    assert m[("results_exporter_plugin_reloads_total", (("plugin", "test_plugin"), ("result", "success")))] >= 1
    assert s.stop() == 0
    assert "ThreadSanitizer" not in s.log_text() and "AddressSanitizer" not in s.log_text()
