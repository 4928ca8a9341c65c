"""Fixtures that run the real results_exporter binary on a loopback port.

Every server is started in its own temporary folder with its own config, on port 0 (the kernel
picks a free one; the server logs it), and is stopped at the end of the test, whatever happens.
"""
import gzip
import http.client
import json
import os
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

BINARY = os.environ.get("REX_BINARY", "../../build/default/results_exporter")
PLUGIN_DIR = os.environ.get("REX_PLUGIN_DIR", "../../build/default/plugins")
SOURCE_DIR = Path(os.environ.get("REX_SOURCE_DIR", Path(__file__).resolve().parents[2]))
SAMPLES = SOURCE_DIR.parent / "shared" / "formats"
SCHEMAS = SOURCE_DIR / "schemas"

_SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    """An independent reader of the text format: {(name, ((label, value), ...)): float}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE_RE.match(line)
        assert m, f"unparsable exposition line: {line!r}"
        name, _, labels, value = m.groups()
        pairs = []
        if labels:
            for k, v in _LABEL_RE.findall(labels):
                pairs.append((k, v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")))
        key = (name, tuple(sorted(pairs)))
        assert key not in out, f"duplicate series {key}"
        out[key] = float(value)
    return out


class Server:
    def __init__(self, workdir, config_text, plugin_dir=PLUGIN_DIR, extra_args=(), preexec=None):
        self.workdir = Path(workdir)
        self.config_path = self.workdir / "config.yml"
        self.config_path.write_text(config_text)
        self.plugin_dir = plugin_dir
        self.extra_args = list(extra_args)
        self.preexec = preexec  # runs in the child before exec (resource limits, say)
        self.proc = None
        self.port = None
        self.log_path = self.workdir / "server.log"

    def start(self, wait_ready=True):
        self.log = open(self.log_path, "ab")
        offset = self.log.tell()  # a restarted server appends: read only its own lines
        self.proc = subprocess.Popen(
            [BINARY, f"--config.file={self.config_path}", "--web.listen-address=127.0.0.1:0",
             f"--plugin-dir={self.plugin_dir}", *self.extra_args],
            cwd=self.workdir, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=self.preexec)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            m = re.findall(rb"listening on http://127\.0\.0\.1:(\d+)", self.log_path.read_bytes()[offset:])
            if m:
                self.port = int(m[-1])
                break
            assert self.proc.poll() is None, f"server exited: {self.log_text()}"
            time.sleep(0.02)
        assert self.port, f"server did not listen: {self.log_text()}"
        if wait_ready:
            wait_for(lambda: self.get("/-/ready")[0] == 200, what="ready")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def get(self, path, headers=None):
        status, hdrs, body = self.request("GET", path, headers=headers)
        return status, hdrs, body

    def metrics(self):
        status, _, body = self.get("/metrics")
        assert status == 200
        return parse_exposition(body.decode())

    def status(self):
        status, _, body = self.get("/api/v1/status")
        assert status == 200
        return json.loads(body)


def wait_for(predicate, timeout=5.0, what="condition"):
    """Polls until predicate() is truthy; bounded, so a broken server fails the test, never hangs it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (ConnectionError, OSError, AssertionError):
            pass
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def data_metrics(m):
    """The series a restart must reproduce exactly: everything but wall-clock self-metrics."""
    return {k: v for k, v in m.items()
            if not (k[0].startswith("results_exporter_") and k[0].endswith("_timestamp_seconds"))}


DEFAULT_CONFIG = """
sources:
  - name: osworld
    path: ./benchmark_results/*.json
    plugin: auto
"""


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="rex_it_") as d:
        yield Path(d)


@pytest.fixture
def make_server(workdir):
    servers = []

    def make(config_text=DEFAULT_CONFIG, **kw):
        s = Server(workdir, config_text, **kw)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


@pytest.fixture
def server(make_server, workdir):
    (workdir / "benchmark_results").mkdir()
    return make_server().start()


def write_atomically(path, text):
    """How careful producers write: a temp file in the same folder, then rename into place."""
    path = Path(path)
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def gunzip(body):
    return gzip.decompress(body)
