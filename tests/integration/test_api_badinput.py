"""Bad input gets its 4xx with a JSON error and the server keeps serving: truncated bodies, wrong content
types, malformed JSON (with the byte offset), unknown fields, invalid UTF-8, oversized bodies and headers,
path traversal, bad ids, bad Range and If-Match headers."""
import socket
import time

import lib
from apilib import Env
from lib import eq, test

ENV = {}


def env():
    if not ENV:
        e = Env(extra_args=["--max-body", "65536"]).__enter__()
        ENV["e"] = e
        ENV["pid"] = e.project("bad", items=1)
        ENV["c"] = e.srv.client(token=e.admin_token)
    return ENV["e"], ENV["pid"], ENV["c"]


def alive():
    e, _, c = env()
    eq(c.get("/api/v1/health").status, 200)


def raw(data, read_timeout=5):
    """Sends raw bytes, returns the status line's code (0 if the server just closed)."""
    e, _, _ = env()
    s = socket.create_connection(("127.0.0.1", e.srv.port), timeout=read_timeout)
    s.sendall(data)
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    buf = b""
    try:
        while b"\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    except socket.timeout:
        pass
    s.close()
    parts = buf.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def auth_header():
    e, _, _ = env()
    return f"Authorization: Bearer {e.admin_token}\r\n".encode()


@test
def malformed_json_names_the_byte_offset():
    _, pid, c = env()
    r = c.post(f"/api/v1/projects/{pid}/items", b'{"text": "abc",, }', raw=True,
               headers={"Content-Type": "application/json"})
    eq(r.status, 400)
    err = r.json()["error"]
    assert "byte 15" in err["message"], err
    alive()


@test
def unknown_fields_are_refused_with_a_pointer():
    _, pid, c = env()
    r = c.post(f"/api/v1/projects/{pid}/items", {"text": "x", "colour": "red"})
    eq(r.status, 400)
    eq(r.json()["error"]["field"], "/colour")
    r = c.patch(f"/api/v1/projects/{pid}", {"settings": {"overlap": 0}})
    eq(r.status, 400)
    eq(r.json()["error"]["field"], "/settings/overlap")
    r = c.post("/api/v1/login", {"name": "admin", "password": "x" * 12, "remember": True})
    eq(r.json()["error"]["field"], "/remember")


@test
def invalid_utf8_is_refused():
    _, pid, c = env()
    r = c.post(f"/api/v1/projects/{pid}/items", b'{"text": "caf\xc3\x28"}', raw=True,
               headers={"Content-Type": "application/json"})
    eq(r.status, 400)
    assert "UTF-8 at byte 13" in r.json()["error"]["message"], r.body
    r = c.post(f"/api/v1/projects/{pid}/items", b'{"text": "\xed\xa0\x80"}', raw=True,  # a surrogate
               headers={"Content-Type": "application/json"})
    eq(r.status, 400)
    alive()


@test
def wrong_content_types_get_415():
    _, pid, c = env()
    r = c.post(f"/api/v1/projects/{pid}/items", b'{"text":"x"}', raw=True, headers={"Content-Type": "text/plain"})
    eq(r.status, 415)
    r = c.post(f"/api/v1/projects/{pid}/items", b'{"text":"x"}', raw=True)
    eq(r.status, 415)
    r = c.post(f"/api/v1/projects/{pid}/items/upload", {"text": "x"})
    eq(r.status, 415)
    r = c.post(f"/api/v1/projects/{pid}/items/upload", b"--x--", raw=True,
               headers={"Content-Type": "multipart/form-data"})  # no boundary
    eq(r.status, 400)
    alive()


@test
def bodies_over_the_limit_get_413_before_being_read():
    _, pid, c = env()
    big = b'{"text":"' + b"a" * 70000 + b'"}'
    r = c.post(f"/api/v1/projects/{pid}/items", big, raw=True, headers={"Content-Type": "application/json"})
    eq(r.status, 413)
    # a huge announced length is refused at once, without sending it
    code = raw(f"POST /api/v1/projects/{pid}/items HTTP/1.1\r\nHost: x\r\n".encode() + auth_header()
               + b"Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{")
    eq(code, 413)
    # chunked, without a length: stopped at the cap as it streams
    chunks = b"".join(b"%x\r\n%s\r\n" % (8192, b"b" * 8192) for _ in range(10)) + b"0\r\n\r\n"
    code = raw(f"POST /api/v1/projects/{pid}/items HTTP/1.1\r\nHost: x\r\n".encode() + auth_header()
               + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks)
    eq(code, 413)
    alive()


@test
def truncated_bodies_do_not_hang_the_server():
    _, pid, _ = env()
    # announces 100 bytes, sends 10, then closes: the server drops it and keeps serving others
    for _ in range(3):
        raw(f"POST /api/v1/projects/{pid}/items HTTP/1.1\r\nHost: x\r\n".encode() + auth_header()
            + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"text\":\"a", read_timeout=0.5)
    alive()
    # a body cut inside the JSON but with a matching length is malformed JSON
    _, _, c = env()
    r = c.post(f"/api/v1/projects/{pid}/items", b'{"text": "abc', raw=True, headers={"Content-Type": "application/json"})
    eq(r.status, 400)
    assert "byte" in r.json()["error"]["message"]


@test
def huge_headers_are_refused():
    big = b"X-Filler: " + b"a" * 100000 + b"\r\n"
    code = raw(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n")
    assert code in (400, 413, 431, 0), code
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(2000))
    code = raw(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert code in (400, 413, 431, 0), code
    alive()


@test
def garbage_request_lines():
    for junk in (b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"):
        code = raw(junk)
        assert code == 0 or 400 <= code < 600, (junk, code)
    alive()


@test
def path_traversal_and_bad_ids():
    _, pid, c = env()
    for path in ("/static/../../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2fetc%2fpasswd",
                 "/../../etc/passwd", "/static/%00", "/static/a/../../b"):
        r = c.get(path)
        assert r.status in (400, 404), (path, r.status)
        assert b"root:" not in r.body
        assert "error" in r.json()
    for path in (f"/api/v1/projects/{pid}/items/0", f"/api/v1/projects/{pid}/items/-1",
                 f"/api/v1/projects/{pid}/items/abc", f"/api/v1/projects/{pid}/items/99999999999999999999",
                 f"/api/v1/projects/{pid}/items/1/../../../../etc", "/api/v1/projects/1%2f2"):
        r = c.get(path)
        eq(r.status, 404, path)
    eq(c.request("DELETE", "/api/v1/projects").status, 405)
    alive()


@test
def bad_headers_on_valid_routes():
    e, pid, c = env()
    eq(e.srv.client(token="mlt_" + "0" * 64).get("/api/v1/me").status, 401)
    eq(e.srv.client().get("/api/v1/me", headers={"Authorization": "Basic YWRtaW46eA=="}).status, 401)
    eq(e.srv.client().get("/api/v1/me", headers={"Authorization": "Bearer short"}).status, 401)
    eq(e.srv.client().get("/api/v1/me", headers={"Cookie": "ml_session=" + "z" * 64}).status, 401)
    r = c.get(f"/api/v1/projects/{pid}/tasks?limit=abc")
    eq(r.status, 400)
    eq(r.json()["error"]["field"], "limit")
    eq(c.get("/api/v1/audit?since=notatime").status, 400)
    alive()


if __name__ == "__main__":
    try:
        lib.main()
    finally:
        if ENV:
            ENV["e"].__exit__(None, None, None)
