#!/usr/bin/env python3
"""The comparisons behind bench/run.sh. Standard library only; run with Debian's /usr/bin/python3.

Every process it starts is recorded and stopped at exit (SIGTERM to its own process group, then
SIGKILL); every wait is bounded; only 127.0.0.1 is used. Comparisons run alternately (A B A B ...)
and the table reports medians. Wall time is what the goals are about; CPU time (user+sys of the
child) is given beside it because this machine is shared and wall time is noisy.
"""
import argparse
import atexit
import datetime
import gzip
import http.client
import json
import os
import platform
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = "/usr/bin/python3"
PROCS = []
RESULTS = {}
LOG = []


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------- processes
def start(cmd, **kw):
    kw.setdefault("stdout", subprocess.DEVNULL)
    kw.setdefault("stderr", subprocess.DEVNULL)
    p = subprocess.Popen(cmd, start_new_session=True, **kw)
    PROCS.append(p)
    return p


def stop(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    if p in PROCS:
        PROCS.remove(p)


@atexit.register
def _stop_all():
    for p in list(PROCS):
        stop(p)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def http_get(port, path, headers=None, conn=None, timeout=60):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        if conn is None:
            c.close()


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            v = pred()
            if v:
                return v
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")


def count_series(body):
    return sum(1 for l in body.decode(errors="replace").splitlines() if l and not l.startswith("#"))


class Rex:
    """results_exporter on a loopback port picked by the kernel (read from its log)."""

    def __init__(self, args, workdir, config):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "config.yml").write_text(config)
        self.log_path = self.workdir / "server.log"
        self.log = open(self.log_path, "wb")
        self.proc = start([str(args.bin), f"--config.file={self.workdir / 'config.yml'}",
                           "--web.listen-address=127.0.0.1:0", f"--plugin-dir={args.plugins}",
                           "--log.level=warn" if False else "--log.level=info"],
                          cwd=self.workdir, stdout=self.log, stderr=subprocess.STDOUT)

        def port():
            if self.proc.poll() is not None:
                raise RuntimeError("results_exporter exited: " + self.log_path.read_text()[-2000:])
            m = re.findall(rb"listening on http://127\.0\.0\.1:(\d+)", self.log_path.read_bytes())
            return int(m[-1]) if m else None
        self.port = wait_for(port, 15, "results_exporter to listen")
        wait_for(lambda: http_get(self.port, "/-/ready")[0] == 200, 30, "ready")

    def stop(self):
        stop(self.proc)
        self.log.close()


def osworld_config(extra=""):
    return f"""
scan_interval: 1h
sources:
  - name: osworld
    path: ./benchmark_results/*.json
    plugin: osworld_detailed
{extra}"""


def gen(kind, n, out):
    out = Path(out)
    stamp = out.with_name(out.name + ".ok")
    if out.exists() and stamp.exists() and stamp.read_text() == f"{kind} {n}":
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    log(f"generating {kind} {n} -> {out}")
    subprocess.run([PY, str(HERE / "gen.py"), kind, str(n), str(out)], check=True, timeout=600)
    stamp.write_text(f"{kind} {n}")
    return out


