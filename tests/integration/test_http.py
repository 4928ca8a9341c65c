"""The HTTP surface: endpoints, methods, keep-alive, gzip, limits."""
import http.client
import json
import socket

from conftest import gunzip, parse_exposition


def test_endpoints(server):
    status, headers, body = server.get("/metrics")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    m = parse_exposition(body.decode())
    assert m[("results_exporter_build_info", (("version", "0.1.0"),))] == 1
    assert server.get("/-/healthy")[0] == 200
    assert server.get("/-/ready")[0] == 200
    status, headers, body = server.get("/")
    assert status == 200 and b'href="metrics"' in body
    status, headers, body = server.get("/api/v1/status")
    assert headers["Content-Type"] == "application/json"
    doc = json.loads(body)
    assert doc["ready"] is True
    assert {p["name"] for p in doc["plugins"]} >= {"osworld_detailed", "osworld_tasks"}
    assert doc["sources"][0]["name"] == "osworld"


def test_unknown_paths_and_methods(server):
    assert server.get("/nope")[0] == 404
    status, headers, _ = server.request("POST", "/metrics", body=b"x")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
    status, headers, body = server.request("HEAD", "/metrics")
    assert status == 200 and body == b""
    assert int(headers["Content-Length"]) == len(server.get("/metrics")[2])


def test_gzip_when_asked(server):
    plain = server.get("/metrics")[2]
    status, headers, body = server.get("/metrics", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert gunzip(body) == plain


def test_keep_alive_serves_many_requests_on_one_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for _ in range(20):
            conn.request("GET", "/metrics")
            resp = conn.getresponse()
            assert resp.status == 200
            resp.read()
        sock = conn.sock
        conn.request("GET", "/-/healthy")
        conn.getresponse().read()
        assert conn.sock is sock  # the same connection all along
    finally:
        conn.close()


def test_oversized_headers_get_431(server):
    status, _, _ = server.get("/metrics", headers={"X-Big": "a" * 20000})
    assert status == 431


def test_oversized_body_gets_413(server):
    status, _, _ = server.request("POST", "/metrics", body=b"a" * (2 * 1024 * 1024))
    assert status == 413


def test_garbage_gets_400_and_the_server_keeps_serving(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        reply = s.recv(1024)
    assert reply.startswith(b"HTTP/1.1 400")
    assert server.get("/-/healthy")[0] == 200


def test_a_silent_client_does_not_block_others(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5):
        # This client sends nothing; scrapes on other connections go on.
        for _ in range(5):
            assert server.get("/metrics")[0] == 200
