"""Hostile clients at the HTTP level, against a real server: oversized or broken request heads and
clients too slow to send one get an answer in the document's error format and lose the connection,
while everyone else is served."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["httptools", "h11"])
def server(request, server_factory):
    """Every guard holds on both HTTP implementations the server can run on."""
    if request.param == "httptools":
        pytest.importorskip("httptools", reason="httptools is not installed on this platform")
    return server_factory("--speed", "instant", "--no-render", "--client-timeout", "1", "--http", request.param)


def test_the_server_runs_the_implementation_it_was_asked_for(server):
    assert f"HTTP {server.process.args[-1]}" in server.log()


def exchange(server, data: bytes, timeout: float = 5.0) -> tuple[int, dict, float]:
    """Send raw bytes, read until the server closes; the status, the JSON body, and the time taken."""
    address = urlsplit(server.base_url)
    started = time.monotonic()
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body), time.monotonic() - started


def code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


def test_headers_over_32_kib_get_a_431_in_the_error_format(server):
    status, body, _ = exchange(server, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
    assert status == 431 and code(body) == "REQUEST_HEADERS_TOO_LARGE"
    assert "32768 bytes" in body["errors"][0]["message"]


def test_headers_over_the_limit_in_pieces_get_the_431_too(server):
    address = urlsplit(server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: " + b"a" * 20_000 + b"\r\n")
        time.sleep(0.2)
        sock.sendall(b"X-B: " + b"b" * 20_000 + b"\r\n\r\n")
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 431 ") and b"REQUEST_HEADERS_TOO_LARGE" in answer


def test_headers_under_the_limit_are_served(server):
    r = httpx.get(server.base_url + "/healthz", headers={"X-Big": "a" * 20_000})
    assert r.status_code == 200


def test_a_garbled_request_line_gets_a_400_in_the_error_format(server):
    status, body, _ = exchange(server, b"HELLO THERE\x00\r\n\r\n")
    assert status == 400 and code(body) == "BAD_USER_INPUT"


def test_a_client_that_never_finishes_its_headers_is_cut_off_with_a_408(server):
    status, body, took = exchange(server, b"POST /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: test-", timeout=30)
    assert status == 408 and code(body) == "REQUEST_TIMEOUT"
    assert took > 0.8  # after the 1 s --client-timeout, not before


@pytest.mark.parametrize("http", ["httptools", "h11"])
def test_slow_clients_do_not_hold_up_anyone_else(server_factory, http):
    """50 clients stall in their heads for the whole (60 s) client timeout; the others are
    served meanwhile, and the stalled ones are still waiting when they are."""
    if http == "httptools":
        pytest.importorskip("httptools", reason="httptools is not installed on this platform")
    server = server_factory("--no-render", "--no-access-log", "--client-timeout", "60", "--http", http)
    address = urlsplit(server.base_url)
    slow = [socket.create_connection((address.hostname, address.port)) for _ in range(50)]
    try:
        for sock in slow:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            for _ in range(20):
                assert client.get("/v1/catalog", headers={"X-API-Key": "YOUR_API_KEY"}).status_code == 200
        for sock in slow:
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(100)  # nothing yet: served after the others, not before
    finally:
        for sock in slow:
            sock.close()


def test_a_keep_alive_connection_serves_several_requests_in_a_row(server):
    with httpx.Client(base_url=server.base_url) as client:
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
            time.sleep(0.4)


def test_a_client_that_stalls_in_its_body_gets_a_408(server):
    head = b"POST /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: YOUR_API_KEY\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    status, body, took = exchange(server, head + b'{"service": "hedra", ', timeout=30)
    assert status == 408 and code(body) == "REQUEST_TIMEOUT" and "body" in body["errors"][0]["message"]
    assert took > 0.8


def test_pipelined_requests_on_one_connection_are_all_answered(server):
    address = urlsplit(server.base_url)
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(request * 3 + b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    assert raw.count(b"HTTP/1.1 200 ") == 4


def test_a_connection_that_sends_nothing_is_closed(server):
    address = urlsplit(server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        started = time.monotonic()
        assert sock.recv(100) == b""  # the server closed it, before the socket's own timeout
    assert time.monotonic() - started > 0.8


def read_until_closed(server, data: bytes) -> tuple[bytes, OSError | None]:
    """Send everything, read until the server closes; what came back and any socket error."""
    address = urlsplit(server.base_url)
    error = None
    raw = b""
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        try:
            sock.sendall(data)
            while chunk := sock.recv(65536):
                raw += chunk
        except OSError as exc:  # a reset: what was sent back may never have been read
            error = exc
    return raw, error


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_413_is_the_only_answer_on_its_connection(server, framing):
    """A client (curl -d @big.json, say) sends a body over the limit, then its next request on the
    same connection. It gets the 413, then the connection ends: the rest of the body is not read
    as a request head (a spurious 431) and the next request is not answered on it."""
    body = b'{"service": "hedra", "text": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    head = b"POST /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: YOUR_API_KEY\r\nContent-Type: application/json\r\n"
    if framing == "chunked":
        request = head + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    else:
        request = head + b"Content-Length: %d\r\n\r\n" % len(body) + body
    raw, error = read_until_closed(server, request + b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert error is None, f"{error!r} after {raw[:300]!r}"
    statuses = [line for line in raw.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]
    assert statuses == [b"HTTP/1.1 413 Request Entity Too Large"], raw[:1000]
    head_part, _, answer = raw.partition(b"\r\n\r\n")
    assert b"connection: close" in head_part.lower()
    assert code(json.loads(answer)) == "PAYLOAD_TOO_LARGE"
