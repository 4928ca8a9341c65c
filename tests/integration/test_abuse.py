"""Load and abuse over loopback, bounded: many connections, slow clients, oversized requests, floods.

Timing bounds are generous on purpose (a shared CI machine): they catch starvation and leaks, not
slowness.
"""
import asyncio
import contextlib
import os
import re
import resource
import socket
import threading
import time
from contextlib import contextmanager

import pytest

from conftest import wait_for

N_CONNECTIONS = 1000


@contextmanager
def nofile_soft_limit(n):
    """Sets this process's soft RLIMIT_NOFILE for the block; a server started inside inherits it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n if hard == resource.RLIM_INFINITY else min(n, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    try:
        yield want
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def read_response(f):
    """One HTTP/1.1 response from a socket file: (status, headers, body)."""
    status_line = f.readline()
    assert status_line.startswith(b"HTTP/1."), status_line
    status = int(status_line.split()[1])
    headers = {}
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        k, v = line.decode().split(":", 1)
        headers[k.strip().lower()] = v.strip()
    body = f.read(int(headers.get("content-length", 0)))
    return status, headers, body


async def _aread_response(reader):
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status


# --- many connections -----------------------------------------------------------------------------

def test_1000_concurrent_keep_alive_connections(make_server, workdir):
    (workdir / "benchmark_results").mkdir()
    with nofile_soft_limit(N_CONNECTIONS * 2 + 256) as limit:
        if limit < N_CONNECTIONS + 128:
            pytest.skip(f"RLIMIT_NOFILE hard limit {limit} is too low for {N_CONNECTIONS} connections")
        s = make_server().start()  # inherits the raised soft limit

    paths = [b"/metrics", b"/-/healthy", b"/api/v1/status"]

    async def client(i, opened):
        reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
        opened.append(1)
        while len(opened) < N_CONNECTIONS:  # all open at once before anyone asks
            await asyncio.sleep(0.05)
        statuses = []
        for r in range(3):
            writer.write(b"GET " + paths[(i + r) % 3] + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            statuses.append(await _aread_response(reader))
        writer.close()
        return statuses

    async def main():
        opened = []
        return await asyncio.wait_for(
            asyncio.gather(*(client(i, opened) for i in range(N_CONNECTIONS))), timeout=120)

    with nofile_soft_limit(N_CONNECTIONS * 2 + 256):
        results = asyncio.run(main())
    assert all(st == [200, 200, 200] for st in results), \
        {tuple(st) for st in results if st != [200, 200, 200]}
    assert s.get("/metrics")[0] == 200
    # Every connection closed: the server's fds come back down.
    wait_for(lambda: fd_count(s.proc.pid) < 64, timeout=10, what="server fds released")


def test_the_server_raises_its_soft_fd_limit(make_server, workdir):
    (workdir / "benchmark_results").mkdir()
    with nofile_soft_limit(64):
        s = make_server().start()
    limits = open(f"/proc/{s.proc.pid}/limits").read()
    soft, hard = re.search(r"Max open files\s+(\d+)\s+(\d+)", limits).groups()
    assert soft == hard, limits


def test_running_out_of_fds_does_not_spin_or_flood_the_log(make_server, workdir):
    (workdir / "benchmark_results").mkdir()
    # Soft and hard limit 64 in the server only: it raises its soft limit to the hard one at start,
    # so only a low hard limit makes it run out.
    s = make_server(preexec=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))).start()
    socks = []
    try:
        for _ in range(100):  # more than the server may hold
            socks.append(socket.create_connection(("127.0.0.1", s.port), timeout=5))
        cpu0 = _cpu_seconds(s.proc.pid)
        time.sleep(2)
        cpu = _cpu_seconds(s.proc.pid) - cpu0
        floods = s.log_text().count("accept failed")
    finally:
        for c in socks:
            c.close()
    wait_for(lambda: s.get("/-/healthy")[0] == 200, timeout=10, what="serving after fds are back")
    assert floods < 100, f"{floods} 'accept failed' lines in ~2 s"
    assert cpu < 1.0, f"the server burnt {cpu:.2f} s of CPU in 2 s while out of fds"


def _cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- slow clients ---------------------------------------------------------------------------------

def test_slowloris_does_not_starve_scrapes(server):
    n_slow = 50
    stop = threading.Event()
    slow = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(n_slow)]
    request = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100

    def dribble():
        i = 0
        while not stop.is_set() and i < len(request):
            for c in slow:
                try:
                    c.send(request[i:i + 1])
                except OSError:
                    pass
            i += 1
            stop.wait(1.0)
    t = threading.Thread(target=dribble)
    t.start()
    try:
        worst = 0.0
        for _ in range(15):  # ~7 s of scrapes while the slow clients dribble
            t0 = time.monotonic()
            status, _, body = server.get("/metrics")
            worst = max(worst, time.monotonic() - t0)
            assert status == 200 and b"results_exporter_build_info" in body
            time.sleep(0.5)
        assert worst < 2.0, f"a scrape took {worst:.2f} s with {n_slow} slowloris clients"
    finally:
        stop.set()
        t.join()
        for c in slow:
            c.close()


# --- oversized requests ---------------------------------------------------------------------------

def raw(server, data, shut=False):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as c:
        c.sendall(data)
        if shut:
            c.shutdown(socket.SHUT_WR)
        f = c.makefile("rb")
        return read_response(f)


def test_headers_over_the_limit_get_431(server):
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(100))  # ~11 KiB of headers
    assert raw(server, b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")[0] == 431
    long_target = b"GET /metrics?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    assert raw(server, long_target)[0] == 431
    # Just under the limit is fine.
    assert raw(server, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 7000 + b"\r\n\r\n")[0] == 200
    assert server.get("/-/healthy")[0] == 200


def test_bodies_over_the_limit_get_413_without_being_sent(server):
    # Only the declared length: the server must refuse from the header, not wait for 64 MiB.
    t0 = time.monotonic()
    status, headers, _ = raw(server, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 67108864\r\n\r\n")
    assert status == 413 and time.monotonic() - t0 < 5
    assert headers.get("connection", "").lower() == "close"
    # Chunked, no length up front: refused once the limit is crossed.
    chunk = b"%x\r\n%s\r\n" % (256 * 1024, b"z" * 256 * 1024)
    status, _, _ = raw(server, b"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       + chunk * 6 + b"0\r\n\r\n")
    assert status == 413
    assert server.get("/-/healthy")[0] == 200


# --- floods ---------------------------------------------------------------------------------------

def _flood(port, n, connections=20, pipeline=50):
    def worker(count):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            f = c.makefile("rb")
            done = 0
            while done < count:
                k = min(pipeline, count - done)
                c.sendall(b"".join(b"GET /nope/%d HTTP/1.1\r\nHost: x\r\n\r\n" % (done + j) for j in range(k)))
                for _ in range(k):
                    assert read_response(f)[0] == 404
                done += k
    threads = [threading.Thread(target=worker, args=(n // connections,)) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)


def _sanitized_binary():
    """ASan keeps freed memory in quarantine (256 MB by default), so RSS says nothing there."""
    return any(part in os.environ.get("REX_BINARY", "") for part in ("/asan/", "/tsan/"))


def test_a_flood_of_404s_does_not_grow_the_server(server):
    if _sanitized_binary():
        pytest.skip("RSS is not meaningful under a sanitizer's allocator (ci preset measures it)")
    _flood(server.port, 2000)  # warm up: allocator arenas, thread caches
    before_rss, before_fds = rss_kib(server.proc.pid), fd_count(server.proc.pid)
    _flood(server.port, 20000)
    time.sleep(0.5)
    after_rss, after_fds = rss_kib(server.proc.pid), fd_count(server.proc.pid)
    assert after_rss - before_rss < 16 * 1024, f"RSS grew {before_rss} -> {after_rss} KiB over 20k 404s"
    assert after_fds <= before_fds + 4
    assert server.get("/metrics")[0] == 200
