#!/usr/bin/env python3
"""Soak: N minutes of everything at once against the real binary, watching for leaks.

File churn (result documents written, rewritten, renamed, deleted), log appends with rotation,
scrapes (plain and gzip, plus /api/v1/status), and config reloads (POST /-/reload, SIGHUP and a
rewritten config file), all concurrently. Every few seconds it samples the server's RSS and open
fds; at the end it fits a line through the samples after a warm-up and reports the slopes, and
greps the server log for errors and warnings.

    tests/soak/soak.py [--minutes 10] [--binary build/default/results_exporter]
                       [--plugin-dir build/default/plugins] [--sample-every 5]

Not a CI test: the exit status is 0 unless the server died or answered a scrape with non-200, or a
slope is over --max-rss-kib-per-min / --max-fds-per-min (generous defaults).
"""
import argparse
import gzip
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KV_LINES = (ROOT / "schemas" / "langmem_kv" / "sample.log").read_text().splitlines()


def detailed_doc(n, category):
    return json.dumps({"timestamp": time.time(), "detailed_results": [
        {"task_id": f"t{i}", "category": category, "success": i % 3 != 0, "steps_taken": i,
         "execution_time": 0.5 * i} for i in range(n)]})


def config(variant):
    extra = "    labels: {variant: \"%d\"}\n" % variant
    return ("scan_interval: 5s\nsources:\n"
            "  - name: osworld\n    path: ./results/*.json\n    plugin: auto\n"
            "  - name: langmem\n    path: ./logs/infrastructure_memory_langmem_*.log*\n"
            "    plugin: auto\n" + (extra if variant % 2 else ""))


