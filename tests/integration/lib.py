"""Helpers for integration tests: run the real medlabel binary, start its server, speak HTTP to it.

A test file defines functions decorated with @test and ends with `main()`; each prints one
"ok - NAME" / "not ok - NAME" / "skip - NAME: why" line. Raise Skip("why") to skip.
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback

BIN = os.environ.get("MEDLABEL_BIN") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "medlabel")
ROOT = os.environ.get("MEDLABEL_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED_DATA = os.path.abspath(os.path.join(ROOT, "..", "shared", "data"))

_tests = []


class Skip(Exception):
    pass


def test(fn):
    _tests.append(fn)
    return fn


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else None
    passed = failed = 0
    for fn in _tests:
        if only and only not in fn.__name__:
            continue
        try:
            fn()
            print(f"ok - {fn.__name__}", flush=True)
            passed += 1
        except Skip as e:
            print(f"skip - {fn.__name__}: {e}", flush=True)
        except Exception:
            print(f"not ok - {fn.__name__}", flush=True)
            for line in traceback.format_exc().splitlines():
                print("#   " + line, flush=True)
            failed += 1
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


def tmpdir():
    d = tempfile.mkdtemp(prefix="medlabel-it-")
    return d


def run(*args, data=None, input=None, check=True, env=None, timeout=300):
    """Runs medlabel with args; returns CompletedProcess (text mode unless input is bytes)."""
    cmd = [BIN] + (["--data", data] if data else []) + [str(a) for a in args]
    binary = isinstance(input, (bytes, bytearray))
    p = subprocess.run(cmd, input=input, capture_output=True, text=not binary, env=env, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} exited {p.returncode}: {p.stderr!r}")
    return p


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A `medlabel serve` process on a free loopback port; use as a context manager."""

    def __init__(self, data, extra_args=(), env=None):
        self.data = data
        self.port = free_port()
        self.extra_args = list(extra_args)
        self.env = env
        self.proc = None
        self.output = ""

    def __enter__(self):
        self.log = open(os.path.join(self.data, "..", f"server-{self.port}.log"), "w+")
        self.proc = subprocess.Popen([BIN, "--data", self.data, "serve", "--listen", f"127.0.0.1:{self.port}"]
                                     + self.extra_args, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited early: " + self.read_log())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("server did not start: " + self.read_log())

    def read_log(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def client(self, token=None):
        return Client("127.0.0.1", self.port, token)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


class Client:
    """A tiny HTTP client keeping cookies and the CSRF token, or sending a Bearer token."""

    def __init__(self, host, port, token=None):
        self.host, self.port, self.token = host, port, token
        self.cookies = {}
        self.csrf = None

    def request(self, method, path, body=None, headers=None, raw=False):
        h = dict(headers or {})
        data = None
        if body is not None:
            if raw:
                data = body
            else:
                data = json.dumps(body).encode("utf-8")
                h.setdefault("Content-Type", "application/json")
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.csrf and method not in ("GET", "HEAD"):
            h.setdefault("X-CSRF-Token", self.csrf)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        payload = r.read()
        hdrs = r.getheaders()
        conn.close()
        for k, v in hdrs:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                val = rest.split(";")[0]
                if val:
                    self.cookies[name] = val
                else:
                    self.cookies.pop(name, None)
        resp = Response(r.status, hdrs, payload)
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def eq(a, b, msg=""):
    if a != b:
        raise AssertionError(f"{a!r} != {b!r} {msg}")
