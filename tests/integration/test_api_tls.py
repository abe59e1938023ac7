"""`medlabel serve --tls-cert --tls-key` speaks HTTPS (GnuTLS through libmicrohttpd): a throwaway self-signed
certificate made with the openssl CLI, a client that verifies against it, HSTS and Secure cookies."""
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess

import lib
from lib import eq, test


def make_cert(d):
    if not shutil.which("openssl"):
        raise lib.Skip("openssl CLI absent")
    key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@test
def serves_https_verified_against_the_certificate():
    d = lib.tmpdir()
    cert, key = make_cert(d)
    data = os.path.join(d, "data")
    os.makedirs(data)
    with lib.Server(data, extra_args=["--tls-cert", cert, "--tls-key", key]) as srv:
        ctx = ssl.create_default_context(cafile=cert)
        conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=ctx, timeout=10)
        conn.request("GET", "/api/v1/health")
        r = conn.getresponse()
        eq(r.status, 200)
        eq(json.loads(r.read())["status"], "ok")
        assert "max-age=" in (r.getheader("Strict-Transport-Security") or ""), r.getheaders()
        password = re.search(r"one-time password:\s+(\S+)", srv.read_log()).group(1)
        conn.request("POST", "/api/v1/login", body=json.dumps({"name": "admin", "password": password}),
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        eq(r.status, 200)
        cookie = r.getheader("Set-Cookie")
        assert "Secure" in cookie and "HttpOnly" in cookie, cookie
        conn.close()
        # a client that does not trust the certificate refuses the connection
        strict = ssl.create_default_context()
        try:
            c2 = http.client.HTTPSConnection("127.0.0.1", srv.port, context=strict, timeout=10)
            c2.request("GET", "/api/v1/health")
            c2.getresponse()
            raise AssertionError("an unverified certificate was accepted")
        except ssl.SSLCertVerificationError:
            pass
        # plain HTTP on the TLS port gets no HTTP answer, and the server keeps serving
        try:
            c3 = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
            c3.request("GET", "/api/v1/health")
            st = c3.getresponse().status
            assert st >= 400, st
        except (http.client.HTTPException, ConnectionError, OSError):
            pass
        conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=ctx, timeout=10)
        conn.request("GET", "/api/v1/health")
        eq(conn.getresponse().status, 200)


@test
def missing_or_bad_tls_files_are_refused_at_start():
    d = lib.tmpdir()
    data = os.path.join(d, "data")
    p = lib.run("serve", "--tls-cert", os.path.join(d, "nope.pem"), "--tls-key", os.path.join(d, "nope.key"),
                "--listen", f"127.0.0.1:{lib.free_port()}", data=data, check=False, timeout=20)
    eq(p.returncode, 1)
    assert "nope.pem" in p.stderr, p.stderr
    p = lib.run("serve", "--tls-cert", os.path.join(d, "x.pem"), "--listen", f"127.0.0.1:{lib.free_port()}",
                data=data, check=False, timeout=20)
    eq(p.returncode, 1)
    assert "go together" in p.stderr, p.stderr


if __name__ == "__main__":
    lib.main()