def write_atomically(path, text):
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class Soak:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.stop = threading.Event()
        self.errors = []
        self.counts = {"scrapes": 0, "writes": 0, "deletes": 0, "log_lines": 0, "rotations": 0,
                       "reloads": 0}
        self.lock = threading.Lock()

    def count(self, k, n=1):
        with self.lock:
            self.counts[k] += n

    def start_server(self):
        (self.work / "results").mkdir()
        (self.work / "logs").mkdir()
        self.config = self.work / "config.yml"
        self.config.write_text(config(0))
        self.log_path = self.work / "server.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.args.binary, f"--config.file={self.config}", "--web.listen-address=127.0.0.1:0",
             f"--plugin-dir={self.args.plugin_dir}"], cwd=self.work, stdout=self.log,
            stderr=subprocess.STDOUT)
        for _ in range(500):
            m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", self.log_path.read_bytes())
            if m:
                self.port = int(m.group(1))
                return
            time.sleep(0.02)
        raise SystemExit("the server did not start:\n" + self.log_path.read_text())

    def request(self, method, path, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request(method, path, headers=headers or {})
            r = c.getresponse()
            return r.status, r.getheader("Content-Encoding"), r.read()
        finally:
            c.close()

    def loop(self, fn, pause):
        def run():
            while not self.stop.is_set():
                try:
                    fn()
                except Exception as e:  # noqa: BLE001 - recorded, reported at the end
                    self.errors.append(f"{fn.__name__}: {e!r}")
                    if len(self.errors) > 100:
                        self.stop.set()
                self.stop.wait(pause)
        t = threading.Thread(target=run, name=fn.__name__, daemon=True)
        t.start()
        return t

    # --- the workers ---

    def churn(self):
        d = self.work / "results"
        i = random.randrange(200)
        p = d / f"r{i}.json"
        op = random.random()
        if op < 0.6:
            write_atomically(p, detailed_doc(random.randrange(1, 50), f"c{i % 5}"))
            self.count("writes")
        elif op < 0.7:
            p.write_text(detailed_doc(random.randrange(1, 50), f"c{i % 5}"))  # in place
            self.count("writes")
        elif op < 0.8 and p.exists():
            os.replace(p, d / f"r{random.randrange(200)}.json")
        elif p.exists():
            p.unlink()
            self.count("deletes")

    def append_logs(self):
        log = self.work / "logs" / "infrastructure_memory_langmem_kv.log"
        with open(log, "a") as f:
            for _ in range(random.randrange(1, 20)):
                f.write(random.choice(KV_LINES) + "\n")
                self.count("log_lines")
        if log.stat().st_size > 256 * 1024:  # rotate: .log -> .log.1 -> .log.2, drop the oldest
            for n in (3, 2, 1):
                older = log.with_name(log.name + f".{n}")
                if older.exists():
                    if n == 3:
                        older.unlink()
                    else:
                        os.replace(older, log.with_name(log.name + f".{n + 1}"))
            os.replace(log, log.with_name(log.name + ".1"))
            self.count("rotations")

    def scrape(self):
        for path, hdrs in (("/metrics", {}), ("/metrics", {"Accept-Encoding": "gzip"}),
                           ("/api/v1/status", {})):
            status, enc, body = self.request("GET", path, hdrs)
            if status != 200:
                raise AssertionError(f"GET {path}: {status}")
            if enc == "gzip":
                gzip.decompress(body)
            elif path == "/api/v1/status":
                json.loads(body)
            self.count("scrapes")

    def reload(self):
        kind = random.randrange(3)
        if kind == 0:
            status, _, body = self.request("POST", "/-/reload")
            if status != 200:
                raise AssertionError(f"POST /-/reload: {status} {body!r}")
        elif kind == 1:
            self.proc.send_signal(signal.SIGHUP)
        else:
            write_atomically(self.config, config(random.randrange(4)))
        self.count("reloads")

    # --- sampling ---

    def sample(self):
        pid = self.proc.pid
        rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        return time.monotonic(), rss, fds

    def run(self):
        self.start_server()
        t0 = time.monotonic()
        threads = [self.loop(self.churn, 0.01), self.loop(self.append_logs, 0.05),
                   self.loop(self.scrape, 0.05), self.loop(self.scrape, 0.2),
                   self.loop(self.reload, 2.0)]
        samples = []
        deadline = t0 + self.args.minutes * 60
        while time.monotonic() < deadline and not self.stop.is_set():
            if self.proc.poll() is not None:
                self.errors.append(f"the server exited with {self.proc.returncode}")
                break
            s = self.sample()
            samples.append(s)
            print(f"[{s[0] - t0:7.1f}s] rss={s[1]} KiB fds={s[2]} {self.counts}", flush=True)
            self.stop.wait(self.args.sample_every)
        self.stop.set()
        for t in threads:
            t.join(timeout=30)
        alive = self.proc.poll() is None
        if alive:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.errors.append("the server did not stop within 15 s of SIGTERM")
                self.proc.kill()
        self.log.close()
        return samples, t0


def slope(points):
    """Least-squares slope of (x, y) points."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--binary", default=str(ROOT / "build" / "default" / "results_exporter"))
    ap.add_argument("--plugin-dir", default=str(ROOT / "build" / "default" / "plugins"))
    ap.add_argument("--sample-every", type=float, default=5)
    ap.add_argument("--max-rss-kib-per-min", type=float, default=1024)
    ap.add_argument("--max-fds-per-min", type=float, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    args.binary = str(Path(args.binary).resolve())
    args.plugin_dir = str(Path(args.plugin_dir).resolve())

    work = Path(tempfile.mkdtemp(prefix="rex_soak_"))
    soak = Soak(args, work)
    samples, t0 = soak.run()

    # The first fifth (at least 30 s) is warm-up: caches, arenas, the document set filling up.
    warm = t0 + max(30.0, args.minutes * 60 / 5)
    steady = [s for s in samples if s[0] >= warm] or samples
    rss_slope = slope([((t - t0) / 60, rss) for t, rss, _ in steady])
    fd_slope = slope([((t - t0) / 60, fds) for t, _, fds in steady])
    log = (work / "server.log").read_text(errors="replace")
    levels = {}
    for line in log.splitlines():
        m = re.search(r"level=(\w+)", line)
        if m:
            levels[m.group(1)] = levels.get(m.group(1), 0) + 1
    bad = [l for l in log.splitlines() if re.search(r"level=(error|critical)", l)]
    crashes = [l for l in log.splitlines() if re.search(r"AddressSanitizer|runtime error|terminate called|Segmentation", l)]

    print("\n== soak report")
    print(f"duration: {args.minutes} min, samples: {len(samples)} ({len(steady)} after warm-up)")
    print(f"work: {soak.counts}")
    if samples:
        print(f"rss: {samples[0][1]} -> {samples[-1][1]} KiB (max {max(s[1] for s in samples)}), "
              f"slope after warm-up {rss_slope:+.1f} KiB/min")
        print(f"fds: {samples[0][2]} -> {samples[-1][2]} (max {max(s[2] for s in samples)}), "
              f"slope after warm-up {fd_slope:+.2f} /min")
    print(f"log lines by level: {levels}")
    for l in bad[:20]:
        print("  " + l)
    for e in soak.errors[:20]:
        print("client error: " + e)
    failed = bool(soak.errors or crashes or rss_slope > args.max_rss_kib_per_min
                  or fd_slope > args.max_fds_per_min)
    if args.keep or failed:
        print(f"work folder kept: {work}")
    else:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    print("RESULT:", "FAIL" if failed else "ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