def timed(cmd, timeout=600):
    """Wall seconds and child CPU seconds (user+sys) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({r.returncode}): {r.stderr[-1000:]!r}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def alternate(cmds, reps, timeout=600):
    """cmds: {name: argv}. Runs them A B A B ... reps times; {name: (median wall, median cpu)}."""
    walls = {k: [] for k in cmds}
    cpus = {k: [] for k in cmds}
    for _ in range(reps):
        for k, c in cmds.items():
            w, u = timed(c, timeout)
            walls[k].append(w)
            cpus[k].append(u)
    return {k: (statistics.median(walls[k]), statistics.median(cpus[k]), len(walls[k])) for k in cmds}


# ---------------------------------------------------------------- scrape
WRK_RE = {
    "rps": re.compile(r"Requests/sec:\s+([\d.]+)"),
    "p50": re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)\b", re.M),
    "p99": re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\b", re.M),
}


def to_ms(v, unit):
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def wrk(url, conns, dur, gz):
    cmd = ["wrk", f"-t{min(conns, 2)}", f"-c{conns}", f"-d{dur}s", "--timeout", "10s", "--latency"]
    if gz:
        cmd += ["-H", "Accept-Encoding: gzip"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=dur + 60).stdout
    m = {k: r.search(out) for k, r in WRK_RE.items()}
    if not m["rps"]:
        raise RuntimeError("wrk output not understood: " + out)
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(m["rps"].group(1)),
            "p50": to_ms(*m["p50"].groups()) if m["p50"] else float("nan"),
            "p99": to_ms(*m["p99"].groups()) if m["p99"] else float("nan"),
            "errors": (errors.group(1) if errors else "") + (f" non2xx={non2xx.group(1)}" if non2xx else "")}


def push_to_pushgateway(port, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    c.request("PUT", "/metrics/job/bench", body=body, headers={"Content-Type": "text/plain; version=0.0.4"})
    r = c.getresponse()
    text = r.read()
    c.close()
    if r.status // 100 != 2:
        raise RuntimeError(f"pushgateway refused the push: {r.status} {text[:500]!r}")


def start_anchors(work, body):
    """node_exporter (textfile collector only), Pushgateway, python3 -m http.server, serving body."""
    tdir = work / "textfile"
    sdir = work / "static"
    for d in (tdir, sdir):
        d.mkdir(parents=True, exist_ok=True)
    (tdir / "metrics.prom").write_bytes(body)
    (sdir / "metrics.prom").write_bytes(body)
    out = {}
    p = free_port()
    out["node_exporter"] = (start(["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{p}",
                                   "--collector.disable-defaults", "--collector.textfile",
                                   f"--collector.textfile.directory={tdir}"]), p, "/metrics")
    p = free_port()
    out["pushgateway"] = (start(["prometheus-pushgateway", f"--web.listen-address=127.0.0.1:{p}",
                                 "--persistence.file="]), p, "/metrics")
    p = free_port()
    out["static_file"] = (start([PY, "-m", "http.server", str(p), "--bind", "127.0.0.1",
                                 "--directory", str(sdir)]), p, "/metrics.prom")
    for name, (proc, port, path) in out.items():
        wait_for(lambda: http_get(port, path)[0] == 200, 30, f"{name} to serve")
    t0 = time.perf_counter()
    push_to_pushgateway(out["pushgateway"][1], body)
    log(f"pushed {len(body)} bytes to pushgateway in {time.perf_counter() - t0:.2f}s")
    return out


def scrape_section(args, P):
    rows = []
    for n in P["scrape_sizes"]:
        work = args.work / f"scrape_{n}"
        doc = gen("osworld-series", n, work / "benchmark_results" / "doc.json")
        rex = Rex(args, work, osworld_config())
        body = wait_for(lambda: (lambda s, b: b if s == 200 and count_series(b) >= n * 0.9 else None)(
            *http_get(rex.port, "/metrics")), 60, f"{n} series on /metrics")
        anchors = start_anchors(work, body)
        servers = {"results_exporter": (rex.proc, rex.port, "/metrics"), **anchors}
        info = {}
        for name, (proc, port, path) in servers.items():
            _, plain = http_get(port, path)
            _, gz = http_get(port, path, {"Accept-Encoding": "gzip"})
            info[name] = {"series": count_series(plain), "bytes": len(plain),
                          "gz_bytes": len(gz) if gz[:2] == b"\x1f\x8b" else None}
        log(f"scrape {n}: " + ", ".join(f"{k}={v['series']} series/{v['bytes']} B" for k, v in info.items()))
        for conns in (1, 16):
            for gz in (False, True):
                names = [k for k in servers if not (gz and info[k]["gz_bytes"] is None)]
                runs = {k: [] for k in names}
                for _ in range(P["scrape_reps"]):
                    for k in names:
                        proc, port, path = servers[k]
                        dur = P["scrape_dur"] * (3 if n >= 100_000 else 1)  # slow anchors need time to finish one
                        runs[k].append(wrk(f"http://127.0.0.1:{port}{path}", conns, dur, gz))
                for k in names:
                    rs = runs[k]
                    rows.append({"n": n, "conns": conns, "gzip": gz, "server": k, **info[k],
                                 "rps": statistics.median(r["rps"] for r in rs),
                                 "p50": statistics.median(r["p50"] for r in rs),
                                 "p99": statistics.median(r["p99"] for r in rs),
                                 "errors": "; ".join(r["errors"] for r in rs if r["errors"].strip()),
                                 "reps": len(rs)})
                log(f"scrape n={n} c={conns} gzip={gz}: " +
                    ", ".join(f"{r['server']}={r['rps']:.0f}/s" for r in rows[-len(names):]))
        for name, (proc, _, _) in anchors.items():
            stop(proc)
        rex.stop()
    RESULTS["scrape"] = rows


# ---------------------------------------------------------------- ingest
def ingest_section(args, P):
    doc = gen("osworld-big", P["ingest_mb"], args.work / "big.json")
    size = doc.stat().st_size
    cmds = {
        "results_exporter parse (osworld_detailed)": [str(args.bin), "parse",
                                                      "--plugin", "osworld_detailed", str(doc)],
        "bare simdjson On-Demand walk (same flags)": [str(args.work / "simdjson_walk"), str(doc)],
        "bare simdjson walk, -march=native (info)": [str(args.work / "simdjson_walk_native"), str(doc)],
        "python3 json.load + same arithmetic": [PY, str(HERE / "py_ingest.py"), str(doc)],
    }
    res = alternate(cmds, P["ingest_reps"])
    RESULTS["ingest"] = {"bytes": size, "runs": res}
    log("ingest: " + ", ".join(f"{k}: {v[0]:.3f}s wall {v[1]:.3f}s cpu" for k, v in res.items()))


# ---------------------------------------------------------------- logs
def logs_section(args, P):
    lg = gen("langmem", P["log_lines"], args.work / "langmem.log")
    port = free_port()
    cmds = {
        "results_exporter parse (langmem_jsonlog)": [str(args.bin), "parse",
                                                     "--plugin", "langmem_jsonlog", str(lg)],
        "mtail --one_shot (bench/mtail/langmem.mtail)": ["mtail", "--one_shot", "--logs", str(lg), "--progs",
                                                         str(HERE / "mtail"), "--address=127.0.0.1",
                                                         f"--port={port}"],
    }
    res = alternate(cmds, P["log_reps"], timeout=900)
    RESULTS["logs"] = {"lines": P["log_lines"], "bytes": lg.stat().st_size, "runs": res}
    log("logs: " + ", ".join(f"{k}: {v[0]:.3f}s wall {v[1]:.3f}s cpu" for k, v in res.items()))


# ---------------------------------------------------------------- freshness
def fresh_doc(i):
    return json.dumps({"timestamp": 1761690105 + i, "detailed_results": [
        {"task_id": "t", "category": f"fresh_{i}", "success": True, "steps_taken": 3, "execution_time": 1.5}]})


def freshness_section(args, P):
    work = args.work / "fresh"
    (work / "benchmark_results").mkdir(parents=True, exist_ok=True)
    for f in (work / "benchmark_results").glob("*"):
        f.unlink()
    rex = Rex(args, work, osworld_config())
    target = work / "benchmark_results" / "fresh.json"
    tmp = work / "benchmark_results" / ".fresh.json.tmp"
    conn = http.client.HTTPConnection("127.0.0.1", rex.port, timeout=10)
    lat, polls = [], 0
    for i in range(P["fresh_files"]):
        tmp.write_text(fresh_doc(i))
        needle = f'category="fresh_{i}"'.encode()
        t0 = time.perf_counter()
        os.replace(tmp, target)
        deadline = t0 + 10
        while True:
            _, body = http_get(rex.port, "/metrics", conn=conn)
            polls += 1
            if needle in body:
                lat.append(time.perf_counter() - t0)
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"file {i} not visible after 10 s")
    conn.close()
    rex.stop()
    lat.sort()
    RESULTS["fresh"] = {"n": len(lat), "median": statistics.median(lat),
                        "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))], "max": lat[-1],
                        "polls_per_file": polls / len(lat)}
    log(f"freshness: median {RESULTS['fresh']['median'] * 1e3:.2f} ms p99 {RESULTS['fresh']['p99'] * 1e3:.2f} ms")


# ---------------------------------------------------------------- reload
def reload_config(nsrc, gen_):
    s = ["scan_interval: 1h", "sources:"]
    for j in range(nsrc):
        s += [f"  - name: s{j:03d}", f"    path: ./d{j:03d}/*.json", "    plugin: osworld_detailed",
              f"    labels: {{generation: \"g{gen_}\"}}"]
    return "\n".join(s) + "\n"


def reload_section(args, P):
    work = args.work / "reload"
    nsrc = 100
    for j in range(nsrc):
        d = work / f"d{j:03d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "r.json").write_text(fresh_doc(j))
    cfg = work / "config.yml"
    rex = Rex(args, work, reload_config(nsrc, 0))
    wait_for(lambda: http_get(rex.port, "/metrics")[1].count(b'generation="g0"') >= nsrc, 30, "100 sources")
    resp_t, visible_t = [], []
    for k in range(1, P["reload_reps"] + 1):
        tmp = work / ".config.yml.tmp"
        tmp.write_text(reload_config(nsrc, k))
        os.replace(tmp, cfg)
        needle = f'generation="g{k}"'.encode()
        old = f'generation="g{k - 1}"'.encode()
        t0 = time.perf_counter()
        c = http.client.HTTPConnection("127.0.0.1", rex.port, timeout=30)
        c.request("POST", "/-/reload")
        r = c.getresponse()
        r.read()
        t1 = time.perf_counter()
        c.close()
        if r.status != 200:
            raise RuntimeError(f"reload answered {r.status}")
        while True:
            _, body = http_get(rex.port, "/metrics")
            if body.count(needle) >= nsrc and old not in body:
                break
            if time.perf_counter() - t0 > 30:
                raise RuntimeError("reload not visible after 30 s")
        t2 = time.perf_counter()
        resp_t.append(t1 - t0)
        visible_t.append(t2 - t0)
        time.sleep(0.3)  # let the config-file watcher's own (debounced) reload pass
    rex.stop()
    RESULTS["reload"] = {"sources": nsrc, "n": len(resp_t), "resp_median": statistics.median(resp_t),
                         "resp_max": max(resp_t), "vis_median": statistics.median(visible_t),
                         "vis_max": max(visible_t)}
    log(f"reload: POST answered median {RESULTS['reload']['resp_median'] * 1e3:.1f} ms, "
        f"visible median {RESULTS['reload']['vis_median'] * 1e3:.1f} ms")


# ---------------------------------------------------------------- memory
def memory_section(args, P):
    rows = []
    for n in P["mem_sizes"]:
        work = args.work / f"mem_{n}"
        (work / "benchmark_results").mkdir(parents=True, exist_ok=True)
        for f in (work / "benchmark_results").glob("*"):
            f.unlink()
        src = gen("osworld-series", n, args.work / f"series_{n}.json")
        rex = Rex(args, work, osworld_config())
        time.sleep(0.5)
        base = rss_bytes(rex.proc.pid)
        # copy + rename, as producers do (a hard link alone is only picked up by the periodic re-scan)
        tmp = work / "benchmark_results" / ".doc.json.tmp"
        tmp.write_bytes(src.read_bytes())
        os.replace(tmp, work / "benchmark_results" / "doc.json")
        body = wait_for(lambda: (lambda s, b: b if count_series(b) >= n * 0.9 else None)(
            *http_get(rex.port, "/metrics", timeout=120)), 300, f"{n} series")
        http_get(rex.port, "/metrics", {"Accept-Encoding": "gzip"}, timeout=120)
        time.sleep(0.5)
        series = count_series(body)
        rows.append({"server": "results_exporter", "n": series, "base": base, "rss": rss_bytes(rex.proc.pid)})
        rex.stop()
        p = free_port()
        pg = start(["prometheus-pushgateway", f"--web.listen-address=127.0.0.1:{p}", "--persistence.file="])
        wait_for(lambda: http_get(p, "/metrics")[0] == 200, 30, "pushgateway")
        time.sleep(0.5)
        base = rss_bytes(pg.pid)
        t0 = time.perf_counter()
        push_to_pushgateway(p, body)
        push_s = time.perf_counter() - t0
        _, pbody = http_get(p, "/metrics", timeout=300)
        time.sleep(0.5)
        rows.append({"server": "pushgateway", "n": count_series(pbody), "base": base, "rss": rss_bytes(pg.pid),
                     "push_s": push_s})
        stop(pg)
        log("memory: " + ", ".join(f"{r['server']} {r['n']} series {r['rss'] / 2**20:.1f} MiB" for r in rows[-2:]))
    RESULTS["memory"] = rows


# ---------------------------------------------------------------- report
def machine():
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return cpu, os.cpu_count(), int(mem) // 1024


def fmt_ms(s):
    return f"{s * 1e3:.2f}"


def report(args, P, elapsed, errors):
    cpu, ncpu, mem = machine()
    o = []
    o.append("# results_exporter benchmarks\n")
    o.append(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    o.append(f"- machine: `nproc` = {ncpu}, CPU: {cpu}, RAM {mem} MiB, kernel {platform.release()}")
    o.append(f"- binary: {args.bin} (Release); git: {args.git}")
    o.append(f"- mode: {'--quick' if args.quick else 'full'}; sections: {', '.join(args.sections)}; "
             f"run time {elapsed:.0f} s; medians of alternating runs (A B A B ...)")
    o.append("- the machine is shared with other work: wall times are noisy; CPU time (user+sys) is given where it helps\n")
    if errors:
        o.append("**Sections that failed:**\n")
        o += [f"- {e}" for e in errors]
        o.append("")

    if "scrape" in RESULTS:
        o.append("## Scrape: GET /metrics (wrk)\n")
        o.append(f"Goal: results_exporter ≥ 30× Pushgateway's requests/s at 100k series, and at least the "
                 f"static-file floor. wrk `-d{P['scrape_dur']}s` at 10k and `-d{3 * P['scrape_dur']}s` at 100k, {P['scrape_reps']} alternating rep(s), "
                 f"`--timeout 10s`; threads = min(connections, 2). The same exposition (results_exporter's own "
                 f"/metrics) is served by each anchor; `series` = non-comment lines each one serves.\n")
        o.append("| series | conns | gzip | server | series served | bytes/scrape | req/s | p50 ms | p99 ms | rex ÷ this | errors |")
        o.append("|---:|---:|:-:|---|---:|---:|---:|---:|---:|---:|---|")
        rows = RESULTS["scrape"]
        for r in rows:
            rex = next(x for x in rows if x["n"] == r["n"] and x["conns"] == r["conns"] and
                       x["gzip"] == r["gzip"] and x["server"] == "results_exporter")
            ratio = f"{rex['rps'] / r['rps']:,.1f}×" if r["rps"] else "n/a: no scrape completed" 
            b = r["gz_bytes"] if r["gzip"] else r["bytes"]
            o.append(f"| {r['n']:,} | {r['conns']} | {'yes' if r['gzip'] else 'no'} | {r['server']} | "
                     f"{r['series']:,} | {b:,} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
                     f"{'—' if r['server'] == 'results_exporter' else ratio} | {r['errors'] or ''} |")
        o.append("\n`python3 -m http.server` sends no gzip, so it has no gzip rows.\n")

    if "ingest" in RESULTS:
        ing = RESULTS["ingest"]
        mb = ing["bytes"] / 1e6
        o.append("## Ingest: one detailed_results document\n")
        o.append(f"{ing['bytes']:,} bytes (`json.dump(indent=2)` shape, 30 categories). Whole process each time "
                 f"(file read included; results_exporter also loads its plugin and prints the exposition). Goal: "
                 f"plugin ≥ 0.5× the bare simdjson On-Demand walk.\n")
        o.append("| program | wall s | MB/s (wall) | CPU s | MB/s (CPU) | rex ÷ this (wall) | rex ÷ this (CPU) | runs |")
        o.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        runs = ing["runs"]
        rk = next(k for k in runs if k.startswith("results_exporter"))
        for k, (w, c, n) in runs.items():
            o.append(f"| {k} | {w:.3f} | {mb / w:,.0f} | {c:.3f} | {mb / c if c else float('inf'):,.0f} | "
                     f"{'—' if k == rk else f'{w / runs[rk][0]:.2f}×'} | "
                     f"{'—' if k == rk else f'{c / runs[rk][1]:.2f}×'} | {n} |")
        o.append("\n`rex ÷ this` > 1 means results_exporter is faster (ratio of times, other ÷ rex). "
                 "The ≥ 0.5× goal is met when the value in the bare-walk row is ≥ 0.5.\n")

    if "logs" in RESULTS:
        lg = RESULTS["logs"]
        o.append("## Logs: LangMem JSON-lines log\n")
        o.append(f"{lg['lines']:,} lines, {lg['bytes']:,} bytes; whole process, file read included. Goal: "
                 f"results_exporter ≥ 20× mtail's lines/s. Both produce the same figures (checked by hand on the "
                 f"first 2,000 lines: deleted, cleanups, exact/semantic, errors, histogram sums).\n")
        o.append("| program | wall s | lines/s (wall) | CPU s | lines/s (CPU) | rex ÷ this (wall) | rex ÷ this (CPU) | runs |")
        o.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        runs = lg["runs"]
        rk = next(k for k in runs if k.startswith("results_exporter"))
        for k, (w, c, n) in runs.items():
            o.append(f"| {k} | {w:.3f} | {lg['lines'] / w:,.0f} | {c:.3f} | {lg['lines'] / c:,.0f} | "
                     f"{'—' if k == rk else f'{w / runs[rk][0]:.1f}×'} | "
                     f"{'—' if k == rk else f'{c / runs[rk][1]:.1f}×'} | {n} |")
        o.append("")

    if "fresh" in RESULTS:
        f = RESULTS["fresh"]
        o.append("## Freshness: file renamed into place → visible on /metrics\n")
        o.append(f"{f['n']} files, one after another, each `os.replace`d over the same name with a new category; "
                 f"the client polls /metrics on a keep-alive connection until the new series shows "
                 f"({f['polls_per_file']:.1f} polls per file). Goal: median ≤ 5 ms.\n")
        o.append("| pipeline | median | p99 | max |")
        o.append("|---|---:|---:|---:|")
        o.append(f"| results_exporter (measured) | {fmt_ms(f['median'])} ms | {fmt_ms(f['p99'])} ms | {fmt_ms(f['max'])} ms |")
        o.append("| old pipeline: re-parse every 60 s + scrape every 5 s (analytic: U(0,60)+U(0,5)) | 32.5 s (mean 32.5 s) | 62.6 s | 65 s |")
        o.append("")

    if "reload" in RESULTS:
        r = RESULTS["reload"]
        o.append("## Reload: config with 100 sources\n")
        o.append(f"Each of {r['n']} rounds writes a config whose 100 sources (one small document each) carry a new "
                 f"constant label, then `POST /-/reload`; measured to the POST's answer and to the first /metrics "
                 f"that shows the new label on all 100 sources and the old one nowhere. Goal ≤ 50 ms.\n")
        o.append("| measure | median | max |")
        o.append("|---|---:|---:|")
        o.append(f"| POST /-/reload answered | {fmt_ms(r['resp_median'])} ms | {fmt_ms(r['resp_max'])} ms |")
        o.append(f"| new config visible on /metrics | {fmt_ms(r['vis_median'])} ms | {fmt_ms(r['vis_max'])} ms |")
        o.append("")

    if "memory" in RESULTS:
        o.append("## Memory: RSS per exposed series\n")
        o.append("RSS (VmRSS) after the series are loaded and scraped once plain and once gzip; `base` is the RSS "
                 "of the same process before it held them. Goal: ≤ 200 bytes/series.\n")
        o.append("| server | series | base RSS MiB | RSS MiB | RSS/series B | (RSS−base)/series B |")
        o.append("|---|---:|---:|---:|---:|---:|")
        for m in RESULTS["memory"]:
            o.append(f"| {m['server']} | {m['n']:,} | {m['base'] / 2**20:.1f} | {m['rss'] / 2**20:.1f} | "
                     f"{m['rss'] / m['n']:,.0f} | {(m['rss'] - m['base']) / m['n']:,.0f} |")
        o.append("")
    o.append("Google Benchmark micro-benchmarks (exposition writer vs prometheus-cpp TextSerializer, store "
             "merge): not written yet.\n")
    return "\n".join(o)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bin", type=Path, required=True)
    ap.add_argument("--plugins", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--git", default="?")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.quick:
        P = dict(scrape_sizes=[10_000, 100_000], scrape_reps=1, scrape_dur=1, ingest_mb=100, ingest_reps=1,
                 log_lines=1_000_000, log_reps=1, fresh_files=200, reload_reps=5, mem_sizes=[100_000])
    else:
        P = dict(scrape_sizes=[10_000, 100_000], scrape_reps=3, scrape_dur=2, ingest_mb=100, ingest_reps=5,
                 log_lines=1_000_000, log_reps=3, fresh_files=1000, reload_reps=20,
                 mem_sizes=[100_000, 1_000_000])
    sections = {"scrape": scrape_section, "ingest": ingest_section, "logs": logs_section,
                "fresh": freshness_section, "reload": reload_section, "memory": memory_section}
    args.sections = [s for s in sections if not args.only or s in args.only.split(",")]
    t0 = time.monotonic()
    errors = []
    for name in args.sections:
        log(f"--- {name}")
        try:
            sections[name](args, P)
        except Exception as e:  # one broken section must not lose the others' figures
            errors.append(f"{name}: {type(e).__name__}: {e}"[:1500])
            log(f"section {name} failed: {e}")
        finally:
            _stop_all()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = report(args, P, time.monotonic() - t0, errors)
    args.out.write_text(text)
    args.out.with_suffix(".json").write_text(json.dumps({"params": P, "results": RESULTS}, indent=1, default=str))
    print(text)
    return 1 if errors else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    sys.exit(main())
